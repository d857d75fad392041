// bmminer: Bitmain Antminer stock firmware (S9 … S21). Hashrates in GH/s,
// per-chain data as flat `stats` keys with 1-based suffixes and empty padding
// slots. No MAC, serial or power in the API (the agent takes the MAC from the
// ARP table).

import { ParseError } from '../errors.mjs';
import { section } from './reply.mjs';
import { int, list, maxOfDashed, num, poolEntries, poolFields, rateThs, str, tempC, toThs } from './common.mjs';

export const name = 'bmminer';

/** @type {import('./index.mjs').CommandSpec[]} */
export const commands = [
  { name: 'version', optional: true, static: true },
  { name: 'summary' },
  { name: 'stats' },
  { name: 'pools' },
];

/** Models whose chains are numbered 1..3 (the 4th slot is padding). */
const THREE_CHAIN_MODEL = /^Antminer [ST](17|19|21)/i;

/**
 * Per-chain status string " ooo ooo xx-": count chips by state.
 * @param {unknown} acs
 */
function chipStates(acs) {
  if (typeof acs !== 'string') return { ok: 0, bad: 0 };
  let ok = 0;
  let bad = 0;
  for (const ch of acs) {
    if (ch === 'o') ok++;
    else if (ch === 'x' || ch === 'X') bad++;
  }
  return { ok, bad };
}

/**
 * The data object in STATS: the entry that carries chain/temperature/fan keys
 * (`STATS[1]`, ID BTM_SOC0 on S19; ID BC50 on S9). `STATS[0]` is a header.
 * @param {Record<string, any>[]} arr
 */
function statsData(arr) {
  return arr.find((o) => Object.keys(o).some((k) => /^(chain_acn|chain_rate|temp|fan)\d+$/.test(k)));
}

/**
 * Fans `fan1..fanN`. Zero-RPM slots are empty sockets (the S9 reports 8 slots
 * with 2 fans) unless `fan_num` says more fans are fitted than spin, in which
 * case slots 1..fan_num are reported, zeros included (a stopped fan).
 * @param {Record<string, any>} data
 */
export function antminerFans(data) {
  /** @type {[number, number][]} */
  const slots = [];
  for (const k of Object.keys(data)) {
    const m = /^fan(\d+)$/.exec(k);
    if (m) {
      const v = int(data[k], k);
      if (v !== undefined) slots.push([Number(m[1]), v]);
    }
  }
  slots.sort((a, b) => a[0] - b[0]);
  const spinning = slots.filter(([, v]) => v > 0);
  const fanNum = int(data.fan_num, 'fan_num');
  if (fanNum !== undefined && fanNum > spinning.length) {
    return list(slots.filter(([i]) => i <= fanNum).map(([, v]) => v));
  }
  return list(spinning.map(([, v]) => v));
}

export const extract = {
  /** @param {Record<string, any>} reply */
  version(reply) {
    const v = section(reply, 'VERSION', 'version')[0] ?? {};
    return { vendor: 'Bitmain', model: str(v.Type), firmware: str(v.Miner) };
  },

  /** @param {Record<string, any>} reply */
  summary(reply) {
    const s = section(reply, 'SUMMARY', 'summary')[0];
    if (!s) throw new ParseError('SUMMARY is empty', { command: 'summary' });
    return {
      vendor: 'Bitmain',
      hashrate_ths: rateThs(s, '5s'),
      hashrate_avg_ths: rateThs(s, 'av'),
      uptime_s: int(s.Elapsed, 'Elapsed'),
    };
  },

  /** @param {Record<string, any>} reply */
  stats(reply) {
    const arr = section(reply, 'STATS', 'stats');
    const header = arr.find((o) => 'Type' in o);
    const data = statsData(arr);
    if (!data) throw new ParseError('STATS has no chain data', { command: 'stats' });
    const model = str(header?.Type) ?? str(data.Type);

    /** @type {Set<number>} */
    const indices = new Set();
    for (const k of Object.keys(data)) {
      const m = /^(?:chain_acn|chain_rate|chain_acs|temp|temp2_|temp_pcb|temp_chip)(\d+)$/.exec(k);
      if (m) indices.add(Number(m[1]));
    }
    const rate5s = rateThs(data, '5s');
    const hashing = rate5s !== undefined && rate5s > 0;
    /** @type {number[]} */
    const populated = [];
    /** @type {(number | undefined)[]} */
    const boards = [];
    /** @type {(number | undefined)[]} */
    const chips = [];
    /** @type {string[]} */
    const errors = [];
    let chainsWithStatus = 0;
    let chainsAllBad = 0;
    for (const n of [...indices].sort((a, b) => a - b)) {
      const acn = int(data[`chain_acn${n}`], `chain_acn${n}`);
      const rate = num(data[`chain_rate${n}`], `chain_rate${n}`);
      const board = tempC(data[`temp${n}`], `temp${n}`) ?? maxOfDashed(data[`temp_pcb${n}`], `temp_pcb${n}`);
      const chip = tempC(data[`temp2_${n}`], `temp2_${n}`) ?? maxOfDashed(data[`temp_chip${n}`], `temp_chip${n}`);
      const isPopulated = (acn ?? 0) > 0 || (rate ?? 0) > 0 || board !== undefined || chip !== undefined;
      if (!isPopulated) continue;
      populated.push(n);
      boards.push(board);
      chips.push(chip);
      const st = chipStates(data[`chain_acs${n}`]);
      if (st.ok + st.bad > 0) {
        chainsWithStatus++;
        if (st.ok === 0) chainsAllBad++;
        else if (st.bad > 0 && hashing) errors.push(`chain ${n}: ${st.bad} of ${st.ok + st.bad} ASICs not responding`);
      }
    }
    // A chain slot inside the board range that reports nothing is a missing
    // board (the S19 "sleeping" fixture lacks chain 1). Padding slots above
    // the last board are not. Three-chain models must show chains 1..3.
    const last = populated.length ? Math.max(...populated) : 0;
    const first = populated.length ? Math.min(...populated) : 0;
    const expected = model && THREE_CHAIN_MODEL.test(model) ? Math.max(3, last) : last;
    const from = first > 0 && first <= 4 ? 1 : first;
    for (let n = from; n <= expected && n > 0; n++) {
      if (!populated.includes(n)) errors.unshift(`chain ${n}: no ASICs detected`);
    }
    errors.sort();

    const unit = str(data.rate_unit) ?? 'GH';
    const ideal = num(data.total_rateideal, 'total_rateideal');
    return {
      vendor: 'Bitmain',
      model,
      firmware: str(header?.Miner) ?? str(data.miner_version),
      hashrate_ths: rate5s,
      hashrate_avg_ths: rateThs(data, 'av'),
      expected_hashrate_ths: ideal !== undefined && ideal > 0 ? toThs(ideal, unit) : undefined,
      board_temps_c: list(boards),
      chip_temps_c: list(chips),
      fans_rpm: antminerFans(data),
      uptime_s: int(data.Elapsed, 'Elapsed'),
      errors,
      // every chain that reports chip states shows only failed/idle chips
      _allChipsDown: chainsWithStatus > 0 && chainsAllBad === chainsWithStatus,
    };
  },

  /** `devs` on bmminer is one pseudo-device (BTM_SOC, `Tenperature` 0.0, MHS 0):
   * it carries nothing per board, so it contributes no fields.
   * @param {Record<string, any>} reply */
  devs(reply) {
    section(reply, 'DEVS', 'devs');
    return {};
  },

  /** @param {Record<string, any>} reply */
  pools(reply) {
    return poolFields(poolEntries(section(reply, 'POOLS', 'pools')));
  },
};

/**
 * State: hashing → mining. Stock bmminer has no sleep flag in the API; a
 * miner at 0 H/s whose every chain shows only non-responding chips ("xx") is
 * in sleep mode (the S19 fixture). Anything else at 0 H/s is an error.
 * @param {Record<string, any>} m
 */
export function finish(m) {
  if (m.hashrate_ths === undefined) return undefined;
  if (m.hashrate_ths > 0) return 'mining';
  return m._allChipsDown ? 'sleeping' : 'error';
}
