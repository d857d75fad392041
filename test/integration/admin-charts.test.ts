import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { miners } from '../../src/db/schema';
import { createHost, createTestCustomer, db, getPage } from '../helpers/fixtures';
import { batchOf, createSite, nextMac, report, stateOf } from '../helpers/telemetry';

describe('24-hour hashrate charts for staff', () => {
  it('show on a unit’s page and on its customer’s Equipment tab, and never another host’s', async () => {
    const host = await createHost('Chart Host');
    const siteId = await createSite(host);
    const customer = await createTestCustomer(host, { name: 'Chart Customer' });
    const mac = nextMac();
    await stateOf(siteId).ingest({ hostId: host.hostId, siteId }, batchOf([report(mac, { hashrate_ths: 101.5 })]));
    const [miner] = await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all();
    await db().update(miners).set({ customerId: customer.id, status: 'assigned', nominalHashrateMths: 104_000 }).where(eq(miners.id, miner!.id));

    const unit = await (await getPage(`/admin/equipment/${miner!.id}`, { cookie: host.owner.cookie })).text();
    expect(unit).toContain('id="miner-chart-title"');
    expect(unit).toMatch(/<svg[^>]*aria-labelledby="miner-chart-title/);
    // The live value, read like the portal reads it (src/lib/format.ts: about three significant figures).
    expect(unit).toContain('102 TH/s');
    expect(unit).not.toContain('101.50');

    const tab = await (await getPage(`/admin/customers/${customer.id}/equipment`, { cookie: host.owner.cookie })).text();
    expect(tab).toContain('id="customer-fleet-chart-title"');
    expect(tab).toContain('Chart Customer: hashrate of 1 assigned unit, last 24 hours');

    const other = await createHost('Chart Intruder');
    expect((await getPage(`/admin/equipment/${miner!.id}`, { cookie: other.owner.cookie })).status).toBe(404);
  });
});

describe('staff live views refresh themselves (htmx polling)', () => {
  it('the fleet view, the site card and the customer Equipment tab each poll a fragment of themselves', async () => {
    const host = await createHost('Polling Host');
    const siteId = await createSite(host);
    const customer = await createTestCustomer(host);
    await stateOf(siteId).ingest({ hostId: host.hostId, siteId }, batchOf([report(nextMac(), { hashrate_ths: 88.8 })]));
    const [miner] = await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all();
    await db().update(miners).set({ customerId: customer.id, status: 'assigned' }).where(eq(miners.id, miner!.id));
    const cookie = host.owner.cookie;

    const fleet = await (await getPage('/admin/equipment', { cookie })).text();
    expect(fleet).toMatch(/<div id="equipment-results" hx-get="\/admin\/equipment[^"]*" hx-trigger="every 15s"/);
    const fleetPoll = await (await getPage('/admin/equipment', { cookie, htmx: true, headers: { 'HX-Target': 'equipment-results' } })).text();
    expect(fleetPoll.startsWith('<div id="equipment-results"')).toBe(true);
    expect(fleetPoll).toContain('88.8');

    const site = await (await getPage(`/admin/sites/${siteId}`, { cookie })).text();
    expect(site).toContain(`hx-get="/admin/sites/${siteId}/live" hx-trigger="every 15s"`);
    const card = await (await getPage(`/admin/sites/${siteId}/live`, { cookie, htmx: true })).text();
    expect(card).toContain('data-testid="site-live"');
    expect(card).toContain('88.8');

    const tab = await (await getPage(`/admin/customers/${customer.id}/equipment`, { cookie })).text();
    expect(tab).toContain(`<div id="customer-equipment-live" hx-get="/admin/customers/${customer.id}/equipment" hx-trigger="every 15s"`);
    const tabPoll = await (await getPage(`/admin/customers/${customer.id}/equipment`, { cookie, htmx: true, headers: { 'HX-Target': 'customer-equipment-live' } })).text();
    expect(tabPoll.startsWith('<div id="customer-equipment-live"')).toBe(true);

    const other = await createHost('Polling Intruder');
    expect((await getPage(`/admin/sites/${siteId}/live`, { cookie: other.owner.cookie })).status).toBe(404);
  });
});
