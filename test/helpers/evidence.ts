import { env } from 'cloudflare:test';
import type { AdjustmentLineDetail, EnergyLineDetail } from '../../src/billing/energy';
import { energyAmountMinor } from '../../src/billing/money';
import { invoiceLines, invoices, usageHourly } from '../../src/db/schema';
import { db, type TestHost } from './fixtures';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** 00:00 UTC of the day `daysAgo` days before today. */
export const utcMidnightDaysAgo = (daysAgo: number, now = Date.now()) => Math.floor(now / DAY_MS) * DAY_MS - daysAgo * DAY_MS;

export interface UsageFields {
  minerId: string;
  siteId: string;
  hourStart: number;
  customerId?: string | null;
  energyWh?: number;
  energySource?: 'miner' | 'pdu' | 'spec';
  avgHashrateMths?: number;
  onlineSeconds?: number;
  samples?: number;
}

const usageValues = (hostId: string, r: UsageFields) => ({
  hostId,
  minerId: r.minerId,
  siteId: r.siteId,
  hourStart: r.hourStart,
  customerId: r.customerId ?? null,
  energyWh: r.energyWh ?? 3_000,
  energySource: r.energySource ?? 'miner',
  avgHashrateMths: r.avgHashrateMths ?? 100_000,
  onlineSeconds: r.onlineSeconds ?? 3_600,
  samples: r.samples ?? 60,
});

/** Usage rows inserted directly (as if SiteState had rolled them up). */
export async function insertUsage(host: TestHost, rows: UsageFields[]) {
  for (let i = 0; i < rows.length; i += 10) {
    await db().insert(usageHourly).values(rows.slice(i, i + 10).map((r) => usageValues(host.hostId, r)));
  }
}

/**
 * The exact statement SiteState.rollUpUsage sends (src/live/site-state.ts): an upsert keyed by
 * (miner, hour), customer read from miners, so the sealing triggers see what production sends.
 */
export async function upsertUsageLikeSiteState(host: TestHost, siteId: string, rows: UsageFields[]) {
  await env.DB.prepare(
    `INSERT INTO usage_hourly (miner_id, hour_start, host_id, site_id, customer_id, energy_wh, energy_source, avg_hashrate_mths, online_seconds, samples)
     SELECT j.value ->> '$[0]', j.value ->> '$[1]', ?1, ?2,
       (SELECT m.customer_id FROM miners m WHERE m.id = j.value ->> '$[0]' AND m.host_id = ?1 AND m.status = 'assigned'),
       j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]', j.value ->> '$[6]', j.value ->> '$[7]'
     FROM json_each(?3) j WHERE true
     ON CONFLICT (miner_id, hour_start) DO UPDATE SET customer_id = excluded.customer_id, energy_wh = excluded.energy_wh,
       energy_source = excluded.energy_source, avg_hashrate_mths = excluded.avg_hashrate_mths, online_seconds = excluded.online_seconds,
       samples = excluded.samples`,
  )
    .bind(
      host.hostId,
      siteId,
      JSON.stringify(
        rows.map((r) => {
          const v = usageValues(host.hostId, r);
          return [v.minerId, v.hourStart, v.customerId, v.energyWh, v.energySource, v.avgHashrateMths, v.onlineSeconds, v.samples];
        }),
      ),
    )
    .run();
}

/** An invoice row inserted directly (invoice generation is built elsewhere). */
export async function insertInvoice(
  host: TestHost,
  customerId: string,
  fields: { status?: (typeof invoices.$inferInsert)['status']; number?: string | null; currency?: string; fromMs: number; toMs: number },
) {
  const id = crypto.randomUUID();
  const now = Date.now();
  await db()
    .insert(invoices)
    .values({
      id,
      hostId: host.hostId,
      customerId,
      periodKey: `${new Date(fields.fromMs).toISOString().slice(0, 7)}-${id.slice(0, 4)}`,
      periodStart: new Date(fields.fromMs).toISOString().slice(0, 10),
      periodEnd: new Date(fields.toMs).toISOString().slice(0, 10),
      periodFromMs: fields.fromMs,
      periodToMs: fields.toMs,
      status: fields.status ?? 'issued',
      number: fields.number === undefined ? `INV-2026-${String(Math.floor(Math.random() * 9000) + 1000)}` : fields.number,
      currency: fields.currency ?? 'USD',
      generatedAt: now,
      createdAt: now,
      updatedAt: now,
    });
  return id;
}

/** An energy line whose amount is computed the way the generator must: rate x billed Wh, once. */
export async function insertEnergyLine(host: TestHost, invoiceId: string, detail: EnergyLineDetail, energyWh: number, position = 1) {
  const id = crypto.randomUUID();
  const amountMinor = energyAmountMinor(energyWh, detail.rateMicrosPerKwh, detail.currency);
  await db()
    .insert(invoiceLines)
    .values({
      id,
      invoiceId,
      hostId: host.hostId,
      contractId: detail.contractId,
      position,
      kind: 'energy',
      description: `Energy (${detail.kwhSource})`,
      energyWh,
      kwhSource: detail.kwhSource,
      rateMicros: detail.rateMicrosPerKwh,
      unitCount: detail.units.length,
      amountMinor,
      detail: JSON.stringify(detail),
    });
  return { id, amountMinor };
}

export async function insertAdjustmentLine(host: TestHost, invoiceId: string, detail: AdjustmentLineDetail, energyWh: number, position = 2) {
  const id = crypto.randomUUID();
  const amountMinor = energyAmountMinor(energyWh, detail.rateMicrosPerKwh, detail.currency);
  await db()
    .insert(invoiceLines)
    .values({
      id,
      invoiceId,
      hostId: host.hostId,
      contractId: detail.contractId,
      position,
      kind: 'adjustment',
      description: 'Usage adjustments',
      energyWh,
      rateMicros: detail.rateMicrosPerKwh,
      amountMinor,
      detail: JSON.stringify(detail),
    });
  return { id, amountMinor };
}
