// btminer3: MicroBT Whatsminer on API v3 firmware (2024-11 and later). Its
// own TCP port (4433) and framing (a 4-byte little-endian length before the
// JSON, both ways: see cgminer-client.mjs `queryV3`), and a different
// envelope: `{"code":0,"desc":"get.miner.status","msg":{…},"when":…}`. Writes
// need a token derived from the admin password; the reads polled here need
// none. Values are already in TH/s, W and °C, under hyphenated keys.

import { ParseError } from '../errors.mjs';
import { int, list, normaliseMac, num, poolFields, str, tempC } from './common.mjs';
import { v3Summary } from './btminer.mjs';
import { describeWhatsminerError } from './whatsminer-errors.mjs';

export const name = 'btminer3';

/** Every command of this dialect goes over the v3 transport (`cmd:param`). */
export const v3 = true;

/** @type {import('./index.mjs').CommandSpec[]} */
export const commands = [
  // not static: it also carries `working` and the live error codes
  { name: 'get.device.info' },
  { name: 'get.miner.status:summary' },
  { name: 'get.miner.status:edevs', optional: true },
  { name: 'get.miner.status:pools' },
];

/**
 * The `msg` object of a v3 reply, or a ParseError.
 * @param {Record<string, any>} reply @param {string} command @param {string} [key]
 */
function msgOf(reply, command, key) {
  const msg = reply.msg;
  if (!msg || typeof msg !== 'object') throw new ParseError('reply has no msg object', { command });
  if (key !== undefined && !(key in msg)) throw new ParseError(`reply has no msg.${key}`, { command });
  return /** @type {Record<string, any>} */ (msg);
}

export const extract = {
  /** Identity, `working` ("false": the mining service is stopped) and the live error codes.
   * @param {Record<string, any>} reply */
  'get.device.info'(reply) {
    const msg = msgOf(reply, 'get.device.info');
    const miner = msg.miner && typeof msg.miner === 'object' ? msg.miner : {};
    const system = msg.system && typeof msg.system === 'object' ? msg.system : {};
    const network = msg.network && typeof msg.network === 'object' ? msg.network : {};
    const type = str(miner.type);
    const sn = str(miner['miner-sn']);
    /** @type {string[]} */
    const errors = [];
    const codes = msg['error-code'];
    if (Array.isArray(codes)) {
      for (const item of codes) {
        if (!item || typeof item !== 'object') continue;
        // `{"264": "<when>", "reason": "Power xfer error. code: 0x…"}`: the firmware's own words are kept
        const reason = str(item.reason);
        for (const k of Object.keys(item)) {
          const n = Number(k);
          if (k !== 'reason' && Number.isInteger(n) && n !== 0) errors.push(`${describeWhatsminerError(n)}${reason ? ` (${reason})` : ''}`);
        }
      }
    }
    const working = miner.working === true || miner.working === 'true' ? true : miner.working === false || miner.working === 'false' ? false : undefined;
    return {
      mac: normaliseMac(network.mac),
      serial: sn && sn.length <= 64 ? sn : undefined,
      vendor: 'MicroBT',
      model: type ? `Whatsminer ${type}` : undefined,
      firmware: str(system.fwversion),
      errors,
      _mineroff: working === undefined ? undefined : !working,
    };
  },

  /** @param {Record<string, any>} reply */
  'get.miner.status:summary'(reply) {
    const s = msgOf(reply, 'get.miner.status:summary', 'summary').summary;
    if (!s || typeof s !== 'object') throw new ParseError('msg.summary is not an object', { command: 'get.miner.status:summary' });
    return v3Summary(s);
  },

  /** Per board: `chip-temp-max` (the v3 edevs carry no board sensor).
   * @param {Record<string, any>} reply */
  'get.miner.status:edevs'(reply) {
    const rows = msgOf(reply, 'get.miner.status:edevs', 'edevs').edevs;
    if (!Array.isArray(rows)) throw new ParseError('msg.edevs is not a list', { command: 'get.miner.status:edevs' });
    const sorted = rows.filter((r) => r && typeof r === 'object').sort((a, b) => (int(a.id) ?? 0) - (int(b.id) ?? 0));
    return { chip_temps_c: list(sorted.map((r) => tempC(r['chip-temp-max'], 'chip-temp-max'))) };
  },

  /** @param {Record<string, any>} reply */
  'get.miner.status:pools'(reply) {
    return poolFields(poolEntriesV3(reply));
  },
};

/**
 * v3 pools as the agent's pool entries (`account` is the user,
 * `pool-priority` the priority, `stratum-active` the one in use).
 * @param {Record<string, any>} reply
 * @returns {import('./common.mjs').PoolEntry[]}
 */
export function poolEntriesV3(reply) {
  const rows = msgOf(reply, 'get.miner.status:pools', 'pools').pools;
  if (!Array.isArray(rows)) throw new ParseError('msg.pools is not a list', { command: 'get.miner.status:pools' });
  /** @type {import('./common.mjs').PoolEntry[]} */
  const out = [];
  rows.forEach((p, index) => {
    const url = p && typeof p === 'object' ? str(p.url) : undefined;
    if (url === undefined) return;
    const status = str(p.status);
    out.push({
      id: int(p.id, 'id') ?? index,
      url,
      user: str(p.account),
      priority: int(p['pool-priority'], 'pool-priority'),
      // the common pool helpers compare against cgminer's capitalised "Alive"
      status: status === 'alive' ? 'Alive' : status,
      active: p['stratum-active'] === true,
    });
  });
  return out.sort((a, b) => (a.priority ?? a.id) - (b.priority ?? b.id));
}

/** @param {Record<string, any>} m @param {string[]} [_errors] */
export function finish(m, _errors) {
  if (m._mineroff === true) return 'sleeping';
  if (m.hashrate_ths === undefined) return undefined;
  return m.hashrate_ths > 0 ? 'mining' : 'error';
}

/** The fw_ver date from which MicroBT firmware speaks API v3 (as asic-rs detects it). */
export const V3_FIRMWARE_FROM = 20241101;

/** `"20251209.16.Rel2"` → 20251209, else undefined. @param {unknown} fw */
export function firmwareDate(fw) {
  const m = typeof fw === 'string' ? /^'?(\d{8})\./.exec(fw) : null;
  const n = m ? num(m[1]) : undefined;
  return n;
}
