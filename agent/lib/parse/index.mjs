// Dialect registry, detection and the normalise() driver that turns a set of
// raw replies from one miner into one v1 telemetry miner object.

import { CommandError, ParseError, TransportError } from '../errors.mjs';
import { assertOk, decodeReply, section, statusOf, unpackMulti } from './reply.mjs';
import * as bmminer from './bmminer.mjs';
import * as luxos from './luxos.mjs';
import * as bosminer from './bosminer.mjs';
import * as btminer from './btminer.mjs';
import * as cgminer from './cgminer.mjs';
import * as btminer3 from './btminer3.mjs';
import { poolEntries } from './common.mjs';

/**
 * @typedef {{ name: string, optional?: boolean, static?: boolean }} CommandSpec
 * `optional`: a miner answering STATUS E (unknown command) is not an error.
 * `static`: identity data (version, model); the agent may cache it.
 */

/**
 * The v1 miner object (DESIGN.md §5). Unknown values are absent, never 0.
 * @typedef {{
 *   mac?: string, serial?: string, ip: string, vendor?: string, model?: string, firmware?: string,
 *   sampled_at?: string, state?: 'mining' | 'sleeping' | 'error',
 *   hashrate_ths?: number, hashrate_avg_ths?: number, expected_hashrate_ths?: number,
 *   board_temps_c?: number[], chip_temps_c?: number[], fans_rpm?: number[],
 *   power_w?: number, power_source?: 'miner' | 'pdu' | 'spec',
 *   pool_url?: string, pool_user?: string, uptime_s?: number, errors: string[],
 *   pool_apply?: { status: 'applied' | 'refused' | 'unreachable', message?: string, at: string },
 *   pdu?: { pdu_id: string, outlet: string, sampled_at: string, power_w?: number, energy_wh?: number }
 * }} MinerV1
 */

export const DIALECTS = /** @type {const} */ ({ bmminer, luxos, bosminer, btminer, btminer3, cgminer });

/** @typedef {keyof typeof DIALECTS} DialectName */

/** Field order of the v1 miner object. */
export const V1_FIELDS = /** @type {const} */ ([
  'mac', 'serial', 'ip', 'vendor', 'model', 'firmware', 'sampled_at', 'state',
  'hashrate_ths', 'hashrate_avg_ths', 'expected_hashrate_ths',
  'board_temps_c', 'chip_temps_c', 'fans_rpm', 'power_w', 'power_source',
  'pool_url', 'pool_user', 'uptime_s', 'errors',
]);

/**
 * Decode a reply without throwing: an object, or null.
 * @param {unknown} raw
 */
function tryDecode(raw) {
  if (raw === undefined || raw instanceof Error) return null;
  try {
    return decodeReply(/** @type {any} */ (raw));
  } catch {
    return null;
  }
}

/**
 * Guess the dialect from whatever replies are at hand (`version`,
 * `get_version`, `summary`, `stats`). The STATUS `Description` is not
 * trusted on its own: stock S19 bmminer says `cgminer 1.0.0` and Whatsminer
 * says `cgminer 4.9.2` or `btminer` depending on firmware.
 * @param {Record<string, unknown>} replies raw or decoded replies by command
 * @returns {DialectName | undefined} undefined when nothing identifies the miner
 */
export function detectDialect(replies) {
  /** @type {string[]} */
  const descriptions = [];
  /** @type {Record<string, any>[]} */
  const objects = [];
  for (const raw of Object.values(replies)) {
    const r = tryDecode(raw);
    if (!r) continue;
    const parts = unpackMulti(r);
    for (const one of parts ? Object.values(parts) : [r]) {
      objects.push(one);
      try {
        const d = statusOf(one).description;
        if (d) descriptions.push(d.toLowerCase());
      } catch {
        /* no STATUS */
      }
    }
  }
  if (objects.length === 0) return undefined;
  for (const o of objects) {
    // Whatsminer API v3 (2024-11+ firmware, its own port): {"code":0,"desc":"get.device.info","msg":{...}}
    if (typeof o.desc === 'string' && /^get\.(miner|device)\./.test(o.desc) && o.msg && typeof o.msg === 'object') return 'btminer3';
    // btminer's get_version on 4028: firmware from 2024-11 reads over API v3 (as asic-rs decides it)
    const fw = typeof o.STATUS === 'string' && o.Msg && typeof o.Msg === 'object' ? btminer3.firmwareDate(o.Msg.fw_ver) : undefined;
    if (fw !== undefined && fw >= btminer3.V3_FIRMWARE_FROM) return 'btminer3';
  }
  const desc = descriptions.join(' | ');
  if (desc.includes('luxminer')) return 'luxos';
  // Braiins OS since 22.08 ("BOSer") says `BOSer boser-buildroot …`
  if (desc.includes('bosminer') || desc.includes('boser')) return 'bosminer';
  if (desc.includes('btminer') || desc.includes('whatsminer')) return 'btminer';

  for (const o of objects) {
    if (typeof o.STATUS === 'string' && o.Msg && typeof o.Msg === 'object' && ('fw_ver' in o.Msg || 'btmineroff' in o.Msg || 'mineroff' in o.Msg)) return 'btminer';
    const v = Array.isArray(o.VERSION) ? o.VERSION[0] : undefined;
    if (v && typeof v === 'object') {
      if ('LUXminer' in v) return 'luxos';
      if ('BOSminer' in v || 'BOSminer+' in v || 'BOSer' in v) return 'bosminer';
      if ('BMMiner' in v) return 'bmminer';
      // stock-derived Antminer firmware answering as CGMiner (S9k, VNish): Type names the model
      if (typeof v.Type === 'string' && /^(Antminer|S\d)/.test(v.Type) && ('CGMiner' in v || 'Cgminer' in v)) return 'bmminer';
    }
    const sum = Array.isArray(o.SUMMARY) ? o.SUMMARY[0] : undefined;
    if (sum && typeof sum === 'object') {
      if ('Factory GHS' in sum || 'Power Mode' in sum || 'Firmware Version' in sum) return 'btminer';
      if (Object.keys(sum).some((k) => k.startsWith('GHS '))) return 'bmminer';
    }
    const stats = Array.isArray(o.STATS) ? o.STATS : [];
    if (stats.some((s) => s && typeof s === 'object' && ('BMMiner' in s || /^BTM_SOC|^BC5/.test(String(s.ID ?? ''))))) {
      return 'bmminer';
    }
    if (stats.some((s) => s && typeof s === 'object' && Object.keys(s).some((k) => k.startsWith('MM ID')))) return 'cgminer';
  }
  for (const o of objects) {
    const v = Array.isArray(o.VERSION) ? o.VERSION[0] : undefined;
    if (v && typeof v === 'object' && 'CGMiner' in v) return 'cgminer';
    if (Array.isArray(o.SUMMARY) && o.SUMMARY[0] && Object.keys(o.SUMMARY[0]).some((k) => k.startsWith('MHS '))) return 'cgminer';
  }
  return undefined;
}

/**
 * What a miner that no dialect recognises says about itself, for its
 * `errors`: the STATUS description and the VERSION fields, verbatim (capped).
 * The agent reports it as "not recognised" rather than guessing.
 * @param {Record<string, unknown>} replies
 */
export function versionText(replies) {
  /** @type {string[]} */
  const parts = [];
  for (const raw of Object.values(replies)) {
    const r = tryDecode(raw);
    if (!r) continue;
    try {
      const d = statusOf(r).description;
      if (d && !parts.includes(d)) parts.push(d);
    } catch {
      /* no STATUS */
    }
    const v = Array.isArray(r.VERSION) ? r.VERSION[0] : undefined;
    if (v && typeof v === 'object') {
      const t = Object.entries(v).map(([k, x]) => `${k}=${typeof x === 'string' ? x : JSON.stringify(x)}`).join(' ');
      if (t) parts.push(t);
    }
  }
  const text = parts.join('; ');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/**
 * One error string for the miner's `errors`.
 * @param {string} command
 * @param {unknown} err
 */
export function describeError(command, err) {
  if (err instanceof ParseError) return `parse error in ${command}: ${err.message}`;
  if (err instanceof CommandError) return `${command}: miner answered an error: ${err.message}`;
  if (err instanceof TransportError) return `${command}: ${err.message}`;
  if (err instanceof Error) return `parse error in ${command}: ${err.message}`;
  return `${command}: ${String(err)}`;
}

/**
 * Expand multi-command replies (`pools+summary+stats`) into single ones.
 * Replies that fail to decode stay raw so the driver reports them.
 * @param {Record<string, unknown>} replies
 */
function expand(replies) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [cmd, raw] of Object.entries(replies)) {
    if (cmd.includes('+') && !(raw instanceof Error)) {
      const r = tryDecode(raw);
      const parts = r && unpackMulti(r);
      if (parts) {
        for (const [k, v] of Object.entries(parts)) out[k] ??= v;
        continue;
      }
    }
    out[cmd] = raw;
  }
  return out;
}

/** The Worker accepts at most 50 errors per miner, each at most 500 characters (v1). */
export const MAX_ERRORS = 50;
export const MAX_ERROR_CHARS = 500;

/**
 * Keep a miner's errors within what the Worker accepts: each cut to
 * MAX_ERROR_CHARS, and past MAX_ERRORS the rest summed up in the last entry
 * (a miner with many fault codes must not get its whole batch refused).
 * @param {string[]} errors
 */
export function capErrors(errors) {
  const cut = errors.map((e) => (e.length > MAX_ERROR_CHARS ? `${e.slice(0, MAX_ERROR_CHARS - 1)}…` : e));
  if (cut.length <= MAX_ERRORS) return cut;
  return [...cut.slice(0, MAX_ERRORS - 1), `… and ${cut.length - (MAX_ERRORS - 1)} more errors`];
}

/** A realtime hashrate above this multiple of the unit's nominal is not believed. */
export const PLAUSIBLE_FACTOR = 1.15;

/**
 * Never report more than the unit can plausibly do. When the realtime figure
 * is above PLAUSIBLE_FACTOR × the firmware's own nominal (a 5 s spike), the
 * first smoother window the dialect offered (`_rateFallbacks`: 30 m, average…)
 * that is plausible replaces it; if none is, the realtime figure is left out
 * and the miner's errors say why.
 * @param {Record<string, any>} m
 * @param {string[]} errors
 */
function plausibleHashrate(m, errors) {
  const rt = m.hashrate_ths;
  const nominal = m.expected_hashrate_ths;
  if (typeof rt !== 'number' || typeof nominal !== 'number' || nominal <= 0) return;
  const limit = nominal * PLAUSIBLE_FACTOR;
  if (rt <= limit) return;
  const fallback = /** @type {(number | undefined)[]} */ (m._rateFallbacks ?? []).find((v) => v !== undefined && v > 0 && v <= limit);
  if (fallback !== undefined) {
    m.hashrate_ths = fallback;
    return;
  }
  delete m.hashrate_ths;
  errors.push(`hashrate ${rt} TH/s is implausible for a ${nominal} TH/s unit; not reported`);
  if (typeof m.hashrate_avg_ths === 'number' && m.hashrate_avg_ths > 0) m._hashing = true;
}

/**
 * Turn the replies one miner gave into a v1 miner object.
 * - `replies` maps a command name to its raw reply (string/Buffer), an
 *   already-decoded object, or the Error that fetching it produced.
 * - A reply that cannot be parsed adds an entry to `errors` and contributes
 *   nothing (no zeros); the other replies still count.
 * - `state` is derived by the dialect; when it cannot be (no hashrate) and
 *   something failed, it is "error".
 * @param {DialectName} dialect
 * @param {Record<string, unknown>} replies
 * @param {{ ip: string, mac?: string, sampledAt?: string }} ctx
 * @returns {MinerV1}
 */
export function normalise(dialect, replies, ctx) {
  const d = DIALECTS[dialect];
  if (!d) throw new Error(`unknown dialect ${dialect}`);
  const all = expand(replies);
  /** @type {Record<string, any>} */
  const m = {};
  /** @type {string[]} */
  const errors = [];
  /** @type {Record<string, (reply: Record<string, any>) => Record<string, any>>} */
  const extract = /** @type {any} */ (d.extract);
  const specs = /** @type {CommandSpec[]} */ (d.commands);
  const order = [...specs.map((c) => c.name), ...Object.keys(all).filter((c) => !specs.some((s) => s.name === c))];
  for (const cmd of order) {
    if (!(cmd in all)) continue;
    const fn = extract[cmd];
    if (!fn) continue; // a command this dialect takes nothing from
    const optional = specs.find((s) => s.name === cmd)?.optional === true;
    const raw = all[cmd];
    if (raw instanceof Error) {
      if (!(optional && raw instanceof CommandError)) errors.push(describeError(cmd, raw));
      continue;
    }
    try {
      const reply = decodeReply(/** @type {any} */ (raw), cmd);
      assertOk(reply, cmd);
      const fields = fn(reply);
      for (const [k, v] of Object.entries(fields)) {
        if (v === undefined) continue;
        if (k === 'errors') errors.push(...v);
        else if (m[k] === undefined) m[k] = v;
      }
    } catch (err) {
      if (optional && err instanceof CommandError) continue;
      errors.push(describeError(cmd, err));
    }
  }
  // Plain cgminer that is not an Avalon: its numbers are read, but vendor and
  // model are not guessed; the miner is flagged with what it says it is.
  // Judged only from an identity reply (version/summary) and only when every
  // reply parsed: a broken Avalon blob is a parse error, not an unknown miner.
  if (dialect === 'cgminer' && m.vendor === undefined && ('version' in all || 'summary' in all) && errors.length === 0) {
    const said = versionText(all);
    errors.push(`miner not recognised${said ? `: ${said}` : ''}`);
  }
  plausibleHashrate(m, errors);
  const state = d.finish(m, errors) ?? (m._hashing ? 'mining' : errors.length > 0 ? 'error' : undefined);
  /** @type {Record<string, any>} */
  const out = {};
  const merged = { ...m, ip: ctx.ip, mac: m.mac ?? ctx.mac, sampled_at: ctx.sampledAt, state, errors: capErrors([...new Set(errors)]) };
  for (const k of V1_FIELDS) {
    const v = /** @type {any} */ (merged)[k];
    if (v !== undefined) out[k] = v;
  }
  return /** @type {MinerV1} */ (out);
}

/**
 * The pools a `pools` reply lists (for pool management).
 * @param {unknown} raw
 */
export function parsePools(raw) {
  const reply = decodeReply(/** @type {any} */ (raw), 'pools');
  assertOk(reply, 'pools');
  return poolEntriesOf(reply);
}

/** @param {Record<string, any>} reply */
function poolEntriesOf(reply) {
  return poolEntries(section(reply, 'POOLS', 'pools'));
}

export { ParseError, CommandError };
export { decodeReply, repairJson, stripNul, unpackMulti, statusOf } from './reply.mjs';
export { tokenizeAvalon } from './avalon-tokens.mjs';
