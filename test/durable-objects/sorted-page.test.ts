import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { miners } from '../../src/db/schema';
import type { SortedPageRequest } from '../../src/telemetry/live-sort';
import { createHost, db } from '../helpers/fixtures';
import { batchOf, createSite, nextMac, report, stateOf } from '../helpers/telemetry';

/** A site whose object holds five reported miners (hashrates 95, 80, 80, 0 asleep, 60; all at their expected rate), in report order. */
async function reportedSite(name: string) {
  const host = await createHost(name);
  const siteId = await createSite(host);
  const ctx = { hostId: host.hostId, siteId };
  const stub = stateOf(siteId);
  const macs = [nextMac(), nextMac(), nextMac(), nextMac(), nextMac()];
  const specs = [
    { hashrate_ths: 95, expected_hashrate_ths: 95, board_temps_c: [60], chip_temps_c: [70] },
    { hashrate_ths: 80, expected_hashrate_ths: 80, board_temps_c: [61], chip_temps_c: [85] },
    { hashrate_ths: 80, expected_hashrate_ths: 80, board_temps_c: [62], chip_temps_c: [72] },
    { state: 'sleeping' as const, hashrate_ths: 0, board_temps_c: [40], chip_temps_c: [41] },
    { hashrate_ths: 60, expected_hashrate_ths: 60, board_temps_c: [63], chip_temps_c: [75] },
  ];
  await stub.ingest(ctx, batchOf(macs.map((mac, i) => report(mac, specs[i]))));
  const rows = await db().select({ id: miners.id, mac: miners.mac }).from(miners).where(eq(miners.hostId, host.hostId)).all();
  const ids = macs.map((mac) => rows.find((row) => row.mac === mac)!.id);
  return { stub, ids };
}

const request = (minerIds: string[], overrides: Partial<SortedPageRequest> = {}): SortedPageRequest => ({
  minerIds,
  sort: 'hashrate',
  descending: true,
  status: null,
  offset: 0,
  limit: 50,
  totals: false,
  ...overrides,
});

describe('SiteState.sortedPage', () => {
  it('sorts the candidates inside the object and answers with one page and its live state only', async () => {
    const { stub, ids } = await reportedSite('Sorted Page Host');
    // The candidates' own order breaks ties: ids[2] before ids[1] here, so it comes first at 80 TH/s.
    const candidates = [ids[0]!, ids[2]!, ids[1]!, ids[3]!, ids[4]!, 'never-reported'];
    const all = await stub.sortedPage(request(candidates));
    expect(all.entries.map((e) => e.minerId)).toEqual([ids[0], ids[2], ids[1], ids[4], ids[3], 'never-reported']);
    expect(all.entries.map((e) => e.value)).toEqual([95, 80, 80, 60, 0, null]);
    expect(all.entries.map((e) => e.index)).toEqual([0, 1, 2, 4, 3, 5]);
    expect(all.matched).toBe(6);
    expect(all.totals).toBeNull();

    // One page: only its entries and only their live state cross back.
    const second = await stub.sortedPage(request(candidates, { offset: 2, limit: 2 }));
    expect(second.entries.map((e) => e.minerId)).toEqual([ids[1], ids[4]]);
    expect(second.live.map((l) => l.minerId)).toEqual([ids[1], ids[4]]);
    expect(second.live[0]).toEqual((await stub.live([ids[1]!]))[0]);
    expect(second.matched).toBe(6);

    // Ascending: missing values still last.
    const ascending = await stub.sortedPage(request(candidates, { descending: false }));
    expect(ascending.entries.map((e) => e.minerId)).toEqual([ids[3], ids[4], ids[2], ids[1], ids[0], 'never-reported']);

    // Temperature (hottest reading), and the page past the end is empty but still counts.
    const hottest = await stub.sortedPage(request(candidates, { sort: 'temperature', limit: 1 }));
    expect(hottest.entries).toEqual([{ minerId: ids[1], value: 85, index: 2 }]);
    expect((await stub.sortedPage(request(candidates, { offset: 50 }))).entries).toEqual([]);
  });

  it('filters by live status (unknown: never reported), keeps the candidates’ order without a sort, and totals every candidate', async () => {
    const { stub, ids } = await reportedSite('Sorted Status Host');
    const candidates = [...ids, 'never-reported'];
    const sleeping = await stub.sortedPage(request(candidates, { status: 'sleeping', totals: true }));
    expect(sleeping.entries.map((e) => e.minerId)).toEqual([ids[3]]);
    expect(sleeping.matched).toBe(1);
    // Totals cover every candidate with state, before the status filter (the fleet summary).
    expect(sleeping.totals).toEqual(await stub.totals(candidates));

    const unknown = await stub.sortedPage(request(candidates, { status: 'unknown' }));
    expect(unknown).toMatchObject({ matched: 1, entries: [{ minerId: 'never-reported', index: 5 }], live: [] });

    const listOrder = await stub.sortedPage(request([...candidates].reverse(), { sort: null, status: 'active' }));
    expect(listOrder.entries.map((e) => e.minerId)).toEqual([ids[4], ids[2], ids[1], ids[0]]);

    // Status sort: problems first, units never reported last.
    const byStatus = await stub.sortedPage(request(candidates, { sort: 'status', descending: false }));
    expect(byStatus.entries.map((e) => e.minerId)).toEqual([ids[3], ids[0], ids[1], ids[2], ids[4], 'never-reported']);
  });

  it('an empty candidate list is an empty page', async () => {
    const { stub } = await reportedSite('Sorted Empty Host');
    expect(await stub.sortedPage(request([], { totals: true }))).toMatchObject({ matched: 0, entries: [], live: [], totals: { miners: 0 } });
  });
});
