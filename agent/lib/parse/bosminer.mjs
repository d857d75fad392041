// Braiins OS / OS+ (BOSminer) on Antminer hardware: summary in MH/s, its own
// `temps` (board and chip per hashboard, chip 0.0 = not read) and `fans`.

import { ParseError } from '../errors.mjs';
import { section, statusOf } from './reply.mjs';
import { int, list, poolEntries, poolFields, rateThs, str, tempC } from './common.mjs';

export const name = 'bosminer';

/** @type {import('./index.mjs').CommandSpec[]} */
export const commands = [
  { name: 'devdetails', optional: true, static: true },
  { name: 'summary' },
  { name: 'temps' },
  { name: 'fans', optional: true },
  { name: 'pools' },
];

/** @param {Record<string, any>} reply */
function firmwareOf(reply) {
  const d = statusOf(reply).description;
  return d && /bosminer/i.test(d) ? d : undefined;
}

export const extract = {
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

/** @param {Record<string, any>} m */
export function finish(m) {
  if (m.hashrate_ths === undefined) return undefined;
  return m.hashrate_ths > 0 ? 'mining' : 'error';
}
