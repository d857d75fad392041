// btminer: MicroBT Whatsminer. Hashrates in MH/s. Power, fans, MAC, firmware
// and error codes live in `summary`; per-board temperatures in `edevs`.
// `get_version` answers btminer's own shape (STATUS is the string "S").

import { ParseError } from '../errors.mjs';
import { section, statusOf } from './reply.mjs';
import { firstRateThs, int, list, normaliseMac, num, poolEntries, poolFields, rateThs, roundThs, str, tempC, toThs } from './common.mjs';
import { describeWhatsminerError } from './whatsminer-errors.mjs';

/**
 * Realtime hashrate, smoothest first: `HS RT` (MH/s despite its name; the
 * firmware's own realtime figure), then 30 s / 1 m, and the spiky 5 s last.
 * @param {Record<string, any>} s
 */
function realtime(s) {
  const rt = num(s['HS RT'], 'HS RT');
  if (rt !== undefined) return toThs(rt, 'MH');
  return firstRateThs(s, ['30s', '1m', '5s']);
}

/** Whatsminer API v3 `get.miner.status` summary (values already in TH/s, W, °C).
 * @param {Record<string, any>} s */
export function v3Summary(s) {
  const hash = num(s['hash-realtime'], 'hash-realtime');
  const avg = num(s['hash-average'], 'hash-average');
  const factory = num(s['factory-hash'], 'factory-hash');
  const power = num(s['power-realtime'], 'power-realtime');
  const boards = Array.isArray(s['board-temperature']) ? s['board-temperature'] : [];
  const chipMax = tempC(s['chip-temp-max'], 'chip-temp-max');
  return {
    vendor: 'MicroBT',
    hashrate_ths: hash === undefined ? undefined : roundThs(hash),
    hashrate_avg_ths: avg === undefined ? undefined : roundThs(avg),
    expected_hashrate_ths: factory !== undefined && factory > 0 ? roundThs(factory) : undefined,
    board_temps_c: list(boards.map((/** @type {unknown} */ t) => tempC(t, 'board-temperature'))),
    chip_temps_c: chipMax === undefined ? undefined : [chipMax],
    fans_rpm: list([int(s['fan-speed-in'], 'fan-speed-in'), int(s['fan-speed-out'], 'fan-speed-out')]),
    power_w: power !== undefined && power > 0 ? Math.round(power) : undefined,
    power_source: power !== undefined && power > 0 ? 'miner' : undefined,
    uptime_s: int(s.elapsed, 'elapsed'),
    _rateFallbacks: [num(s['hash-1min'], 'hash-1min'), avg],
  };
}

export const name = 'btminer';

/** @type {import('./index.mjs').CommandSpec[]} */
export const commands = [
  { name: 'get_version', optional: true, static: true },
  { name: 'devdetails', optional: true, static: true },
  { name: 'summary' },
  { name: 'status', optional: true },
  { name: 'get_error_code', optional: true },
  { name: 'edevs' },
  { name: 'pools' },
];

/** `"'20200512.13.REL'"` → `20200512.13.REL` @param {unknown} v */
function unquote(v) {
  const s = str(v);
  return s === undefined ? undefined : str(s.replace(/^['"]+|['"]+$/g, ''));
}

/** Per-hashboard rows of `edevs`/`devs`, ordered by slot.
 * @param {Record<string, any>} reply @param {string} command */
function boards(reply, command) {
  const rows = section(reply, 'DEVS', command)
    .slice()
    .sort((a, b) => (int(a.Slot) ?? int(a.ASC) ?? int(a.ID) ?? 0) - (int(b.Slot) ?? int(b.ASC) ?? int(b.ID) ?? 0));
  return {
    board_temps_c: list(rows.map((r) => tempC(r.Temperature, 'Temperature'))),
    chip_temps_c: list(rows.map((r) => tempC(r['Chip Temp Max'], 'Chip Temp Max'))),
  };
}

export const extract = {
  /** @param {Record<string, any>} reply */
  get_version(reply) {
    const st = statusOf(reply, 'get_version');
    const msg = reply.Msg;
    const fw = msg && typeof msg === 'object' ? str(msg.fw_ver) : undefined;
    if (fw === undefined && st.status === 'S') throw new ParseError('get_version has no Msg.fw_ver', { command: 'get_version' });
    return { vendor: 'MicroBT', firmware: fw };
  },

  /** btminer's own `status` (Whatsminer API 2.x documentation; no fixture):
   * `{"STATUS":"S","Msg":{"mineroff":"true"|"false",...}}`. A miner switched
   * off with `power_off` reports mineroff "true": it is sleeping.
   * @param {Record<string, any>} reply */
  status(reply) {
    const msg = reply.Msg;
    if (!msg || typeof msg !== 'object') throw new ParseError('status has no Msg object', { command: 'status' });
    // `btmineroff` on newer (2021+) firmware, `mineroff` on older/2024 firmware
    const off = msg.btmineroff ?? msg.mineroff;
    return { _mineroff: off === true || off === 'true' ? true : off === false || off === 'false' ? false : undefined };
  },

  /** @param {Record<string, any>} reply */
  devdetails(reply) {
    const d = section(reply, 'DEVDETAILS', 'devdetails')[0] ?? {};
    const model = str(d.Model);
    return { vendor: 'MicroBT', model: model ? `Whatsminer ${model}` : undefined };
  },

  /** `get_error_code` (API 2.x): `Msg.error_code` is a list of
   * `{ "<code>": "<when>" }` objects (newer firmware) or of bare codes.
   * @param {Record<string, any>} reply */
  get_error_code(reply) {
    const msg = reply.Msg;
    const list = msg && typeof msg === 'object' ? msg.error_code : undefined;
    if (!Array.isArray(list)) throw new ParseError('get_error_code has no Msg.error_code list', { command: 'get_error_code' });
    /** @type {string[]} */
    const errors = [];
    for (const item of list) {
      const codes = item && typeof item === 'object' ? Object.keys(item) : [item];
      for (const c of codes) {
        const n = Number(c);
        if (Number.isInteger(n) && n !== 0) errors.push(describeWhatsminerError(n));
      }
    }
    return { errors };
  },

  /** @param {Record<string, any>} reply */
  summary(reply) {
    if (reply.msg && typeof reply.msg === 'object' && reply.msg.summary && typeof reply.msg.summary === 'object') {
      return v3Summary(reply.msg.summary);
    }
    const s = section(reply, 'SUMMARY', 'summary')[0];
    if (!s) throw new ParseError('SUMMARY is empty', { command: 'summary' });
    const power = int(s.Power, 'Power') ?? int(s.Power_RT, 'Power_RT');
    const fanIn = int(s['Fan Speed In'], 'Fan Speed In');
    const fanOut = int(s['Fan Speed Out'], 'Fan Speed Out');
    const factory = num(s['Factory GHS'], 'Factory GHS');
    /** @type {string[]} */
    const errors = [];
    for (const [k, v] of Object.entries(s)) {
      // "Error Code N" are live faults; "Factory Error Code N" are factory-test history.
      if (/^Error Code \d+$/.test(k)) {
        const code = int(v, k);
        if (code !== undefined && code !== 0) errors.push(describeWhatsminerError(code));
      }
    }
    return {
      mac: normaliseMac(s.MAC),
      vendor: 'MicroBT',
      firmware: unquote(s['Firmware Version']),
      hashrate_ths: realtime(s),
      hashrate_avg_ths: rateThs(s, 'av'),
      _rateFallbacks: [rateThs(s, '1m'), rateThs(s, '5m'), rateThs(s, 'av')],
      expected_hashrate_ths: factory !== undefined && factory > 0 ? toThs(factory, 'GH') : undefined,
      fans_rpm: list([fanIn, fanOut]),
      power_w: power !== undefined && power > 0 ? power : undefined,
      power_source: power !== undefined && power > 0 ? 'miner' : undefined,
      uptime_s: int(s.Elapsed, 'Elapsed'),
      errors,
    };
  },

  /** @param {Record<string, any>} reply */
  edevs(reply) {
    return boards(reply, 'edevs');
  },

  /** @param {Record<string, any>} reply */
  devs(reply) {
    return boards(reply, 'devs');
  },

  /** @param {Record<string, any>} reply */
  pools(reply) {
    return poolFields(poolEntries(section(reply, 'POOLS', 'pools')));
  },
};

/** @param {Record<string, any>} m @param {string[]} [_errors] */
export function finish(m, _errors) {
  if (m._mineroff === true) return 'sleeping';
  if (m.hashrate_ths === undefined) return undefined;
  return m.hashrate_ths > 0 ? 'mining' : 'error';
}
