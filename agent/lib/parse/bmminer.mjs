// bmminer: Bitmain Antminer stock firmware (S9 … S21). Hashrates in GH/s,
// per-chain data as flat `stats` keys with 1-based suffixes and empty padding
// slots. No MAC, serial or power in the API (the agent takes the MAC from the
// ARP table).

import { ParseError } from '../errors.mjs';
import { section } from './reply.mjs';
import { int, list, maxOfDashed, num, poolEntries, poolFields, rateThs, str, tempC, toThs } from './common.mjs';

export const name = 'bmminer';

/** Answers cgminer's multi-command requests (`summary+stats+pools`). */
export const multi = true;

/** @type {import('./index.mjs').CommandSpec[]} */
export const commands = [
  { name: 'version', optional: true, static: true },
  { name: 'summary' },
  { name: 'stats' },
  { name: 'pools' },
];

/**
 * Chips this hot are not asleep: a board in sleep mode has no power and cools
 * to near ambient. A stock Antminer whose chips all read `x` while its sensors
 * say ≥ this is overheating (it stopped hashing to protect itself).
 */
export const HOT_IDLE_C = 60;

/**
 * Model and firmware from the identity fields stock-derived firmware shares
 * (`Type`, `Miner`, `BMMiner`/`CGMiner`/`Cgminer`, `build_version`). Stock
 * Antminer keeps `Type` = model and `Miner` = firmware version; aftermarket
 * firmware built on bmminer marks itself in those same fields:
 * - VNish: `Type` "Antminer S9 (vnish 3.8.6)";
 * - Hiveon: `Type` "Antminer S9 Hiveon";
 * - ASICseer: `BMMiner` "2.4.0-asicseer-1.1.9-f7b7";
 * - MSK: `Type` "S19-88 v.2.6.0.39" (newer) or "Antminer S9 Pro (v5.1)" (older).
 * @param {Record<string, any> | undefined} v
 * @returns {{ model?: string, firmware?: string }}
 */
export function bitmainIdentity(v) {
  if (!v) return {};
  const type = str(v.Type);
  const miner = str(v.Miner);
  const bm = str(v.BMMiner) ?? str(v.CGMiner) ?? str(v.Cgminer);
  if (type) {
    let m = /^(.*?)\s*\(vnish ([^)]+)\)\s*$/i.exec(type);
    if (m) return { model: m[1], firmware: `VNish ${m[2]}` };
    m = /^(.*?)\s+Hiveon\s*$/i.exec(type);
    if (m) return { model: m[1], firmware: `Hiveon${bm ? ` ${bm}` : ''}` };
    m = /^(S\d+\w*?)(?:-\d+)?\s+v\.(\d[\d.]*)\s*$/.exec(type);
    if (m) return { model: `Antminer ${m[1]}`, firmware: `MSKminer ${m[2]}` };
    m = /^(Antminer .*?)\s*\(v(\d[\d.]*)\)\s*$/.exec(type);
    if (m) return { model: m[1], firmware: `MSKminer v${m[2]}` };
  }
  const seer = bm && /asicseer-([\w.-]+)/i.exec(bm);
  if (seer) return { model: type, firmware: `ASICseer ${seer[1]}` };
  return { model: type, firmware: miner };
}

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
    return { vendor: 'Bitmain', ...bitmainIdentity(v) };
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
      _rateFallbacks: [rateThs(s, '30m'), rateThs(s, 'av')],
    };
  },

  /** @param {Record<string, any>} reply */
  stats(reply) {
    const arr = section(reply, 'STATS', 'stats');
    const header = arr.find((o) => 'Type' in o);
    const data = statsData(arr);
    if (!data) throw new ParseError('STATS has no chain data', { command: 'stats' });
    const id = bitmainIdentity(header ?? data);
    const model = id.model;

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
      // The hottest chip reading wins: on S9k-class firmware `temp_chipN` is a
      // "min-max" range ("51-85") and `temp2_N` a cooler sensor (51).
      const chip = maxOf(tempC(data[`temp2_${n}`], `temp2_${n}`), maxOfDashed(data[`temp_chip${n}`], `temp_chip${n}`));
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
    // In sleep mode (Mode 254) the boards are powered off and report nothing.
    const asleep = data.Mode === 254 || data.Mode === '254';
    for (let n = from; n <= expected && n > 0 && !asleep; n++) {
      if (!populated.includes(n)) errors.unshift(`chain ${n}: no ASICs detected`);
    }
    errors.sort();

    const unit = str(data.rate_unit) ?? 'GH';
    const ideal = num(data.total_rateideal, 'total_rateideal');
    // VNish reports per-chain wall power as chain_consumptionN (W).
    let power;
    for (const k of Object.keys(data)) {
      if (/^chain_consumption\d+$/.test(k)) {
        const w = num(data[k], k);
        if (w !== undefined && w > 0) power = (power ?? 0) + w;
      }
    }
    // Newer Hiveon reports the whole unit's watts as `total_power` (= Σ chain_powerN; older
    // Hiveon's chain_powerN "11.55" are not watts and are not read)
    const total = num(data.total_power, 'total_power');
    if (power === undefined && total !== undefined && total > 0) power = total;
    const mode = data.Mode;
    const fans = antminerFans(data);
    return {
      vendor: 'Bitmain',
      model,
      firmware: id.firmware ?? str(data.miner_version),
      hashrate_ths: rate5s,
      hashrate_avg_ths: rateThs(data, 'av'),
      expected_hashrate_ths: ideal !== undefined && ideal > 0 ? toThs(ideal, unit) : undefined,
      board_temps_c: list(boards),
      chip_temps_c: list(chips),
      // Hydro units (`Type` "Antminer S21 XP Hyd.") are water-cooled: their fan slots read 0
      // with fan_num 4; those are no fans at all, not four stopped ones
      fans_rpm: model !== undefined && /\bHyd(ro|\.|\b)/i.test(model) && fans?.every((v) => v === 0) ? undefined : fans,
      power_w: power === undefined ? undefined : Math.round(power),
      power_source: power === undefined ? undefined : 'miner',
      uptime_s: int(data.Elapsed, 'Elapsed'),
      errors,
      _rateFallbacks: [rateThs(data, '30m'), rateThs(data, 'av')],
      // stock X17/X19 firmware in sleep mode reports Mode 254
      _sleepMode: mode === 254 || mode === '254',
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

/** @param {(number | undefined)[]} xs */
function maxOf(...xs) {
  const v = /** @type {number[]} */ (xs.filter((x) => x !== undefined));
  return v.length ? Math.max(...v) : undefined;
}

/**
 * State, from the firmware's own signals first:
 * - hashing → mining;
 * - `Mode: 254` (stock X17/X19 sleep mode) → sleeping;
 * - every chain's chips `x` at 0 H/s → sleeping, but only while the boards
 *   are cool: chips at ≥ HOT_IDLE_C °C are an overheating miner that stopped
 *   hashing, reported as an error (a hot miner is never "sleeping");
 * - anything else at 0 H/s → error.
 * @param {Record<string, any>} m
 * @param {string[]} [errors] the miner's errors, to say why
 */
export function finish(m, errors = []) {
  if (m.hashrate_ths === undefined) return undefined;
  if (m.hashrate_ths > 0) return 'mining';
  const hottest = maxOf(...(m.chip_temps_c ?? []), ...(m.board_temps_c ?? []));
  const hot = hottest !== undefined && hottest >= HOT_IDLE_C;
  if (hot && (m._allChipsDown || m._sleepMode)) {
    errors.push(`overheating: not hashing with chips at ${hottest} °C`);
    return 'error';
  }
  if (m._sleepMode || m._allChipsDown) return 'sleeping';
  return 'error';
}
