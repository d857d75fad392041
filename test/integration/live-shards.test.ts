import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { alerts, sites } from '../../src/db/schema';
import { createMiner, updateMiner } from '../../src/equipment/service';
import { staffActor } from '../../src/hosts/service';
import { readCustomerHistory, readHistory, readLive, readLiveTotals, readSiteSummary, readSortedPage, siteState, type SortCandidate } from '../../src/live/client';
import type { SiteState } from '../../src/live/site-state';
import { shardOfKey, UNITS_PER_SHARD } from '../../src/live/shard';
import { minerKey } from '../../src/telemetry/batch';
import { insertSite, portalCustomer } from '../helpers/alerts';
import { api, createApiKeyFor, createHost, db, type TestHost } from '../helpers/fixtures';
import { seedFleet, type SeededMiner } from '../helpers/fleet';
import { batchOf, postTelemetry, registeredAgent, report } from '../helpers/telemetry';

const SHARDS = 3;
const UNITS = 36;

const setShards = (siteId: string, count: number) => db().update(sites).set({ liveShards: count }).where(eq(sites.id, siteId));
const shardOf = (unit: { mac: string }) => shardOfKey(minerKey({ mac: unit.mac }), SHARDS);

/** Unit i's sample: hashrate with ties (i % 7), some units in error, power by index. */
const sample = (unit: SeededMiner, i: number, at = new Date().toISOString()) =>
  report(unit.mac, { sampled_at: at, hashrate_ths: 90 + (i % 7), power_w: 3000 + i, state: i % 9 === 4 ? 'error' : 'mining', serial: unit.serial });

/** A host with one customer owning UNITS units at each of two sites: `sharded` (3 shards) and `single` (1), reported alike through the agent API. */
async function shardedFixture(name: string) {
  const host = await createHost(name);
  const owner = await portalCustomer(host, `${name} Customer`);
  const sharded = await insertSite(host, 'Sharded hall');
  const single = await insertSite(host, 'Single hall');
  await setShards(sharded, SHARDS);
  const units = {
    sharded: await seedFleet(host, { siteId: sharded, customerId: owner.customer.id, count: UNITS, prefix: 'SH' }),
    single: await seedFleet(host, { siteId: single, customerId: owner.customer.id, count: UNITS, prefix: 'SG' }),
  };
  const agents = { sharded: await registeredAgent(host, sharded), single: await registeredAgent(host, single) };
  return { host, owner, sharded, single, units, agents };
}

async function post(token: string, units: readonly SeededMiner[], batchId?: string, at?: string) {
  const res = await postTelemetry(token, batchOf(units.map((unit, i) => sample(unit, i, at)), batchId));
  expect(res.status).toBe(200);
  return (await res.json()) as { duplicate: boolean; miners_accepted: number; miners_refused: unknown[] };
}

const liveUnits = (siteId: string, units: readonly SeededMiner[], liveShards: number) => units.map((unit) => ({ id: unit.id, siteId, liveShards }));
const candidates = (siteId: string, units: readonly SeededMiner[], liveShards: number): SortCandidate[] =>
  units.map((unit) => ({ id: unit.id, siteId, liveShards, mac: unit.mac, serial: unit.serial, ip: null }));

describe('a site sharded over several SiteState objects', () => {
  it('lands every unit of a batch posted through the agent API in the shard its key hashes to, and nowhere else', async () => {
    const f = await shardedFixture('Shard Landing');
    const answer = await post(f.agents.sharded.token, f.units.sharded);
    expect(answer).toMatchObject({ duplicate: false, miners_accepted: UNITS, miners_refused: [] });
    const ids = f.units.sharded.map((unit) => unit.id);
    const counts: number[] = [];
    for (let shard = 0; shard < SHARDS; shard++) {
      const stub = siteState(env, f.sharded, shard);
      const held = (await stub.live(ids)).map((state) => state.minerId).sort();
      const expected = f.units.sharded.filter((unit) => shardOf(unit) === shard).map((unit) => unit.id).sort();
      expect(held, `shard ${shard}`).toEqual(expected);
      const registry = await runInDurableObject(stub, (_object, state) => state.storage.sql.exec<{ miner_id: string }>('SELECT miner_id FROM registry').toArray().map((row) => row.miner_id).sort());
      expect(registry, `shard ${shard} registry`).toEqual(expected);
      // Every shard learned of the batch (its part may be empty): the site's last report is known everywhere.
      expect((await stub.summary()).lastReportAt).not.toBeNull();
      counts.push(expected.length);
    }
    // 36 units spread over the three shards, none empty.
    expect(counts.every((n) => n > 0)).toBe(true);
    // The object named by the site id alone is shard 0: a site of one shard keeps its object.
    expect(siteState(env, f.sharded).id.toString()).toBe(env.SITE_STATE.idFromName(f.sharded).toString());
  });

  it('reads every shard: live values, totals, the site summary, a customer’s chart and sorted pages equal a one-shard site’s', async () => {
    const f = await shardedFixture('Shard Reads');
    await post(f.agents.sharded.token, f.units.sharded);
    await post(f.agents.single.token, f.units.single);

    const live = await readLive(env, liveUnits(f.sharded, f.units.sharded, SHARDS));
    expect(live.size).toBe(UNITS);
    f.units.sharded.forEach((unit, i) => expect(live.get(unit.id)?.powerW, unit.serial).toBe(3000 + i));

    const shardedTotals = await readLiveTotals(env, liveUnits(f.sharded, f.units.sharded, SHARDS));
    const singleTotals = await readLiveTotals(env, liveUnits(f.single, f.units.single, 1));
    expect(shardedTotals).toEqual(singleTotals);
    expect(shardedTotals.miners).toBe(UNITS);
    const { lastReportAt: _a, ...shardedSummary } = (await readSiteSummary(env, f.sharded, SHARDS))!;
    const { lastReportAt: _b, ...singleSummary } = (await readSiteSummary(env, f.single, 1))!;
    expect(shardedSummary).toEqual(singleSummary);

    // The customer's chart over the sharded site alone equals the sum of its shards' answers.
    const since = Date.now() - 60 * 60 * 1000;
    const chart = await readCustomerHistory(env, [{ siteId: f.sharded, liveShards: SHARDS }], f.owner.customer.id, since);
    const perShard = await Promise.all(Array.from({ length: SHARDS }, (_, shard) => siteState(env, f.sharded, shard).customerHistory(f.owner.customer.id, since)));
    const summed = new Map<number, number>();
    for (const points of perShard) for (const point of points) summed.set(point.t, (summed.get(point.t) ?? 0) + (point.hashrateThs ?? 0));
    expect(chart.map((point) => [point.t, point.hashrateThs])).toEqual([...summed].sort((a, b) => a[0] - b[0]));
    const singleChart = await readCustomerHistory(env, [{ siteId: f.single, liveShards: 1 }], f.owner.customer.id, since);
    expect(chart.map((point) => point.hashrateThs)).toEqual(singleChart.map((point) => point.hashrateThs));

    // A sorted, filtered page across shards is the same page as on the one-shard site (by unit index).
    const indexOf = (units: readonly SeededMiner[]) => new Map(units.map((unit, i) => [unit.id, i]));
    const shardedIndex = indexOf(f.units.sharded);
    const singleIndex = indexOf(f.units.single);
    for (const request of [
      { sort: 'hashrate' as const, descending: true, status: null, offset: 0, limit: 10, totals: true },
      { sort: 'hashrate' as const, descending: true, status: null, offset: 10, limit: 10, totals: false },
      { sort: 'power' as const, descending: false, status: 'active' as const, offset: 5, limit: 7, totals: false },
      { sort: null, descending: false, status: 'offline' as const, offset: 0, limit: 50, totals: false },
    ]) {
      const a = await readSortedPage(env, candidates(f.sharded, f.units.sharded, SHARDS), request);
      const b = await readSortedPage(env, candidates(f.single, f.units.single, 1), request);
      expect(a.matched, JSON.stringify(request)).toBe(b.matched);
      expect(a.ids.map((id) => shardedIndex.get(id)), JSON.stringify(request)).toEqual(b.ids.map((id) => singleIndex.get(id)));
      expect(a.totals).toEqual(b.totals);
      expect(a.ids.length).toBeGreaterThan(0);
    }

    // The API and the portal show every unit of the sharded site with its live values.
    const key = await createApiKeyFor(f.host);
    const listed = (await (await api(`/api/v1/miners?site=${f.sharded}&limit=100`, { key })).json()) as { data: { id: string; live: { power_w: number } | null }[] };
    expect(listed.data).toHaveLength(UNITS);
    for (const unit of listed.data) expect(unit.live, unit.id).not.toBeNull();
  });

  it('a replayed batch is not counted twice, in any shard', async () => {
    const f = await shardedFixture('Shard Replay');
    const batchId = crypto.randomUUID();
    const first = await post(f.agents.sharded.token, f.units.sharded, batchId);
    const again = await post(f.agents.sharded.token, f.units.sharded, batchId);
    expect(first).toMatchObject({ duplicate: false, miners_accepted: UNITS });
    expect(again).toMatchObject({ duplicate: true, miners_accepted: 0 });
    for (let shard = 0; shard < SHARDS; shard++) {
      const seen = await runInDurableObject(siteState(env, f.sharded, shard), (_object, state) => state.storage.sql.exec<{ batch_id: string }>('SELECT batch_id FROM seen_batches').toArray().map((row) => row.batch_id));
      expect(seen).toEqual([`${batchId}:${shard}`]);
    }
    // A shard that missed its part (it failed) takes it when the agent sends the batch again.
    await runInDurableObject(siteState(env, f.sharded, 2), (_object, state) => state.storage.sql.exec('DELETE FROM seen_batches'));
    const retried = await post(f.agents.sharded.token, f.units.sharded, batchId);
    expect(retried.duplicate).toBe(false);
    expect(retried.miners_accepted).toBe(f.units.sharded.filter((unit) => shardOf(unit) === 2).length);
    const totals = await readLiveTotals(env, liveUnits(f.sharded, f.units.sharded, SHARDS));
    expect(totals.miners).toBe(UNITS);
  });

  it('rejects a malformed batch whole, before any shard sees it, with the same answers as a one-shard site', async () => {
    const f = await shardedFixture('Shard Refusal');
    const good = f.units.sharded.map((unit, i) => sample(unit, i));
    const bad = batchOf([...good.slice(0, 5), { ...good[5]!, hashrate_ths: -1 }, ...good.slice(6)]);
    for (const [token, siteId] of [
      [f.agents.sharded.token, f.sharded],
      [f.agents.single.token, f.single],
    ] as const) {
      const invalid = await postTelemetry(token, bad);
      expect(invalid.status, siteId).toBe(422);
      const error = ((await invalid.json()) as { error: { code: string; fields: Record<string, string> } }).error;
      expect(error.code).toBe('validation_failed');
      expect(Object.keys(error.fields)).toEqual(['miners.5.hashrate_ths']);
      const garbled = await postTelemetry(token, null, { raw: 'not json' });
      expect(garbled.status, siteId).toBe(400);
    }
    // Nothing written anywhere: no shard learned of a batch, no unit has live state.
    for (let shard = 0; shard < SHARDS; shard++) {
      const seen = await runInDurableObject(siteState(env, f.sharded, shard), (_object, state) => state.storage.sql.exec('SELECT batch_id FROM seen_batches').toArray());
      expect(seen, `shard ${shard}`).toEqual([]);
    }
    expect((await readLive(env, liveUnits(f.sharded, f.units.sharded, SHARDS))).size).toBe(0);
  });

  it('raises each alert once, from the shard that holds the unit, and every shard runs its alarm over its own units only', async () => {
    const f = await shardedFixture('Shard Alerts');
    await post(f.agents.sharded.token, f.units.sharded);
    for (let shard = 0; shard < SHARDS; shard++) await runDurableObjectAlarm(siteState(env, f.sharded, shard));
    const rows = await db().select({ minerId: alerts.minerId, kind: alerts.kind }).from(alerts).where(and(eq(alerts.hostId, f.host.hostId), eq(alerts.siteId, f.sharded))).all();
    const erroring = f.units.sharded.filter((_, i) => i % 9 === 4).map((unit) => unit.id).sort();
    expect(rows.filter((row) => row.kind === 'offline').map((row) => row.minerId).sort()).toEqual(erroring);
    expect(rows).toHaveLength(erroring.length);
  });

  it('grows the shard count when equipment added or moved takes the site past 12,500 units a shard, and never lowers it', async () => {
    const host = await createHost('Shard Growth');
    const owner = await portalCustomer(host, 'Growth Customer');
    const site = await insertSite(host, 'Growing hall');
    const other = await insertSite(host, 'Other hall');
    await seedFleet(host, { siteId: site, customerId: owner.customer.id, count: UNITS_PER_SHARD - 1, prefix: 'GR' });
    const shardsOf = async (id: string) => (await db().select({ n: sites.liveShards }).from(sites).where(eq(sites.id, id)).get())!.n;
    const actor = staffActor(host.owner.session);
    await createMiner(db(), host.hostId, actor, { serial: 'GROW-1', site_id: site });
    expect(await shardsOf(site)).toBe(1);
    const extra = await createMiner(db(), host.hostId, actor, { serial: 'GROW-2', site_id: other });
    expect(await shardsOf(other)).toBe(1);
    await updateMiner(db(), host.hostId, actor, extra.id, { site_id: site });
    expect(await shardsOf(site)).toBe(2);
    // Moving it away again leaves the count where it is.
    await updateMiner(db(), host.hostId, actor, extra.id, { site_id: other });
    expect(await shardsOf(site)).toBe(2);
    expect((await createMiner(db(), host.hostId, actor, { serial: 'GROW-3', site_id: site })).liveShards).toBe(2);
  });

  it('when the count grows, a unit whose shard changed is dropped by its old shard and still read once', async () => {
    const f = await shardedFixture('Shard Regrow');
    const earlier = Date.now() - 30 * 60_000;
    await post(f.agents.single.token, f.units.single, undefined, new Date(earlier).toISOString());
    await setShards(f.single, SHARDS);
    // The agent's next batch goes out split; the old object (shard 0) forgets the units that moved.
    const moved = f.units.single.filter((unit) => shardOf(unit) !== 0);
    expect(moved.length).toBeGreaterThan(0);
    await post(f.agents.single.token, f.units.single);
    const held0 = (await siteState(env, f.single, 0).live(f.units.single.map((unit) => unit.id))).map((state) => state.minerId);
    expect(held0.sort()).toEqual(f.units.single.filter((unit) => shardOf(unit) === 0).map((unit) => unit.id).sort());
    const totals = await readLiveTotals(env, liveUnits(f.single, f.units.single, SHARDS));
    expect(totals.miners).toBe(UNITS);
    // Once the moved units' bucket and hour are closed and written, the old shard drops their state
    // (its alarm, here at a simulated time two hours on); their past stays there and is still read.
    const stub0 = siteState(env, f.single, 0);
    await runInDurableObject(stub0, (object) => (object as unknown as SiteState).benchAlarm(Date.now() + 2 * 60 * 60_000));
    const snapshotIds = await runInDurableObject(stub0, (_object, state) =>
      state.storage.sql.exec<{ body: string }>('SELECT body FROM snapshot').toArray().flatMap((row) => (JSON.parse(row.body) as { id: string }[]).map((miner) => miner.id)),
    );
    expect(snapshotIds.sort()).toEqual(f.units.single.filter((unit) => shardOf(unit) === 0).map((unit) => unit.id).sort());
    const unit = moved.find((candidate) => f.units.single.indexOf(candidate) % 9 !== 4)!;
    const index = f.units.single.indexOf(unit);
    const points = await readHistory(env, liveUnits(f.single, [unit], SHARDS), earlier - 10 * 60_000);
    // Two points: the bucket its old shard closed, and the open one in its new shard; each its own sample.
    expect(points.map((point) => point.hashrateThs)).toEqual([90 + (index % 7), 90 + (index % 7)]);
  });

  it('keeps tenants apart: a shard serves one host’s site, and another host’s agent reaches none of its units', async () => {
    const f = await shardedFixture('Shard Tenant A');
    await post(f.agents.sharded.token, f.units.sharded);
    const other: TestHost = await createHost('Shard Tenant B');
    const refusal = await runInDurableObject(siteState(env, f.sharded, 1), async (object) => {
      try {
        await (object as unknown as SiteState).ingest({ hostId: other.hostId, siteId: f.sharded, shard: { index: 1, count: SHARDS } }, batchOf([report(f.units.sharded[0]!.mac)]));
        return null;
      } catch (error) {
        return String(error);
      }
    });
    expect(refusal).toMatch(/another site/);
    // B's agent reporting A's MACs stages units of B's own, at B's site; A's shards are untouched.
    const siteB = await insertSite(other, 'B hall');
    await setShards(siteB, SHARDS);
    const agentB = await registeredAgent(other, siteB);
    await post(agentB.token, f.units.sharded.slice(0, 6));
    const live = await readLive(env, liveUnits(f.sharded, f.units.sharded, SHARDS));
    f.units.sharded.forEach((unit, i) => expect(live.get(unit.id)?.powerW).toBe(3000 + i));
    const keyB = await createApiKeyFor(other);
    const res = await api(`/api/v1/miners/${f.units.sharded[0]!.id}`, { key: keyB });
    expect(res.status).toBe(404);
  });
});
