import type { TelemetryBatch } from '../telemetry/batch';
import type { HistoryPoint, LiveMiner, SiteSummary } from '../telemetry/types';
import type { LiveTotals } from './aggregate';
import type { ShardRef } from './shard';
import type { RankedPage, RankedPageRequest, SortedPage, SortedPageRequest } from '../telemetry/live-sort';

/**
 * What the Worker may call on a site's SiteState (RPC), as types only: `src/env.ts` types the
 * namespace binding with this interface rather than the class, so the bindings do not depend on
 * the object's implementation (and everything it imports). `SiteState implements SiteStateApi`
 * keeps the two in step. A new RPC method is added here and in `site-state.ts`.
 */
export interface SiteStateApi extends Rpc.DurableObjectBranded {
  /** The agent API's entry point: the body as the agent sent it (gzip or plain JSON). */
  ingestBody(context: IngestContext, body: ArrayBuffer, encoding: 'gzip' | 'identity'): Promise<IngestOutcome>;
  /** A validated batch (tests and internal callers). */
  ingest(context: IngestContext, batch: TelemetryBatch): Promise<IngestResult>;
  live(minerIds: string[]): Promise<LiveMiner[]>;
  /** One page of a live-sorted (and status-filtered) list, sorted inside the object: only the page comes back. */
  sortedPage(request: SortedPageRequest): Promise<SortedPage>;
  /** A whole fleet's live sort (and totals, live state, chart) from the object's own registry: no candidate ids sent. */
  rankedPage(request: RankedPageRequest): Promise<RankedPage>;
  summary(): Promise<SiteSummary>;
  totals(minerIds: string[]): Promise<LiveTotals>;
  history(minerIds: string[], sinceMs: number): Promise<HistoryPoint[]>;
  /** A customer's chart: the buckets closed while the customer owned each unit, plus its units' open buckets. */
  customerHistory(customerId: string, sinceMs: number): Promise<HistoryPoint[]>;
  /** The pool guard re-reads owner pools, active redirects and notice opt-ins from D1 now. */
  refreshPoolFacts(): Promise<void>;
  /** The host closed (src/team/close.ts): roll up the usage it holds, then no more alarms. */
  stopForClosedHost(): Promise<void>;
  /** The closed host's data is deleted: everything this object stores goes too. */
  forget(): Promise<void>;
  /** Development only (`npm run bench`): the alarm run at a simulated `now`, each step timed. */
  benchAlarm(now: number): Promise<{ totalMs: number; steps: Record<AlarmStep, number> }>;
  /** Development only (`npm run bench`): a full checkpoint and a reload timed, state and storage sized. */
  benchFigures(): Promise<SiteBenchFigures>;
}

/** The alarm's steps as the bench times them: D1 refreshes, the SQLite transaction (checkpoint included), D1 writes, pruning. */
export type AlarmStep = 'refresh' | 'transaction' | 'd1' | 'prune';

export interface SiteBenchFigures {
  miners: number;
  /** One checkpoint of every miner, in its own transaction. */
  checkpointMs: number;
  /** The in-memory state rebuilt from storage, as after an eviction. */
  reloadMs: number;
  /** The state as the snapshot serialises it: a lower bound of its size in memory. */
  stateJsonBytes: number;
  /** `ctx.storage.sql.databaseSize`. */
  databaseBytes: number;
}

export interface IngestContext {
  hostId: string;
  siteId: string;
  /**
   * The origin the agent reached the platform at (scheme, APP_HOST, port): the object keeps the
   * latest for links in the emails it sends (src/portal/links.ts). Absent from tests and old callers.
   */
  origin?: string;
  /**
   * Which shard of the site this object is (src/live/shard.ts), when the site has more than one:
   * the Worker split the batch and this is the part whose units hash here. Absent: the only shard.
   */
  shard?: ShardRef;
}

export type IngestOutcome =
  | { ok: true; result: IngestResult }
  | { ok: false; reason: 'bad_json' | 'bad_gzip' | 'too_large' }
  | { ok: false; reason: 'invalid'; fields: Record<string, string> };

export interface IngestResult {
  duplicate: boolean;
  accepted: number;
  /** Miners reported for the first time and added to inventory as staged. */
  staged: number;
  /** Miners written nowhere: another site's unit, or beyond the site's staging cap. */
  refused: RefusedMiner[];
}

/** A reported miner the site refused, named by its key (`mac:…`, `serial:…`, `ip:…`). */
export interface RefusedMiner {
  key: string;
  /** `other_site`: the unit belongs to another site (or none); `staging_cap`: the site's staging cap is reached. */
  reason: 'other_site' | 'staging_cap';
}
