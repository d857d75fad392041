/**
 * The Usage CSV (staff and portal): one line per unit, energy as integer Wh and exact kWh text,
 * percentages as exact two-decimal text from basis points. Cells go through csvCell (quoting and
 * spreadsheet-formula defusing), since serials, models and site names are typed by people.
 */
import { csvCell } from '../customers/csv';
import { bpsToPercentText, mthsToThsText, whToKwhText, type CustomerUsage } from './usage';

const HEADER = [
  'month',
  'period_start',
  'period_end_exclusive',
  'time_zone',
  'unit_id',
  'serial',
  'model',
  'site',
  'kwh_source',
  'billed_wh',
  'billed_kwh',
  'billed_note',
  'metered_wh',
  'metered_kwh',
  'variance_pct',
  'variance_band',
  'online_seconds',
  'online_hours',
  'owned_seconds',
  'avg_hashrate_ths',
  'uptime_pct',
] as const;

export function usageCsv(usage: CustomerUsage): string {
  const { period } = usage;
  const lines = [HEADER.join(',')];
  for (const unit of usage.units) {
    const cells: (string | number | null)[] = [
      period.key,
      period.start,
      period.end,
      usage.timezone,
      unit.minerId,
      unit.serial,
      unit.model,
      unit.siteName,
      unit.sources.join('+') || 'none',
      unit.billedWh,
      unit.billedWh === null ? null : whToKwhText(unit.billedWh),
      unit.billedNote,
      unit.meteredWh,
      whToKwhText(unit.meteredWh),
      unit.variance?.bps == null ? null : bpsToPercentText(unit.variance.bps),
      unit.variance?.band ?? null,
      unit.onlineSeconds,
      (unit.onlineSeconds / 3600).toFixed(2),
      unit.ownedSeconds,
      unit.avgHashrateMths === null ? null : mthsToThsText(unit.avgHashrateMths),
      unit.uptimeBps === null ? null : bpsToPercentText(unit.uptimeBps),
    ];
    lines.push(cells.map(csvCell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

export const usageCsvFilename = (label: string, key: string) => `usage-${label.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'customer'}-${key}.csv`;
