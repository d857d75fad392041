import { Hono } from '../../lib/hono';
import { customerUsage, parseUsageMonth, usageSettings, type CustomerUsage } from '../../billing/usage';
import { getCustomer } from '../../customers/service';
import { getDb } from '../../db/client';
import type { AppEnv } from '../../env';

/** milli-TH/s → TH/s as the rest of the API writes hashrate (`nominal_hashrate_ths`): at most three decimals. */
const ths = (mths: number | null) => (mths === null ? null : mths / 1000);

/** The JSON of a customer's usage (docs/API.md, "Usage"): energy integer Wh, uptime and variance in basis points. */
export function toApiUsage(customerId: string, usage: CustomerUsage) {
  const { period, totals } = usage;
  return {
    customer_id: customerId,
    month: period.key,
    period: {
      start: period.start,
      end: period.end,
      from: new Date(period.fromMs).toISOString(),
      to: new Date(period.toMs).toISOString(),
      time_zone: usage.timezone,
      billing_day: usage.billingDay,
    },
    totals: {
      units: usage.units.length,
      billed_wh: totals.billedWh,
      metered_wh: totals.meteredWh,
      online_seconds: totals.onlineSeconds,
      owned_seconds: totals.ownedSeconds,
      uptime_bps: totals.uptimeBps,
      unbilled_units: totals.unbilledUnits,
    },
    units: usage.units.map((unit) => ({
      miner_id: unit.minerId,
      serial: unit.serial,
      model: unit.model,
      site_id: unit.siteId,
      site_name: unit.siteName,
      kwh_sources: unit.sources,
      covered_hours: unit.coveredHours,
      uncovered_hours: unit.uncoveredHours,
      billed_wh: unit.billedWh,
      billed_note: unit.billedNote,
      metered_wh: unit.meteredWh,
      unknown_hours: unit.unknownHours,
      online_seconds: unit.onlineSeconds,
      owned_seconds: unit.ownedSeconds,
      planned_downtime_seconds: unit.plannedDowntimeSeconds,
      avg_hashrate_ths: ths(unit.avgHashrateMths),
      uptime_bps: unit.uptimeBps,
      variance: unit.variance && { against: unit.variance.against, billed_wh: unit.variance.billedWh, metered_wh: unit.variance.meteredWh, bps: unit.variance.bps, band: unit.variance.band },
    })),
    days: usage.days.map((day) => ({ date: day.date, metered_wh: day.meteredWh, billed_wh: day.billedWh, avg_hashrate_ths: ths(day.avgHashrateMths) })),
  };
}

/** GET /api/v1/customers/:id/usage?month=YYYY-MM — the Usage tab's figures, for the key's host only. */
export const apiUsageRoutes = new Hono<AppEnv>().get('/:id/usage', async (c) => {
  const key = c.get('apiKey');
  const db = getDb(c.env.DB);
  const [customer, settings] = await Promise.all([getCustomer(db, key.hostId, c.req.param('id')), usageSettings(db, key.hostId)]);
  const month = parseUsageMonth(c.req.query('month'), settings.billingDay, settings.timezone);
  return c.json({ data: toApiUsage(customer.id, await customerUsage(db, key.hostId, customer.id, month, settings)) });
});
