import { DurableObject } from 'cloudflare:workers';
import type { Bindings } from '../env';
import type { TelemetryBatch } from '../telemetry/batch';
import type { HistoryPoint, LiveKey, LiveMiner, SiteSummary } from '../telemetry/types';
import { liveTotals, type LiveTotals } from './aggregate';
import { AlertTracker } from './alert-tracker';
import type { AlarmStep, IngestContext, IngestOutcome, IngestResult, SiteBenchFigures, SiteStateApi } from './contract';
import { closeQuietPeriods, emptyEffects, foldSamples, newestOf, type FoldEffects } from './fold';
import { decodeBatch } from './decode';
import { gzip } from './gzip';
import { HistoryRoom, WHOLE_SITE } from './history';
import { toLive, toLiveKey, type MinerStates } from './miner-state';
import { PoolGuard } from './pool-guard';
import { MinerRegistry, REGISTRY_REFRESH_MS } from './registry';
import { LiveStore } from './store';
import { UsageRoom } from './usage';
import { compareSorted, liveSortValue, sortedPageOf, sortedSlice, type RankedEntry, type RankedPage, type RankedPageRequest, type SortedPage, type SortedPageRequest } from '../telemetry/live-sort';

export type { IngestContext, IngestOutcome, IngestResult } from './contract';

/**
 * SiteState: the live state of one site's miners (DESIGN.md §4), one object per site
 * (`getByName(siteId)`), SQLite-backed, RPC methods only (`contract.ts`).
 *
 * A thin facade: it owns the in-memory state and the order of steps, and each job lives in its
 * own room, each with its own tables (docs/ARCHITECTURE.md, "Live miner state"):
 * - `store.ts`      identity, journal of accepted batches, snapshot, seen batch ids;
 * - `registry.ts`   reported miner → inventory row (staging unknown miners in D1);
 * - `fold.ts`       a batch folded into the state (pure), and the buckets and hours it closed;
 * - `alert-tracker.ts` per-sample and silent-miner alert rules, their D1 records and emails;
 * - `usage.ts`      closed hours of energy, rolled up to D1 `usage_hourly`;
 * - `history.ts`    closed 5-minute buckets and the chart cache;
 * - `pool-guard.ts` reported pool vs desired pool: the pool guard and the customer's pool-change notice.
 * A new job gets a room of its own: its tables in its `migrate`, a per-sample rule fed the fold's
 * `advanced` samples in `accept`, a periodic step in `alarm`.
 *
 * Alarms run at least once, so every alarm step is idempotent.
 * @see https://developers.cloudflare.com/durable-objects/api/alarms/
 * Bulk statements pass rows as one JSON parameter read with json_each: a Durable Object's SQL
 * (and D1) allow at most 100 bound parameters per statement.
 * @see https://developers.cloudflare.com/durable-objects/platform/limits/
 */

const ALARM_EVERY_MS = 60_000;

/**
 * workerd's clock advances only on I/O, so a duration read across synchronous work is 0: a zero
 * timer lets the clock catch up before it is read (the bench's timings only).
 * @see https://developers.cloudflare.com/workers/reference/security-model/#step-1-disallow-timers-and-multi-threading
 */
const ioClock = () => new Promise<number>((resolve) => setTimeout(() => resolve(Date.now()), 0));
const POOL_FACTS_KEY = 'pool_facts_refreshed_at';
/** `false` in the production build ([env.production.define] in wrangler.toml; src/app.tsx). */
declare const HASHYARD_DEV_ROUTES: boolean | undefined;
const DEVELOPMENT_ONLY = 'SiteState: bench methods are for development only';
/** D1's newest `miners.updated_at` of the host when the registry was last re-read (`rankedPage`), and when (this object's clock). */
const UNITS_VERSION_KEY = 'registry_units_version';
const UNITS_READ_AT_KEY = 'registry_units_read_at';
/**
 * How long after D1's newest change to a host's units a registry read may have missed a write
 * stamped no later than it: one in flight while the read ran (the same millisecond), or stamped
 * by a Worker whose clock lags. Reads within it refresh again, so the last refresh always comes
 * after the change has settled.
 */
const UNITS_SETTLE_MS = 5_000;

export class SiteState extends DurableObject<Bindings> implements SiteStateApi {
  private readonly store: LiveStore;
  private readonly registry: MinerRegistry;
  private readonly alerts: AlertTracker;
  private readonly usage: UsageRoom;
  private readonly historyRoom: HistoryRoom;
  private readonly poolGuard: PoolGuard;
  /** In-memory state, rebuilt from snapshot + journal by `states()`; null until then. */
  private miners: MinerStates | null = null;
  private loading: Promise<MinerStates> | null = null;
  /** A registry refresh under way (`refreshRegistry`), shared by the reads that asked for it. */
  private refreshing: Promise<void> | null = null;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    this.store = new LiveStore(sql);
    this.registry = new MinerRegistry(sql, env.DB);
    this.alerts = new AlertTracker(sql, env);
    this.usage = new UsageRoom(sql, env.DB);
    this.historyRoom = new HistoryRoom(sql);
    this.poolGuard = new PoolGuard(sql, env.DB);
    ctx.blockConcurrencyWhile(async () => {
      for (const room of [LiveStore, MinerRegistry, AlertTracker, UsageRoom, HistoryRoom, PoolGuard]) room.migrate(sql);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Ingest.

  /**
   * The agent API's entry point: the body as the agent sent it (gzip or plain JSON). Parsed and
   * validated here, so the payload crosses the RPC boundary once, as bytes; a batch with any
   * invalid miner is rejected whole and nothing is written.
   */
  async ingestBody(context: IngestContext, body: ArrayBuffer, encoding: 'gzip' | 'identity'): Promise<IngestOutcome> {
    const decoded = await decodeBatch(body, encoding, Date.now());
    if (!decoded.ok) return decoded;
    const journal = encoding === 'gzip' ? body : await gzip(decoded.text);
    return { ok: true, result: await this.accept(context, decoded.batch, journal) };
  }

  /** A validated batch (tests and internal callers); stored in the journal like any other. */
  async ingest(context: IngestContext, batch: TelemetryBatch): Promise<IngestResult> {
    return this.accept(context, batch, await gzip(JSON.stringify(batch)));
  }

  private async accept(context: IngestContext, batch: TelemetryBatch, journal: ArrayBuffer): Promise<IngestResult> {
    this.store.bind(context);
    this.store.rememberPlatformOrigin(context.origin);
    // The site's shard count grew: the units that now hash elsewhere are forgotten here at once.
    if (this.store.rememberShard(context.shard)) this.registry.keepShard(this.store.shard());
    // A shard's part carries the agent's batch id; the shard is appended, so a replayed batch is
    // recognised by each shard that already has its part, and a part that failed is taken again.
    const batchId = context.shard && context.shard.count > 1 ? `${batch.batch_id}:${context.shard.index}` : batch.batch_id;
    if (this.store.seen(batchId)) return { duplicate: true, accepted: 0, staged: 0, refused: [] };
    // Each miner's registry entry, matched once for the registry and the fold (again only if the
    // registry changed meanwhile: new miners resolved, or a refresh during one of the awaits).
    let regs = this.registry.match(batch.miners);
    const matchedAt = this.registry.version;
    const { staged, refused } = await this.registry.resolve(context, batch.miners, regs);
    // The guard's facts are read once when the object first ingests, then on the registry's cadence.
    if (this.store.meta(POOL_FACTS_KEY) === null) await this.refreshPoolFacts();
    const rules = await this.alerts.rules(context.hostId);
    const states = await this.states();
    if (this.registry.version !== matchedAt) regs = this.registry.match(batch.miners);
    // One sample per known unit: what the fold takes, and how many units the batch reported.
    const samples = newestOf(batch.miners, regs);
    const now = Date.now();
    try {
      this.ctx.storage.transactionSync(() => {
        const effects = emptyEffects();
        const advanced = foldSamples(states, samples, effects);
        this.writeEffects(effects);
        // Per-sample rules: each takes the samples that advanced a miner, in this transaction.
        this.alerts.evaluateReported(advanced, rules, now);
        this.poolGuard.evaluate(advanced, now);
        this.store.append(batchId, batch.miners.length > 0 ? journal : null, now);
      });
    } catch (error) {
      // The transaction rolled back; the in-memory state may not have: rebuild it from storage.
      this.miners = null;
      this.alerts.forget();
      this.poolGuard.forget();
      throw error;
    }
    await this.ensureAlarm();
    await this.alerts.flush(this.store.site(), this.store.platformOrigin()).catch((error: unknown) => console.error('SiteState: alert flush deferred to the alarm', error));
    return { duplicate: false, accepted: samples.size, staged, refused };
  }

  /**
   * Closed buckets and hours (and late samples) go to their rooms' rows. Each effect is written
   * exactly once: in the same transaction as the journal entry that caused it (a replay of that
   * entry writes nothing), or in the alarm's transaction with the checkpoint that forgets the
   * closed period. So the rooms may add to a row rather than replace it. A bucket is summed into
   * the customer the registry says owns its miner as it closes (`HistoryRoom.add`).
   */
  private writeEffects(effects: FoldEffects) {
    this.historyRoom.add([...effects.closedBuckets, ...effects.lateBuckets], (minerId) => this.registry.ownerOf(minerId));
    this.usage.add(effects.closedHours);
  }

  /** The miners' state, loading it once per object lifetime (snapshot, then journal replay). */
  private async states(): Promise<MinerStates> {
    if (this.miners) return this.miners;
    this.loading ??= this.store
      .load((states, miners) => foldSamples(states, newestOf(miners, this.registry.match(miners)), null))
      .then((states) => (this.miners = states))
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  // -------------------------------------------------------------------------------------------
  // The alarm: registry refresh, offline detection, buckets and hours that closed, checkpoint,
  // alert records, hourly usage roll-up to D1, retention.

  private async ensureAlarm() {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + ALARM_EVERY_MS);
  }

  override async alarm() {
    await this.runAlarm(Date.now());
  }

  /**
   * The alarm's steps at `now`. `lap` (the bench only, `benchAlarm`) is awaited after each step
   * to time it; the alarm itself passes none.
   */
  private async runAlarm(now: number, lap?: (step: AlarmStep) => Promise<void>) {
    const site = this.store.site();
    if (!site) return;
    if (now - Number(this.store.meta('registry_refreshed_at') ?? 0) >= REGISTRY_REFRESH_MS) await this.refreshRegistry(now);
    if (now - Number(this.store.meta(POOL_FACTS_KEY) ?? 0) >= REGISTRY_REFRESH_MS) await this.refreshPoolFacts();
    const rules = await this.alerts.rules(site.hostId);
    const states = await this.states();
    await lap?.('refresh');
    try {
      this.ctx.storage.transactionSync(() => {
        this.alerts.evaluateSilent(states, this.registry.customersById(), this.store.lastReportAt(), rules, now);
        this.writeEffects(closeQuietPeriods(states, now));
        this.dropUnregistered(states);
        this.store.checkpoint(states);
      });
    } catch (error) {
      // Rolled back, but closeQuietPeriods already forgot the closed buckets and hours in memory:
      // rebuild from storage, so the retried alarm closes (and writes) them again, once.
      this.miners = null;
      this.alerts.forget();
      throw error;
    }
    await lap?.('transaction');
    await this.alerts.flush(site, this.store.platformOrigin());
    await this.rollUpUsage(now);
    await lap?.('d1');
    this.historyRoom.prune(now);
    this.store.prune(now);
    this.usage.prune(now);
    await this.ctx.storage.setAlarm(Date.now() + ALARM_EVERY_MS);
    await lap?.('prune');
  }

  /**
   * A unit the registry no longer maps here (moved to another site, or to another shard of this
   * one when the site's shard count grew) leaves the state once its bucket and hour have closed
   * and been written: its history stays here and is still summed, since reads cover every shard.
   */
  private dropUnregistered(states: MinerStates) {
    for (const [minerId, miner] of states) if (!miner.bucket && !miner.hour && !this.registry.knows(minerId)) states.delete(minerId);
  }

  /**
   * Re-reads the registry's units from D1 (assignments, sites, the lists' columns), noting D1's
   * newest change to the host's units as of before the read (`UNITS_VERSION_KEY`): a change made
   * after it carries a later `updated_at`, so `rankedPage` sees the registry is behind. One refresh
   * at a time; callers meanwhile share it.
   */
  private refreshRegistry(now = Date.now()): Promise<void> {
    this.refreshing ??= (async () => {
      const site = this.store.site();
      if (!site) return;
      const newest = await this.env.DB.prepare('SELECT coalesce(max(updated_at), 0) AS version FROM miners WHERE host_id = ?1').bind(site.hostId).first<{ version: number }>();
      await this.registry.refresh(site.hostId, site.siteId, this.store.shard());
      this.store.setMeta('registry_refreshed_at', String(now));
      this.store.setMeta(UNITS_VERSION_KEY, String(newest?.version ?? 0));
      this.store.setMeta(UNITS_READ_AT_KEY, String(Date.now()));
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  async stopForClosedHost(): Promise<void> {
    if (this.store.site()) await this.rollUpUsage(Date.now());
    await this.ctx.storage.deleteAlarm();
  }

  async forget(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.historyRoom.forgetCaches();
  }

  /**
   * Re-reads the pool guard's facts from D1 now (owner pools, active redirects, the customers'
   * notice opt-in). The alarm does it every few minutes; a caller that just changed them (a
   * redirect started or ended) may call it so the guard knows at once.
   */
  async refreshPoolFacts(): Promise<void> {
    const site = this.store.site();
    if (!site) return;
    await this.poolGuard.refresh(site.hostId, [...this.registry.customersById().keys()]);
    this.store.setMeta(POOL_FACTS_KEY, String(Date.now()));
  }

  /** Completed hours to D1 `usage_hourly` (the alarm; public so tests can re-run it). */
  async rollUpUsage(now = Date.now()): Promise<number> {
    const site = this.store.site();
    if (!site) return 0;
    return this.usage.rollUp(site, this.registry.customersById(), now);
  }

  // -------------------------------------------------------------------------------------------
  // Reads for pages and the API.

  async live(minerIds: string[]): Promise<LiveMiner[]> {
    if (minerIds.length === 0) return [];
    const { liveOf } = await this.liveReader();
    return minerIds.flatMap((id) => liveOf(id) ?? []);
  }

  /**
   * One page of a live sort over the given candidates (`live-sort.ts`): sorted and filtered here,
   * over the in-memory state, so a sort over thousands of units sends back one page and never
   * every unit's value (the Worker used to fetch every candidate's keys and sort them itself).
   */
  async sortedPage(request: SortedPageRequest): Promise<SortedPage> {
    const { keyOf, liveOf } = await this.liveReader();
    return sortedPageOf(request, keyOf, liveOf, liveTotals);
  }

  /**
   * A whole fleet's live sort from the registry (`RankedPageRequest`): the scope's units in the
   * list's own order (`MinerRegistry.inOrder`), those with a value sorted by it (ties keep that
   * order), and the page of them asked for; with the scope's totals, the live state of `liveIds`
   * and the customer's chart when asked. The registry is re-read from D1 first when D1 has a
   * change to the host's units newer than its last read, so whom a unit belongs to is never
   * minutes stale here. The Worker still reads the page's rows from D1 within its own scope.
   */
  async rankedPage(request: RankedPageRequest): Promise<RankedPage> {
    if (this.registryBehind(request.unitsVersion)) await this.refreshRegistry();
    const { keyOf, liveOf } = await this.liveReader();
    const units = this.registry.inOrder(request.list);
    const { sort, customerId } = request;
    const head: RankedEntry[] = [];
    const keys: LiveKey[] = [];
    for (let index = 0; index < units.length; index++) {
      const unit = units[index]!;
      if (customerId !== null && (unit.customerId !== customerId || unit.status !== 'assigned')) continue;
      const key = keyOf(unit.minerId);
      if (!key) continue;
      // The whole site's totals (the staff dashboard) leave retired units out, as its count does.
      if (request.totals && unit.status !== 'retired') keys.push(key);
      if (sort === null) continue;
      const value = liveSortValue(sort, key);
      if (value !== null) head.push({ minerId: unit.minerId, value, index, tie: unit.tie });
    }
    const entries = sort === null ? [] : sortedSlice(head, compareSorted(request.descending), request.offset, request.limit);
    const liveIds = request.liveIds ?? [];
    const history = request.historySince !== undefined ? await this.customerHistory(customerId ?? WHOLE_SITE, request.historySince) : null;
    return {
      valued: head.length,
      entries,
      live: [...entries.map((entry) => entry.minerId), ...liveIds].flatMap((minerId) => liveOf(minerId) ?? []),
      totals: request.totals ? liveTotals(keys) : null,
      history,
      unitsAsOf: Number(this.store.meta(UNITS_VERSION_KEY) ?? -1),
    };
  }

  /**
   * Whether the registry may not reflect D1's units as of `unitsVersion` (D1's newest change to
   * the host's units, which the Worker read): a newer change, or a last read that ran within
   * UNITS_SETTLE_MS of the newest change, or entries stored before the lists' columns existed.
   */
  private registryBehind(unitsVersion: number): boolean {
    const asOf = Number(this.store.meta(UNITS_VERSION_KEY) ?? -1);
    const readAt = Number(this.store.meta(UNITS_READ_AT_KEY) ?? 0);
    return unitsVersion > asOf || readAt - asOf < UNITS_SETTLE_MS || this.registry.unlabelled();
  }

  async summary(): Promise<SiteSummary> {
    return { ...(await this.totalsOf(null)), lastReportAt: this.store.lastReportAt() };
  }

  /**
   * The same totals as summary(), over the given miners only: what a customer's fleet summary
   * needs without shipping every miner's state across the RPC boundary. `miners` counts those
   * this site has state for; the caller counts the rest as never reported.
   */
  async totals(minerIds: string[]): Promise<LiveTotals> {
    return this.totalsOf(minerIds);
  }

  private async totalsOf(minerIds: string[] | null): Promise<LiveTotals> {
    const { keyOf } = await this.liveReader();
    const ids = minerIds ?? [...(await this.states()).keys()];
    const keys: LiveKey[] = [];
    for (const id of ids) {
      const key = keyOf(id);
      if (key) keys.push(key);
    }
    return liveTotals(keys);
  }

  /**
   * Each miner's live state as of now (`toLive`: its status judged by this host's offline rule
   * and the site's last report), and the lighter `toLiveKey` (status and sorted values) that sorts
   * and totals read of every candidate; undefined for a miner this site has no state for. The one
   * conversion behind live, sortedPage and the totals.
   */
  private async liveReader(): Promise<{ liveOf: (minerId: string) => LiveMiner | undefined; keyOf: (minerId: string) => LiveKey | undefined }> {
    const rules = await this.alerts.rules(this.store.meta('host_id'));
    const states = await this.states();
    const now = Date.now();
    const siteLast = this.store.lastReportAt();
    const offlineMs = rules.offlineMinutes * 60_000;
    // Only the units the registry maps here: a unit that moved on (another site or shard) is
    // answered by the object that holds it now.
    const held = (minerId: string) => {
      const miner = states.get(minerId);
      return miner && this.registry.knows(minerId) ? miner : undefined;
    };
    return {
      liveOf: (minerId) => {
        const miner = held(minerId);
        return miner && toLive(miner, now, siteLast, offlineMs);
      },
      keyOf: (minerId) => {
        const miner = held(minerId);
        return miner && toLiveKey(miner, now, siteLast, offlineMs);
      },
    };
  }

  /** 5-minute points summed over the given miners since `sinceMs` (`history.ts`): one unit, or any subset. */
  async history(minerIds: string[], sinceMs: number): Promise<HistoryPoint[]> {
    if (minerIds.length === 0) return [];
    const states = await this.states();
    return this.historyRoom.read(minerIds, sinceMs, states, Date.now());
  }

  /**
   * A customer's 5-minute points since `sinceMs`: the buckets this site's miners closed while the
   * customer owned them (one row per bucket, whatever the fleet size), plus the open buckets of
   * the miners the customer owns now (`HistoryRoom.readCustomer`). WHOLE_SITE: every miner's.
   */
  async customerHistory(customerId: string, sinceMs: number): Promise<HistoryPoint[]> {
    const states = await this.states();
    return this.historyRoom.readCustomer(customerId, sinceMs, states, (minerId) => customerId === WHOLE_SITE || this.registry.ownerOf(minerId) === customerId);
  }

  // -------------------------------------------------------------------------------------------
  // Development only: `npm run bench` (bench/site.mjs, through /dev/bench). Production refuses.
  // A Durable Object's methods cannot be left out of a build, so each one returns first where
  // HASHYARD_DEV_ROUTES is defined false: esbuild drops what follows from the production bundle.
  // (Where it is built, `developmentOnly` still refuses when ENVIRONMENT is production.)

  /** The alarm run at `now` (a simulated minute), each step timed. */
  async benchAlarm(now: number): Promise<{ totalMs: number; steps: Record<AlarmStep, number> }> {
    if (typeof HASHYARD_DEV_ROUTES !== 'undefined' && !HASHYARD_DEV_ROUTES) throw new Error(DEVELOPMENT_ONLY);
    this.developmentOnly();
    const steps: Record<AlarmStep, number> = { refresh: 0, transaction: 0, d1: 0, prune: 0 };
    const start = await ioClock();
    let last = start;
    await this.runAlarm(now, async (step) => {
      const at = await ioClock();
      steps[step] = at - last;
      last = at;
    });
    return { totalMs: last - start, steps };
  }

  /**
   * Times what the alarm does with the state, apart from the rest of its transaction: one
   * checkpoint of every miner, then dropping the in-memory state and rebuilding it from storage
   * as an evicted object does (snapshot + journal); and sizes the state and the storage.
   */
  async benchFigures(): Promise<SiteBenchFigures> {
    if (typeof HASHYARD_DEV_ROUTES !== 'undefined' && !HASHYARD_DEV_ROUTES) throw new Error(DEVELOPMENT_ONLY);
    this.developmentOnly();
    const states = await this.states();
    const checkpointStart = await ioClock();
    this.ctx.storage.transactionSync(() => this.store.checkpoint(states));
    const checkpointMs = (await ioClock()) - checkpointStart;
    let stateJsonBytes = 0;
    for (const miner of states.values()) stateJsonBytes += JSON.stringify(miner).length;
    this.miners = null;
    const reloadStart = await ioClock();
    const reloaded = await this.states();
    const reloadMs = (await ioClock()) - reloadStart;
    return { miners: reloaded.size, checkpointMs, reloadMs, stateJsonBytes, databaseBytes: this.ctx.storage.sql.databaseSize };
  }

  private developmentOnly() {
    if (this.env.ENVIRONMENT === 'production') throw new Error(DEVELOPMENT_ONLY);
  }
}
