import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { billingSettings, contractMiners, contracts, hosts } from '../../src/db/schema';
import type { KwhSource } from '../../src/billing/energy';
import { db, type TestHost } from './fixtures';

export const HOUR_MS = 3_600_000;

export type UsageSeed = {
  minerId: string;
  hourStart: number;
  siteId: string;
  customerId: string | null;
  energyWh?: number;
  energySource?: 'miner' | 'pdu' | 'spec';
  avgHashrateMths?: number;
  onlineSeconds?: number;
  samples?: number;
};

/** usage_hourly rows as SiteState writes them. */
export async function insertUsage(host: TestHost, rows: UsageSeed[]) {
  const values = rows.map((r) => ({
    minerId: r.minerId,
    hourStart: r.hourStart,
    hostId: host.hostId,
    siteId: r.siteId,
    customerId: r.customerId,
    energyWh: r.energyWh ?? 3000,
    energySource: r.energySource ?? 'miner',
    avgHashrateMths: r.avgHashrateMths ?? 100_000,
    onlineSeconds: r.onlineSeconds ?? 3600,
    samples: r.samples ?? 60,
  }));
  // One statement per 2,000 rows through json_each: seeding a month of hours stays fast.
  for (let i = 0; i < values.length; i += 2000) {
    const part = values.slice(i, i + 2000).map((v) => [v.minerId, v.hourStart, v.hostId, v.siteId, v.customerId, v.energyWh, v.energySource, v.avgHashrateMths, v.onlineSeconds, v.samples]);
    await env.DB.prepare(
      `INSERT INTO usage_hourly (miner_id, hour_start, host_id, site_id, customer_id, energy_wh, energy_source, avg_hashrate_mths, online_seconds, samples)
       SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]',
         j.value ->> '$[6]', j.value ->> '$[7]', j.value ->> '$[8]', j.value ->> '$[9]' FROM json_each(?) j`,
    )
      .bind(JSON.stringify(part))
      .run();
  }
}

/** `count` consecutive hours from `fromMs`, each built by `row(i)`. */
export function hoursFrom(fromMs: number, count: number, row: (i: number, hourStart: number) => Omit<UsageSeed, 'hourStart'>): UsageSeed[] {
  return Array.from({ length: count }, (_, i) => ({ ...row(i, fromMs + i * HOUR_MS), hourStart: fromMs + i * HOUR_MS }));
}

/** A hosted per-kWh contract (or another kind) with its units, written directly (the contracts slice owns the service). */
export async function insertPerKwhContract(
  host: TestHost,
  customerId: string,
  minerIds: string[],
  fields: {
    kwhSource?: KwhSource;
    efficiencyMjPerTh?: number | null;
    startDate?: string;
    endDate?: string;
    status?: (typeof contracts.$inferInsert)['status'];
    kind?: (typeof contracts.$inferInsert)['kind'];
    pricing?: (typeof contracts.$inferInsert)['pricing'];
    name?: string;
  } = {},
) {
  const id = crypto.randomUUID();
  const now = Date.now();
  const status = fields.status ?? 'active';
  await db()
    .insert(contracts)
    .values({
      id,
      hostId: host.hostId,
      customerId,
      kind: fields.kind ?? 'hosted',
      status,
      name: fields.name ?? 'Hosting',
      currency: 'USD',
      startDate: fields.startDate ?? '2026-01-01',
      termMonths: 12,
      endDate: fields.endDate ?? '2026-12-31',
      pricing: fields.pricing === undefined ? 'per_kwh' : fields.pricing,
      kwhSource: fields.kwhSource ?? 'metered',
      efficiencyMjPerTh: fields.efficiencyMjPerTh ?? null,
      energyRateMicrosPerKwh: 50_000,
      activatedAt: status === 'draft' ? null : now,
      createdAt: now,
      updatedAt: now,
    });
  for (const minerId of minerIds) {
    await db().insert(contractMiners).values({ contractId: id, minerId, hostId: host.hostId, active: status === 'active', addedAt: now });
  }
  return id;
}

export async function setHostTimezone(host: TestHost, timezone: string) {
  await db().update(hosts).set({ timezone }).where(eq(hosts.id, host.hostId));
}

export async function setBillingDay(host: TestHost, billingDay: number) {
  await db().insert(billingSettings).values({ hostId: host.hostId, billingDay, updatedAt: Date.now() }).onConflictDoUpdate({ target: billingSettings.hostId, set: { billingDay } });
}
