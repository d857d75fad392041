// Braiins OS / OS+ on Antminer hardware: BOSminer (to 22.05) and BOSer (since
// 22.08, whose `version` says `BOSer` and whose STATUS Description is
// `BOSer boser-buildroot …`). Summary in MH/s, its own `temps` (board and chip
// per hashboard, chip 0.0 = not read), `fans`, and `tempctrl` (the hot and
// dangerous limits the firmware itself works to).

import { ParseError } from '../errors.mjs';
import { section, statusOf } from './reply.mjs';
import { int, list, num, poolEntries, poolFields, rateThs, str, tempC } from './common.mjs';

export const name = 'bosminer';

/** Answers cgminer's multi-command requests (`summary+stats+pools`). */
export const multi = true;

/** @type {import('./index.mjs').CommandSpec[]} */
export const commands = [
  { name: 'version', optional: true, static: true },
  { name: 'devdetails', optional: true, static: true },
  { name: 'summary' },
  { name: 'temps' },
  { name: 'fans', optional: true },
  { name: 'tempctrl', optional: true },
  { name: 'pools' },
];

/** @param {Record<string, any>} reply */
function firmwareOf(reply) {
  const d = statusOf(reply).description;
  return d && /bosminer|boser/i.test(d) ? d : undefined;
}

export const extract = {
  /** `VERSION[0]` has `BOSer` (22.08+) or `BOSminer`/`BOSminer+` (older).
   * @param {Record<string, any>} reply */
  version(reply) {
    const v = section(reply, 'VERSION', 'version')[0] ?? {};
    const boser = str(v.BOSer);
    const bos = str(v.BOSminer) ?? str(v['BOSminer+']);
    return {
      vendor: 'Bitmain',
      firmware: firmwareOf(reply) ?? (boser ? `BOSer ${boser}` : bos ? `BOSminer ${bos}` : undefined),
    };
  },

  /** `TEMPCTRL[0]`: `Hot` and `Dangerous` limits in °C (Mode Automatic/Manual/Disabled).
   * @param {Record<string, any>} reply */
  tempctrl(reply) {
    const t = section(reply, 'TEMPCTRL', 'tempctrl')[0] ?? {};
    return { _hotC: num(t.Hot, 'Hot'), _dangerousC: num(t.Dangerous, 'Dangerous') };
  },

  /** @param {Record<string, any>} reply */
  devdetails(reply) {
    const d = section(reply, 'DEVDETAILS', 'devdetails')[0] ?? {};
    return { vendor: 'Bitmain', model: str(d.Model), firmware: firmwareOf(reply) };
  },

  /** @param {Record<string, any>} reply */
  summary(reply) {
    const s = section(reply, 'SUMMARY', 'summary')[0];
    if (!s) throw new ParseError('SUMMARY is empty', { command: 'summary' });
    return {
      vendor: 'Bitmain',
      firmware: firmwareOf(reply),
      hashrate_ths: rateThs(s, '5s'),
      hashrate_avg_ths: rateThs(s, 'av'),
      uptime_s: int(s.Elapsed, 'Elapsed'),
    };
  },

  /** `TEMPS[].ID` is the physical chain (6, 7, 8 on an S9) and `TEMP` the
   * 0-based index; order by `TEMP`. `Chip: 0.0` means not read.
   * @param {Record<string, any>} reply */
  temps(reply) {
    const rows = section(reply, 'TEMPS', 'temps')
      .slice()
      .sort((a, b) => (int(a.TEMP) ?? int(a.ID) ?? 0) - (int(b.TEMP) ?? int(b.ID) ?? 0));
    return {
      board_temps_c: list(rows.map((r) => tempC(r.Board, 'Board'))),
      chip_temps_c: list(rows.map((r) => tempC(r.Chip, 'Chip'))),
    };
  },

  /** @param {Record<string, any>} reply */
  fans(reply) {
    return { fans_rpm: list(section(reply, 'FANS', 'fans').map((f) => int(f.RPM, 'RPM'))) };
  },

  /** @param {Record<string, any>} reply */
  pools(reply) {
    return poolFields(poolEntries(section(reply, 'POOLS', 'pools')));
  },
};

/**
 * Mining when hashing. A chip at or above the firmware's own `Hot` limit
 * (from `tempctrl`) is reported in errors, whatever the state.
 * @param {Record<string, any>} m @param {string[]} [errors] */
export function finish(m, errors = []) {
  const chips = /** @type {number[]} */ (m.chip_temps_c ?? []);
  const hottest = chips.length ? Math.max(...chips) : undefined;
  if (hottest !== undefined && typeof m._hotC === 'number' && m._hotC > 0 && hottest >= m._hotC) {
    const danger = typeof m._dangerousC === 'number' && m._dangerousC > 0 && hottest >= m._dangerousC;
    errors.push(`overheating: chips at ${hottest} °C, at or above the firmware's ${danger ? 'dangerous' : 'hot'} limit of ${danger ? m._dangerousC : m._hotC} °C`);
  }
  if (m.hashrate_ths === undefined) return undefined;
  return m.hashrate_ths > 0 ? 'mining' : 'error';
}
