import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { assignEquipment, unassignEquipment } from '../../src/equipment/service';
import { staffActor } from '../../src/hosts/service';
import { tolerantLive } from '../../src/live/client';
import { loadPortalDashboard } from '../../src/portal/dashboard';
import { customerFleetPage, DEFAULT_FLEET_QUERY } from '../../src/telemetry/fleet';
import { db, getPage, pageHtml, type TestHost } from '../helpers/fixtures';
import { hostWithTwoCustomers } from '../helpers/fleet';

/**
 * A whole fleet's live sort and its totals are answered by the sites' objects from their own
 * registries (SiteState.rankedPage), which hold each unit's customer: a reassignment must show at
 * once, and no portal customer ever sees another customer's (or host's) unit in a sorted page or
 * counted in a total.
 */

const LIVE_SORTS = ['-hashrate', 'hashrate', '-temperature', 'status'] as const;

const portalSerials = (customer: { base: string; cookie: string }, sort: string) => pageHtml(`${customer.base}/equipment?sort=${sort}`, customer.cookie);

const fleetOf = (host: TestHost, customerId: string, sort: (typeof LIVE_SORTS)[number]) =>
  customerFleetPage(db(), tolerantLive(env), host.hostId, customerId, { ...DEFAULT_FLEET_QUERY, sort });

describe('live sorts and totals answered by the site objects never cross customers or hosts', () => {
  it('shows a reassigned unit only to its new customer, in every live sort and in the totals, at once', async () => {
    const t = await hostWithTwoCustomers('Ranked Tenancy');
    const moved = t.aliceUnits[0]!;
    for (const sort of LIVE_SORTS) {
      const html = await portalSerials(t.alice, sort);
      for (const unit of t.aliceUnits) expect(html, sort).toContain(unit.serial);
      for (const unit of t.bobUnits) expect(html, sort).not.toContain(unit.serial);
    }
    expect((await fleetOf(t.host, t.alice.customer.id, '-hashrate')).summary).toMatchObject({ miners: 3, hashrateThs: 120 + 119 + 118 });

    const actor = staffActor(t.host.owner.session);
    await unassignEquipment(db(), t.host.hostId, actor, t.alice.customer.id, { miner_ids: [moved.id] });
    // Unassigned: in nobody's fleet, its hashrate in nobody's total.
    for (const customer of [t.alice, t.bob]) expect(await portalSerials(customer, '-hashrate')).not.toContain(moved.serial);
    expect((await fleetOf(t.host, t.alice.customer.id, '-hashrate')).summary).toMatchObject({ miners: 2, hashrateThs: 119 + 118 });
    expect((await loadPortalDashboard(db(), tolerantLive(env), t.host.hostId, t.alice.customer.id)).fleet).toMatchObject({ miners: 2, hashrateThs: 119 + 118 });

    await assignEquipment(db(), t.host.hostId, actor, t.bob.customer.id, { miner_ids: [moved.id] });
    for (const sort of LIVE_SORTS) {
      expect(await portalSerials(t.alice, sort), sort).not.toContain(moved.serial);
      expect(await portalSerials(t.bob, sort), sort).toContain(moved.serial);
      const alice = await fleetOf(t.host, t.alice.customer.id, sort);
      expect(alice.page.items.map((item) => item.id).sort(), sort).toEqual(t.aliceUnits.slice(1).map((unit) => unit.id).sort());
      expect(alice.summary.byStatus.active + alice.summary.byStatus.unknown, sort).toBe(2);
      const bob = await fleetOf(t.host, t.bob.customer.id, sort);
      expect(bob.page.items.map((item) => item.id), sort).toContain(moved.id);
    }
    expect((await fleetOf(t.host, t.alice.customer.id, '-hashrate')).summary.hashrateThs).toBe(119 + 118);
    expect((await fleetOf(t.host, t.bob.customer.id, '-hashrate')).summary).toMatchObject({ miners: 3, hashrateThs: 120 + 117 + 116 });
    expect((await loadPortalDashboard(db(), tolerantLive(env), t.host.hostId, t.bob.customer.id)).fleet).toMatchObject({ miners: 3, hashrateThs: 120 + 117 + 116 });
  });

  it('never shows another host’s units in a portal or staff live sort', async () => {
    const a = await hostWithTwoCustomers('Ranked Host A');
    const b = await hostWithTwoCustomers('Ranked Host B');
    for (const sort of LIVE_SORTS) {
      const portal = await portalSerials(a.alice, sort);
      const staff = await (await getPage(`/admin/equipment?sort=${sort}`, { cookie: a.host.owner.cookie })).text();
      for (const unit of [...b.aliceUnits, ...b.bobUnits]) {
        expect(portal, sort).not.toContain(unit.serial);
        expect(staff, sort).not.toContain(unit.serial);
      }
      for (const unit of [...a.aliceUnits, ...a.bobUnits]) expect(staff, sort).toContain(unit.serial);
    }
  });
});
