/**
 * Agent wire format v1, telemetry batch (DESIGN.md §5). A public protocol: change it only with a
 * version bump. Unknown fields are ignored; missing optional fields stay unknown (never zero).
 * A batch with any invalid miner is rejected whole, naming the first bad field of each miner
 * (at most MAX_REPORTED_ERRORS of them).
 *
 * Hand-written rather than zod, unlike every other input: a 5,000-miner batch is validated on the
 * ingest hot path, where zod cost several times the JSON parse itself (see bench/ingest.mjs and
 * DESIGN.md §10's 2× budget). test/unit/telemetry-batch.test.ts pins every rule.
 */
export const MAX_MINERS_PER_BATCH = 10_000;
/** A batch larger than this (compressed, or once decompressed) is refused; 10,000 miners is ~6 MB. */
export const MAX_BATCH_BYTES = 16 * 1024 * 1024;
const MAX_REPORTED_ERRORS = 20;
/** A sample dated later than this ahead of the server's clock is refused (clock skew allowance). */
export const MAX_SAMPLE_FUTURE_MS = 5 * 60 * 1000;
/**
 * The spool's horizon: a sample older than this is refused. SiteState remembers batch ids for 24
 * hours (store.ts), so an older batch could no longer be told from a replay; an agent keeps such
 * a batch in its dead/ folder with the reason.
 */
export const MAX_SAMPLE_AGE_MS = 24 * 60 * 60 * 1000;

export type MinerState = 'mining' | 'sleeping' | 'error';
export const POOL_APPLY_STATUSES = ['applied', 'refused', 'unreachable'] as const;
export type PoolApplyStatus = (typeof POOL_APPLY_STATUSES)[number];
export const POOL_APPLY_MESSAGE_MAX = 256;

/** What the agent's last attempt to apply the desired pools came to (agent/README.md, `pool_apply`). */
export interface PoolApplyReport {
  status: PoolApplyStatus;
  message?: string;
  at: string;
}
export type PowerSource = 'miner' | 'pdu' | 'spec';

/**
 * A PDU outlet's reading for the unit it feeds (agent/README.md, `pdu`): the outlet's power (W)
 * and its energy counter as an unwrapped running total (Wh; only differences between two totals
 * of the same outlet mean anything, and a total that went down is a reset).
 */
export interface PduReport {
  pdu_id: string;
  outlet: string;
  sampled_at: string;
  power_w?: number;
  energy_wh?: number;
}
export const PDU_OUTLET_PATTERN = /^[0-9]{1,4}(?:\.[0-9]{1,4}){0,2}$/;

export interface TelemetryMiner {
  mac?: string;
  serial?: string;
  ip?: string;
  vendor?: string;
  model?: string;
  firmware?: string;
  sampled_at: string;
  state: MinerState;
  hashrate_ths?: number;
  hashrate_avg_ths?: number;
  expected_hashrate_ths?: number;
  board_temps_c?: number[];
  chip_temps_c?: number[];
  fans_rpm?: number[];
  power_w?: number;
  power_source?: PowerSource;
  pool_url?: string;
  pool_user?: string;
  uptime_s?: number;
  errors?: string[];
  pool_apply?: PoolApplyReport;
  pdu?: PduReport;
}

export interface TelemetryBatch {
  batch_id: string;
  sent_at: string;
  miners: TelemetryMiner[];
}

export type BatchValidation = { ok: true; batch: TelemetryBatch } | { ok: false; fields: Record<string, string> };

const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;
const MAC_PROBLEM = 'Use a MAC address like a0:b1:c2:d3:e4:f5.';
// ISO 8601 with a time zone (Z or ±hh:mm), as agents send it.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const STATES = new Set(['mining', 'sleeping', 'error']);
const SOURCES = new Set(['miner', 'pdu', 'spec']);

type Check = (value: unknown) => string | null;

// Each rule a plain function of the value, called with constant limits: see `checkMiner`.
const textProblem = (value: unknown, max: number): string | null =>
  typeof value !== 'string' ? 'Must be text.' : value.length > max ? `Use at most ${max} characters.` : null;
const numberProblem = (value: unknown, min: number, max: number): string | null =>
  typeof value !== 'number' || !Number.isFinite(value) ? 'Must be a number.' : value < min || value > max ? `Must be between ${min} and ${max}.` : null;
const wholeNumberProblem = (value: unknown, min: number, max: number): string | null =>
  numberProblem(value, min, max) ?? (Number.isInteger(value) ? null : 'Must be a whole number.');
function numberListProblem(value: unknown, maxItems: number, min: number, max: number): string | null {
  if (!Array.isArray(value)) return 'Must be a list.';
  if (value.length > maxItems) return `At most ${maxItems} items.`;
  for (let i = 0; i < value.length; i++) {
    const problem = numberProblem(value[i], min, max);
    if (problem) return problem;
  }
  return null;
}
function textListProblem(value: unknown, maxItems: number, max: number): string | null {
  if (!Array.isArray(value)) return 'Must be a list.';
  if (value.length > maxItems) return `At most ${maxItems} items.`;
  for (let i = 0; i < value.length; i++) {
    const problem = textProblem(value[i], max);
    if (problem) return problem;
  }
  return null;
}
const TIME_PROBLEM = 'Use an ISO 8601 time, like 2026-11-26T21:59:58Z.';
/** Epoch ms of an ISO 8601 time with a zone, or NaN when it is not one. */
const isoMs = (value: unknown): number => (typeof value === 'string' && ISO_TIME.test(value) ? Date.parse(value) : Number.NaN);
const time: Check = (value) => (Number.isNaN(isoMs(value)) ? TIME_PROBLEM : null);

const POOL_APPLY_KEYS = new Set(['status', 'message', 'at']);
const POOL_APPLY_STATUS_SET = new Set<string>(POOL_APPLY_STATUSES);
/**
 * `pool_apply`, checked strictly (it drives redirect progress): an object with exactly
 * status, at and an optional message (a null message is absent); anything else is refused.
 */
const poolApply: Check = (value) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'Must be an object with status, at and an optional message.';
  const report = value as Record<string, unknown>;
  const extra = Object.keys(report).find((key) => !POOL_APPLY_KEYS.has(key));
  if (extra !== undefined) return `Unknown field ${extra.slice(0, 40)}: use status, message and at.`;
  if (typeof report.status !== 'string' || !POOL_APPLY_STATUS_SET.has(report.status)) return 'status: use applied, refused or unreachable.';
  const atProblem = time(report.at);
  if (atProblem) return `at: ${atProblem}`;
  if (report.message === null) delete report.message;
  else if (report.message !== undefined) {
    const problem = textProblem(report.message, POOL_APPLY_MESSAGE_MAX);
    if (problem) return `message: ${problem}`;
  }
  return null;
};

const PDU_KEYS = new Set(['pdu_id', 'outlet', 'sampled_at', 'power_w', 'energy_wh']);
/**
 * `pdu`, checked strictly (it bills energy): an object with exactly pdu_id, outlet, sampled_at
 * and at least one of power_w and energy_wh (a whole, non-negative number of Wh).
 */
const pduReport: Check = (value) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'Must be an object with pdu_id, outlet, sampled_at, power_w and energy_wh.';
  const report = value as Record<string, unknown>;
  const extra = Object.keys(report).find((key) => !PDU_KEYS.has(key));
  if (extra !== undefined) return `Unknown field ${extra.slice(0, 40)}: use pdu_id, outlet, sampled_at, power_w and energy_wh.`;
  const id = textProblem(report.pdu_id, 64) ?? ((report.pdu_id as string).trim() === '' ? 'Must not be empty.' : null);
  if (id) return `pdu_id: ${id}`;
  if (typeof report.outlet !== 'string' || !PDU_OUTLET_PATTERN.test(report.outlet)) return 'outlet: Use the outlet number as the PDU indexes it, like 7 or 1.1.7.';
  const atProblem = time(report.sampled_at);
  if (atProblem) return `sampled_at: ${atProblem}`;
  if (report.power_w === undefined && report.energy_wh === undefined) return 'Needs power_w, energy_wh or both.';
  if (report.power_w !== undefined) {
    const problem = numberProblem(report.power_w, 0, 100_000);
    if (problem) return `power_w: ${problem}`;
  }
  if (report.energy_wh !== undefined) {
    const problem = wholeNumberProblem(report.energy_wh, 0, Number.MAX_SAFE_INTEGER);
    if (problem) return `energy_wh: ${problem}`;
  }
  return null;
};

const serialProblem = (value: unknown): string | null => textProblem(value, 64) ?? ((value as string).trim() === '' ? 'Must not be empty.' : null);
const sourceProblem = (value: unknown): string | null => (typeof value === 'string' && SOURCES.has(value) ? null : 'Use miner, pdu or spec.');

/**
 * `sampled_at` parsed once per distinct string: an agent stamps a whole poll cycle alike, so a
 * 5,000-miner batch holds a handful of times, and the regex and Date.parse per miner were a
 * measurable share of ingest (bench/README.md, "Where ingest time goes"). Also used by the fold.
 */
export class SampleTimes {
  private last: string | null = null;
  private lastMs = Number.NaN;

  /** Epoch ms of an ISO 8601 time with a zone, or NaN when the value is not one. */
  ms(value: unknown): number {
    if (value === this.last) return this.lastMs;
    const ms = isoMs(value);
    if (typeof value === 'string') {
      this.last = value;
      this.lastMs = ms;
    }
    return ms;
  }
}

/**
 * One miner: normalised in place (the parsed object is fresh and ours, and copying 20 fields for
 * each of 10,000 miners costs more than the checks), or the first problem as [field, message].
 * Nulls become absent (unknown); unknown fields stay on the object and are never read.
 */
function checkMiner(raw: unknown, now: number | undefined, times: SampleTimes): TelemetryMiner | [string, string] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return ['', 'Each miner must be an object.'];
  const miner = raw as Record<string, unknown>;
  if (miner.mac !== undefined && miner.mac !== null) {
    if (typeof miner.mac !== 'string') return ['mac', MAC_PROBLEM];
    // Agents send the canonical form; only another spelling is normalised (three new strings).
    if (!MAC.test(miner.mac)) {
      const mac = miner.mac.trim().toLowerCase().replace(/-/g, ':');
      if (!MAC.test(mac)) return ['mac', MAC_PROBLEM];
      miner.mac = mac;
    }
  } else {
    delete miner.mac;
  }
  const sampledAt = times.ms(miner.sampled_at);
  if (Number.isNaN(sampledAt)) return ['sampled_at', TIME_PROBLEM];
  if (now !== undefined) {
    if (sampledAt > now + MAX_SAMPLE_FUTURE_MS) return ['sampled_at', 'Is more than 5 minutes in the future: check the agent machine’s clock.'];
    if (sampledAt < now - MAX_SAMPLE_AGE_MS) return ['sampled_at', 'Is older than 24 hours, the spool’s horizon: such a sample can no longer be told from a replay.'];
  }
  if (typeof miner.state !== 'string' || !STATES.has(miner.state)) return ['state', 'Use mining, sleeping or error.'];
  // Optional fields in the wire format's order (the first bad one is named); absent stays absent,
  // null is deleted (unknown). One line a field, each read by name: see `textProblem`.
  let value: unknown;
  let problem: string | null;
  value = miner.serial;
  if (value === null) delete miner.serial;
  else if (value !== undefined) {
    if ((problem = serialProblem(value))) return ['serial', problem];
    miner.serial = (value as string).trim();
  }
  value = miner.ip;
  if (value === null) delete miner.ip;
  else if (value !== undefined && (problem = textProblem(value, 45))) return ['ip', problem];
  value = miner.vendor;
  if (value === null) delete miner.vendor;
  else if (value !== undefined && (problem = textProblem(value, 64))) return ['vendor', problem];
  value = miner.model;
  if (value === null) delete miner.model;
  else if (value !== undefined && (problem = textProblem(value, 96))) return ['model', problem];
  value = miner.firmware;
  if (value === null) delete miner.firmware;
  else if (value !== undefined && (problem = textProblem(value, 128))) return ['firmware', problem];
  value = miner.hashrate_ths;
  if (value === null) delete miner.hashrate_ths;
  else if (value !== undefined && (problem = numberProblem(value, 0, 100_000))) return ['hashrate_ths', problem];
  value = miner.hashrate_avg_ths;
  if (value === null) delete miner.hashrate_avg_ths;
  else if (value !== undefined && (problem = numberProblem(value, 0, 100_000))) return ['hashrate_avg_ths', problem];
  value = miner.expected_hashrate_ths;
  if (value === null) delete miner.expected_hashrate_ths;
  else if (value !== undefined && (problem = numberProblem(value, 0, 100_000))) return ['expected_hashrate_ths', problem];
  value = miner.board_temps_c;
  if (value === null) delete miner.board_temps_c;
  else if (value !== undefined && (problem = numberListProblem(value, 64, -60, 200))) return ['board_temps_c', problem];
  value = miner.chip_temps_c;
  if (value === null) delete miner.chip_temps_c;
  else if (value !== undefined && (problem = numberListProblem(value, 64, -60, 200))) return ['chip_temps_c', problem];
  value = miner.fans_rpm;
  if (value === null) delete miner.fans_rpm;
  else if (value !== undefined && (problem = numberListProblem(value, 16, 0, 100_000))) return ['fans_rpm', problem];
  value = miner.power_w;
  if (value === null) delete miner.power_w;
  else if (value !== undefined && (problem = numberProblem(value, 0, 100_000))) return ['power_w', problem];
  value = miner.power_source;
  if (value === null) delete miner.power_source;
  else if (value !== undefined && (problem = sourceProblem(value))) return ['power_source', problem];
  value = miner.pool_url;
  if (value === null) delete miner.pool_url;
  else if (value !== undefined && (problem = textProblem(value, 512))) return ['pool_url', problem];
  value = miner.pool_user;
  if (value === null) delete miner.pool_user;
  else if (value !== undefined && (problem = textProblem(value, 256))) return ['pool_user', problem];
  value = miner.uptime_s;
  if (value === null) delete miner.uptime_s;
  else if (value !== undefined && (problem = wholeNumberProblem(value, 0, 10 * 365 * 86_400))) return ['uptime_s', problem];
  value = miner.errors;
  if (value === null) delete miner.errors;
  else if (value !== undefined && (problem = textListProblem(value, 50, 500))) return ['errors', problem];
  value = miner.pool_apply;
  if (value === null) delete miner.pool_apply;
  else if (value !== undefined && (problem = poolApply(value))) return ['pool_apply', problem];
  value = miner.pdu;
  if (value === null) delete miner.pdu;
  else if (value !== undefined && (problem = pduReport(value))) return ['pdu', problem];
  if (miner.mac === undefined && miner.serial === undefined && miner.ip === undefined) {
    return ['mac', 'Each miner needs a mac, a serial or (for firmware that reports neither) its ip.'];
  }
  return miner as unknown as TelemetryMiner;
}

/**
 * With `now` (the ingest path always passes it), sample times are bounded too: at most
 * MAX_SAMPLE_FUTURE_MS ahead, at most MAX_SAMPLE_AGE_MS behind. Without it only the format is checked.
 */
export function validateTelemetryBatch(raw: unknown, now?: number): BatchValidation {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, fields: { _: 'The batch must be a JSON object.' } };
  const input = raw as Record<string, unknown>;
  const fields: Record<string, string> = {};
  if (typeof input.batch_id !== 'string' || input.batch_id.trim().length < 8 || input.batch_id.length > 64) {
    fields.batch_id = 'Use a unique batch id (a UUID).';
  }
  const sentProblem = time(input.sent_at);
  if (sentProblem) fields.sent_at = sentProblem;
  if (!Array.isArray(input.miners)) {
    fields.miners = 'Send the miners as a list.';
    return { ok: false, fields };
  }
  if (input.miners.length > MAX_MINERS_PER_BATCH) {
    fields.miners = `At most ${MAX_MINERS_PER_BATCH} miners per batch.`;
    return { ok: false, fields };
  }
  const miners: TelemetryMiner[] = new Array(input.miners.length);
  let problems = Object.keys(fields).length;
  const times = new SampleTimes();
  for (let i = 0; i < input.miners.length && problems < MAX_REPORTED_ERRORS; i++) {
    const result = checkMiner(input.miners[i], now, times);
    if (Array.isArray(result)) {
      fields[result[0] ? `miners.${i}.${result[0]}` : `miners.${i}`] = result[1];
      problems += 1;
    } else {
      miners[i] = result;
    }
  }
  if (problems > 0) return { ok: false, fields };
  return { ok: true, batch: { batch_id: (input.batch_id as string).trim(), sent_at: input.sent_at as string, miners } };
}

/**
 * How a miner is identified: its MAC; else its serial; else, for firmware that reports neither
 * (stock Antminer over the API, when the agent cannot see it in ARP), its IP within the site.
 */
export const minerKey = (miner: { mac?: string | null; serial?: string | null; ip?: string | null }): string =>
  miner.mac ? `mac:${miner.mac}` : miner.serial ? `serial:${miner.serial}` : `ip:${miner.ip}`;
