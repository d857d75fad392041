import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { RankedPageRequest } from '../../src/telemetry/live-sort';
import { compareSqlText } from '../../src/live/unit-order';
import { createHost, createTestCustomer, type TestHost } from '../helpers/fixtures';
import { batchOf, createSite, nextMac, report, stateOf } from '../helpers/telemetry';

/**
 * SiteState.rankedPage: a whole fleet's live sort answered from the object's own registry must
 * order exactly as the candidates path does (SiteState.sortedPage over D1's list order), and
 * must follow an assignment change at once.
 */

interface Unit {
  id: string;
  mac: string;
  serial: string | null;
  rack: string | null;
  customerId: string | null;
}

async function insertUnits(host: TestHost, siteId: string, units: Unit[]) {
  const now = Date.now();
  for (const unit of units) {
    await env.DB.prepare(
      `INSERT INTO miners (id, host_id, site_id, customer_id, serial, mac, rack_location, status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)`,
    )
      .bind(unit.id, host.hostId, siteId, unit.customerId, unit.serial, unit.mac, unit.rack, unit.customerId ? 'assigned' : 'unassigned', now)
      .run();
  }
}

const unitsVersion = async (hostId: string) =>
  (await env.DB.prepare('SELECT coalesce(max(updated_at), 0) AS v FROM miners WHERE host_id = ?1').bind(hostId).first<{ v: number }>())!.v;

const ranked = (version: number, overrides: Partial<RankedPageRequest> = {}): RankedPageRequest => ({
  unitsVersion: version,
  customerId: null,
  list: 'serial',
  sort: 'hashrate',
  descending: true,
  offset: 0,
  limit: 50,
  totals: false,
  ...overrides,
});

describe('SiteState.rankedPage', () => {
  it('orders ties exactly as D1’s list order does (serial or MAC lowered by SQLite, then id; rack, serial, id), as the candidates path does', async () => {
    const host = await createHost('Ranked Order Host');
    const siteId = await createSite(host);
    const customer = await createTestCustomer(host, { name: 'Ranked Customer' });
    // Serials in mixed case, a non-ASCII capital SQLite's lower() leaves alone, none at all (the MAC
    // stands in), equal racks, no rack: every tie-break rule is exercised.
    const serials = ['b-2', 'B-1', 'a-3', null, 'Äx', 'äx', 'A-3', null, 'z', '10'];
    const racks = ['R2', 'R1', null, 'R1', 'R2', null, 'R1', 'R1', null, 'R2'];
    const units: Unit[] = serials.map((serial, i) => ({ id: crypto.randomUUID(), mac: nextMac(), serial, rack: racks[i]!, customerId: customer.id }));
    await insertUnits(host, siteId, units);
    const stub = stateOf(siteId);
    // Three hashrates only, so most units tie with others on the live value; one never reports.
    const reporting = units.slice(0, -1);
    await stub.ingest({ hostId: host.hostId, siteId }, batchOf(reporting.map((unit, i) => report(unit.mac, { hashrate_ths: [80, 90, 80][i % 3]! }))));
    const version = await unitsVersion(host.hostId);

    for (const [list, order] of [
      ['serial', `lower(coalesce(serial, mac, '')), id`],
      ['location', 'rack_location, serial, id'],
    ] as const) {
      const d1Order = (await env.DB.prepare(`SELECT id FROM miners WHERE host_id = ?1 ORDER BY ${order}`).bind(host.hostId).all<{ id: string }>()).results.map((row) => row.id);
      for (const descending of [true, false]) {
        const expected = await stub.sortedPage({ minerIds: d1Order, sort: 'hashrate', descending, status: null, offset: 0, limit: 50, totals: false });
        const answer = await stub.rankedPage(ranked(version, { list, descending, customerId: list === 'location' ? customer.id : null }));
        // The head: every unit with a value, in the candidates path's order; the unit never reported is not in it.
        expect(answer.valued).toBe(reporting.length);
        expect(answer.entries.map((entry) => entry.minerId)).toEqual(expected.entries.slice(0, reporting.length).map((entry) => entry.minerId));
        // A page of the head is the same page.
        const page = await stub.rankedPage(ranked(version, { list, descending, offset: 3, limit: 4 }));
        expect(page.entries.map((entry) => entry.minerId)).toEqual(expected.entries.slice(3, 7).map((entry) => entry.minerId));
        expect(page.live.map((state) => state.minerId)).toEqual(page.entries.map((entry) => entry.minerId));
      }
    }
    // Status sort: units with state rank by status; a unit never reported is outside the head.
    const byStatus = await stub.rankedPage(ranked(version, { sort: 'status', descending: false, totals: true }));
    expect(byStatus.valued).toBe(reporting.length);
    expect(byStatus.totals).toEqual(await stub.totals(units.map((unit) => unit.id)));
  });

  it('compares texts as SQLite’s BINARY collation: NULL first, then code points (a surrogate pair above U+FFFF)', () => {
    expect(compareSqlText(null, '')).toBeLessThan(0);
    expect(compareSqlText('a', 'B')).toBeGreaterThan(0);
    expect(compareSqlText('ab', 'a')).toBeGreaterThan(0);
    expect(compareSqlText('\u{1F600}', '\uFFFD')).toBeGreaterThan(0);
    expect(compareSqlText('\uE000', '\uD7FF')).toBeGreaterThan(0);
  });

  it('scopes to a customer’s assigned units, and follows a reassignment at once (D1’s newest change is newer than its registry)', async () => {
    const host = await createHost('Ranked Scope Host');
    const siteId = await createSite(host);
    const alice = await createTestCustomer(host, { name: 'Alice' });
    const bob = await createTestCustomer(host, { name: 'Bob' });
    const units: Unit[] = [alice.id, alice.id, bob.id, null].map((customerId, i) => ({ id: crypto.randomUUID(), mac: nextMac(), serial: `S-${i}`, rack: null, customerId }));
    await insertUnits(host, siteId, units);
    const stub = stateOf(siteId);
    await stub.ingest({ hostId: host.hostId, siteId }, batchOf(units.map((unit, i) => report(unit.mac, { hashrate_ths: 100 - i }))));
    const ids = (answer: { entries: { minerId: string }[] }) => answer.entries.map((entry) => entry.minerId);

    let version = await unitsVersion(host.hostId);
    const forAlice = await stub.rankedPage(ranked(version, { customerId: alice.id, totals: true }));
    expect(ids(forAlice)).toEqual([units[0]!.id, units[1]!.id]);
    expect(forAlice.totals!.miners).toBe(2);
    expect(ids(await stub.rankedPage(ranked(version, { customerId: bob.id })))).toEqual([units[2]!.id]);
    // Staff see every unit the site holds, assigned or not.
    expect(ids(await stub.rankedPage(ranked(version)))).toEqual(units.map((unit) => unit.id));

    // Alice's second unit goes to Bob (as unassign + assign write it: customer and updated_at).
    await env.DB.prepare('UPDATE miners SET customer_id = ?1, updated_at = ?2 WHERE id = ?3').bind(bob.id, version + 1, units[1]!.id).run();
    version = await unitsVersion(host.hostId);
    const aliceAfter = await stub.rankedPage(ranked(version, { customerId: alice.id, totals: true }));
    expect(ids(aliceAfter)).toEqual([units[0]!.id]);
    expect(aliceAfter.totals!.miners).toBe(1);
    expect(aliceAfter.totals!.hashrateThs).toBe(100);
    expect(ids(await stub.rankedPage(ranked(version, { customerId: bob.id })))).toEqual([units[1]!.id, units[2]!.id]);

    // Unassigned (status back to unassigned): in nobody's fleet.
    await env.DB.prepare(`UPDATE miners SET customer_id = NULL, status = 'unassigned', updated_at = ?1 WHERE id = ?2`).bind(version + 1, units[2]!.id).run();
    version = await unitsVersion(host.hostId);
    expect(ids(await stub.rankedPage(ranked(version, { customerId: bob.id })))).toEqual([units[1]!.id]);

    // Moved to another site: this site no longer answers for it.
    const otherSite = await createSite(host, 'Other Site');
    await env.DB.prepare('UPDATE miners SET site_id = ?1, updated_at = ?2 WHERE id = ?3').bind(otherSite, version + 1, units[0]!.id).run();
    version = await unitsVersion(host.hostId);
    const staff = await stub.rankedPage(ranked(version));
    expect(ids(staff)).toEqual([units[1]!.id, units[2]!.id, units[3]!.id]);
  });
});
