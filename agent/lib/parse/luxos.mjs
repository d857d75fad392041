// LuxOS (LUXminer) on Antminer hardware: bmminer-style summary in GH/s plus
// its own `temps` (four sensors per board) and `power` commands.

import { ParseError } from '../errors.mjs';
import { section, statusOf } from './reply.mjs';
import { int, list, poolEntries, poolFields, rateThs, str, tempC } from './common.mjs';
import { finish as bmFinish } from './bmminer.mjs';

export const name = 'luxos';

/** Answers cgminer's multi-command requests (`summary+stats+pools`). */
export const multi = true;

/** @type {import('./index.mjs').CommandSpec[]} */
export const commands = [
  { name: 'version', optional: true, static: true },
  { name: 'summary' },
  { name: 'temps' },
  { name: 'power', optional: true },
  { name: 'fans', optional: true },
  { name: 'pools' },
];

const CORNERS = ['TopLeft', 'TopRight', 'BottomLeft', 'BottomRight'];

/** @param {Record<string, any>} reply */
function firmwareOf(reply) {
  const d = statusOf(reply).description;
  return d && /luxminer/i.test(d) ? d : undefined;
}

export const extract = {
  /** @param {Record<string, any>} reply */
  version(reply) {
    const v = section(reply, 'VERSION', 'version')[0] ?? {};
    return {
      vendor: 'Bitmain',
      model: str(v.Type),
      firmware: firmwareOf(reply) ?? (str(v.LUXminer) ? `LUXminer ${v.LUXminer}` : undefined),
    };
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
      _rateFallbacks: [rateThs(s, '1m'), rateThs(s, '30m'), rateThs(s, 'av')],
    };
  },

  /** One entry per board (0-based `ID`), four corner sensors (intake on the
   * right, exhaust on the left per METADATA). Board temperature = the
   * hottest valid sensor on the board.
   * @param {Record<string, any>} reply */
  temps(reply) {
    const boards = section(reply, 'TEMPS', 'temps')
      .slice()
      .sort((a, b) => (int(a.ID) ?? 0) - (int(b.ID) ?? 0))
      .map((b) => {
        let best;
        for (const c of CORNERS) {
          const t = tempC(b[c], `TEMPS.${c}`);
          if (t !== undefined && (best === undefined || t > best)) best = t;
        }
        return best;
      });
    return { board_temps_c: list(boards) };
  },

  /** `POWER[0].Watts`; `PSU:false` means LuxOS estimated it rather than read
   * the PSU — still the miner's own figure, so the source is "miner".
   * @param {Record<string, any>} reply */
  power(reply) {
    const p = section(reply, 'POWER', 'power')[0];
    const w = p ? int(p.Watts, 'Watts') : undefined;
    return w !== undefined && w > 0 ? { power_w: w, power_source: 'miner' } : {};
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

/** @param {Record<string, any>} m @param {string[]} [errors] */
export function finish(m, errors) {
  return bmFinish(m, errors);
}
