// cgminer: the generic CGMiner API, as served by Canaan AvalonMiner (and
// anything else that speaks plain cgminer). Hashrates in MH/s. Avalon keeps
// its telemetry in a bracketed text blob inside `stats` (`MM ID0`, or
// `MM ID0:Summary` + `HBinfo` on newer models), read with the Key[value]
// tokenizer. `When` is uptime on older Avalon firmware, so it is never used
// as a clock.

import { ParseError } from '../errors.mjs';
import { section } from './reply.mjs';
import { int, list, normaliseMac, poolEntries, poolFields, firstRateThs, rateThs, str, tempC, toThs } from './common.mjs';
import { tokenizeAvalon, tokenNumber, tokenNumbers } from './avalon-tokens.mjs';

export const name = 'cgminer';

/** Answers cgminer's multi-command requests (`summary+stats+pools`). */
export const multi = true;

/** @type {import('./index.mjs').CommandSpec[]} */
export const commands = [
  { name: 'version', optional: true, static: true },
  { name: 'summary' },
  { name: 'stats' },
  { name: 'devs', optional: true },
  { name: 'pools' },
];

/** Realtime window preference: the 30 s (Avalon) or 1 m figure over the spiky 5 s one. */
const REALTIME = ['30s', '1m', '5s'];

/**
 * "1047-20051101_85dc6f0_0332654" → "AvalonMiner 1047";
 * "15-194-24102401_…" → "AvalonMiner 15-194"; "Q-25052801_…" → "Avalon Q".
 * @param {string | undefined} ver
 */
export function avalonModelFromVer(ver) {
  if (!ver) return undefined;
  // old AUC-chained modules: "7411706-3162860" is model 741, built 2017-06
  const old = /^(\d{3})\d{4}-[0-9a-f]+$/.exec(ver);
  if (old) return `AvalonMiner ${old[1]}`;
  const m = /^(.*?)-?\d{8}_/.exec(ver);
  const prefix = m?.[1]?.replace(/-$/, '');
  if (!prefix) return undefined;
  return /^[A-Za-z]+$/.test(prefix) ? `Avalon ${prefix}` : `AvalonMiner ${prefix}`;
}

/**
 * Flatten an Avalon module blob: the older layout is flat; the newer one wraps
 * everything in `'STATS':{...}` and puts per-board data under `HBinfo` →
 * `'HB0':{...}`.
 * @param {Record<string, any>} entry a STATS entry
 * @param {string} key the MM key ("MM ID0" or "MM ID0:Summary")
 */
function avalonTokens(entry, key) {
  const raw = tokenizeAvalon(entry[key]);
  /** @type {Record<string, string>} */
  const flat = {};
  /** @param {import('./avalon-tokens.mjs').AvalonTokens} t */
  const absorb = (t) => {
    for (const [k, v] of Object.entries(t)) {
      if (typeof v === 'string') flat[k] ??= v;
      else absorb(v);
    }
  };
  absorb(raw);
  if (typeof entry.HBinfo === 'string') absorb(tokenizeAvalon(entry.HBinfo));
  return flat;
}

/**
 * Fields from one Avalon module's tokens.
 * @param {Record<string, string>} t
 */
function avalonModule(t) {
  /** @type {string[]} */
  const errors = [];
  const mtavg = tokenNumbers(t.MTavg, 'MTavg');
  const mtmax = tokenNumbers(t.MTmax, 'MTmax');

  /** @type {(number|undefined)[] | undefined} */
  let boards = mtavg?.map((v) => tempC(v));
  if (!boards?.some((v) => v !== undefined)) {
    // Avalon Q: hashboard inlet/outlet sensors, one board
    const hbi = tempC(tokenNumber(t.HBITemp, 'HBITemp'));
    const hbo = tempC(tokenNumber(t.HBOTemp, 'HBOTemp'));
    const best = hbi === undefined ? hbo : hbo === undefined ? hbi : Math.max(hbi, hbo);
    // old 7xx–9xx modules have one sensor per module, `Temp[]`
    const temp = tempC(tokenNumber(t.Temp, 'Temp'));
    boards = best !== undefined ? [best] : temp !== undefined && !('MTavg' in t) ? [temp] : undefined;
  }

  /** @type {(number|undefined)[] | undefined} */
  let chips = mtmax?.map((v) => tempC(v));
  if (!chips?.some((v) => v !== undefined)) {
    // hottest chip sensor per board from PVT_T0, PVT_T1, ...
    chips = [];
    for (let i = 0; `PVT_T${i}` in t; i++) {
      const vals = (tokenNumbers(t[`PVT_T${i}`], `PVT_T${i}`) ?? []).map((v) => tempC(v)).filter((v) => v !== undefined);
      chips.push(vals.length ? Math.max(.../** @type {number[]} */ (vals)) : undefined);
    }
    // old 7xx–9xx modules: the module's hottest chip is `TMax[]`
    const tmax = tempC(tokenNumber(t.TMax, 'TMax'));
    if (chips.length === 0 && tmax !== undefined && !('MTmax' in t)) chips = [tmax];
  }

  /** @type {[number, number][]} */
  const fans = [];
  for (const k of Object.keys(t)) {
    // `Fan1..FanN`; old 7xx–9xx modules have a single `Fan[]`
    const m = /^Fan(\d*)$/.exec(k);
    if (m) {
      const v = tokenNumber(t[k], k);
      if (v !== undefined) fans.push([Number(m[1] || 1), Math.round(v)]);
    }
  }
  fans.sort((a, b) => a[0] - b[0]);

  // Wall power: WALLPOWER[] where present, else the 7th field of PS[];
  // PS[0 0 0 0 0 0] (6 fields, all zero) means no reading.
  let power = tokenNumber(t.WALLPOWER, 'WALLPOWER');
  if (power === undefined) {
    const ps = tokenNumbers(t.PS, 'PS');
    power = ps && ps.length >= 7 ? ps[6] : undefined;
  }
  if (power !== undefined && power <= 0) power = undefined;

  (tokenNumbers(t.ECHU, 'ECHU') ?? []).forEach((code, i) => {
    if (code !== 0) errors.push(`avalon hashboard ${i} error code ${code}`);
  });
  const ecmm = tokenNumber(t.ECMM, 'ECMM');
  if (ecmm !== undefined && ecmm !== 0) errors.push(`avalon controller error code ${ecmm}`);
  if (t.POW_I2C !== undefined && /fail/i.test(t.POW_I2C)) errors.push('avalon power supply not readable (POW_I2C FAILED)');

  const spd = tokenNumber(t.GHSspd, 'GHSspd');
  const avg = tokenNumber(t.GHSavg, 'GHSavg');
  const elapsed = tokenNumber(t.Elapsed, 'Elapsed');
  return {
    ver: t.Ver,
    boards: boards ?? [],
    chips,
    fans: fans.map(([, v]) => v),
    power,
    errors,
    idle: typeof t.SYSTEMSTATU === 'string' && /In Idle/i.test(t.SYSTEMSTATU),
    spd: spd === undefined ? undefined : toThs(spd, 'GH'),
    avg: avg === undefined ? undefined : toThs(avg, 'GH'),
    elapsed: elapsed === undefined ? undefined : Math.round(elapsed),
  };
}

export const extract = {
  /** @param {Record<string, any>} reply */
  version(reply) {
    const v = section(reply, 'VERSION', 'version')[0] ?? {};
    const prod = str(v.PROD);
    const model = str(v.MODEL);
    const avalon = (prod && /avalon/i.test(prod)) || (str(v.HWTYPE) ?? '').startsWith('MM');
    return {
      mac: normaliseMac(v.MAC),
      vendor: avalon ? 'Canaan' : undefined,
      model: prod ?? (model && avalon ? `AvalonMiner ${model}` : model),
      // Avalon Nano 3s / Q name their firmware LVERSION/CGVERSION, with no VERSION key
      firmware: str(v.VERSION) ?? str(v.LVERSION) ?? str(v.CGVERSION) ?? (str(v.CGMiner) ? `cgminer ${v.CGMiner}` : undefined),
    };
  },

  /** @param {Record<string, any>} reply */
  summary(reply) {
    const s = section(reply, 'SUMMARY', 'summary')[0];
    if (!s) throw new ParseError('SUMMARY is empty', { command: 'summary' });
    return {
      hashrate_ths: firstRateThs(s, REALTIME),
      hashrate_avg_ths: rateThs(s, 'av'),
      uptime_s: int(s.Elapsed, 'Elapsed'),
    };
  },

  /** @param {Record<string, any>} reply */
  stats(reply) {
    const arr = section(reply, 'STATS', 'stats');
    /** @type {(ReturnType<typeof avalonModule> & { label: string })[]} */
    const modules = [];
    let elapsed;
    for (const entry of arr) {
      const keys = Object.keys(entry).filter((k) => /^MM ID\d+(:Summary)?$/.test(k)).sort();
      for (const k of keys) {
        modules.push({ ...avalonModule(avalonTokens(entry, k)), label: `${entry.ID ?? ''} ${k}`.trim() });
        elapsed ??= int(entry.Elapsed, 'Elapsed');
      }
    }
    // An old controller chains several modules (AUC `AV70` → `MM ID1..5`): name the module in its errors
    if (modules.length > 1) {
      for (const m of modules) m.errors = m.errors.map((e) => e.replace(/^avalon /, `avalon ${m.label}: `));
    }
    if (modules.length === 0) {
      // plain cgminer: stats carry per-pool counters only
      return { uptime_s: int(arr[0]?.Elapsed, 'Elapsed') };
    }
    const first = modules[0];
    const sum = (/** @type {(number|undefined)[]} */ xs) =>
      xs.every((x) => x === undefined) ? undefined : xs.reduce((/** @type {number} */ a, x) => a + (x ?? 0), 0);
    const power = sum(modules.map((m) => m.power));
    const spd = sum(modules.map((m) => m.spd));
    const avg = sum(modules.map((m) => m.avg));
    return {
      vendor: 'Canaan',
      model: avalonModelFromVer(first?.ver),
      firmware: first?.ver,
      hashrate_ths: spd === undefined ? undefined : Math.round(spd * 1000) / 1000,
      hashrate_avg_ths: avg === undefined ? undefined : Math.round(avg * 1000) / 1000,
      board_temps_c: list(modules.flatMap((m) => m.boards)),
      chip_temps_c: list(modules.flatMap((m) => m.chips ?? [])),
      fans_rpm: list(modules.flatMap((m) => m.fans)),
      power_w: power === undefined ? undefined : Math.round(power),
      power_source: power === undefined ? undefined : 'miner',
      uptime_s: elapsed ?? first?.elapsed,
      errors: modules.flatMap((m) => m.errors),
      _idle: modules.every((m) => m.idle),
    };
  },

  /** Per-device temperatures for firmware without an Avalon blob; Avalon's
   * `Temperature: -273` ("no sensor") gives nothing.
   * @param {Record<string, any>} reply */
  devs(reply) {
    const rows = section(reply, 'DEVS', 'devs');
    return { board_temps_c: list(rows.map((r) => tempC(r.Temperature, 'Temperature'))) };
  },

  /** @param {Record<string, any>} reply */
  pools(reply) {
    return poolFields(poolEntries(section(reply, 'POOLS', 'pools')));
  },
};

/** @param {Record<string, any>} m @param {string[]} [_errors] */
export function finish(m, _errors) {
  if (m._idle) return 'sleeping';
  if (m.hashrate_ths === undefined) return undefined;
  return m.hashrate_ths > 0 ? 'mining' : 'error';
}
