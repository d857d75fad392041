// Fixtures for invoice generation: a customer with units under a contract, and usage rows,
// inserted directly (SiteState writes usage_hourly in production; contracts have their own service).
import { eq } from 'drizzle-orm';
import { billingSettings, contractMiners, contracts, miners, sites, usageHourly } from '../../src/db/schema';
import { createHost, createTestCustomer, db, uniqueId, type TestHost } from './fixtures';

export type ContractInsert = typeof contracts.$inferInsert;

export async function billingSite(host: TestHost, fields: { rateMicros?: number | null; name?: string } = {}) {
  const id = crypto.randomUUID();
  const now = Date.now();
  await db()
    .insert(sites)
    .values({ id, hostId: host.hostId, name: fields.name ?? `Site ${uniqueId()}`, energyCostMicrosPerKwh: fields.rateMicros ?? null, createdAt: now, updatedAt: now });
  return id;
}

export async function billingUnit(host: TestHost, customerId: string | null, siteId: string, fields: { nominalPowerW?: number | null; serial?: string | null; mac?: string } = {}) {
  const id = crypto.randomUUID();
  const now = Date.now();
  await db()
    .insert(miners)
    .values({
      id,
      hostId: host.hostId,
      customerId,
      siteId,
      serial: fields.serial === undefined ? `SN-${uniqueId()}` : fields.serial,
      mac: fields.mac ?? null,
      status: customerId ? 'assigned' : 'unassigned',
      nominalPowerW: fields.nominalPowerW === undefined ? 3250 : fields.nominalPowerW,
      nominalHashrateMths: 110_000,
      createdAt: now,
      updatedAt: now,
    });
  return id;
}

/** A non-draft contract with its units, active by default. */
export async function billingContract(host: TestHost, customerId: string, fields: Partial<ContractInsert> & { minerIds?: string[] } = {}) {
  const id = crypto.randomUUID();
  const now = Date.now();
  const { minerIds = [], ...rest } = fields;
  await db()
    .insert(contracts)
    .values({
      id,
      hostId: host.hostId,
      customerId,
      kind: 'hosted',
      status: 'active',
      name: 'Hosting',
      currency: 'USD',
      startDate: '2026-01-01',
      termMonths: 12,
      endDate: '2026-12-31',
      pricing: 'per_kwh',
      kwhSource: 'metered',
      createdAt: now,
      updatedAt: now,
      ...rest,
    });
  for (const minerId of minerIds) {
    await db().insert(contractMiners).values({ contractId: id, minerId, hostId: host.hostId, active: (rest.status ?? 'active') === 'active', addedAt: now });
  }
  return id;
}

export async function usageRows(
  host: TestHost,
  rows: { minerId: string; siteId: string; customerId: string | null; hourStart: number; energyWh: number; onlineSeconds?: number; avgHashrateMths?: number; source?: 'miner' | 'pdu' | 'spec' }[],
) {
  for (let i = 0; i < rows.length; i += 10) {
    await db()
      .insert(usageHourly)
      .values(
        rows.slice(i, i + 10).map((r) => ({
          minerId: r.minerId,
          hourStart: r.hourStart,
          hostId: host.hostId,
          siteId: r.siteId,
          customerId: r.customerId,
          energyWh: r.energyWh,
          energySource: r.source ?? 'miner',
          avgHashrateMths: r.avgHashrateMths ?? 100_000,
          onlineSeconds: r.onlineSeconds ?? 3600,
          samples: 60,
        })),
      );
  }
}

/** Hours a unit ran with unknown energy (no power reading, no nominal power): energy_wh NULL, source `unknown`. */
export async function unknownUsageRows(host: TestHost, minerId: string, siteId: string, customerId: string | null, hourStarts: number[], onlineSeconds = 3600) {
  const rows = hourStarts.map((hourStart) => ({
    minerId,
    hourStart,
    hostId: host.hostId,
    siteId,
    customerId,
    energyWh: null,
    energySource: 'unknown' as const,
    avgHashrateMths: 110_000,
    onlineSeconds,
    samples: 60,
  }));
  for (let i = 0; i < rows.length; i += 10) await db().insert(usageHourly).values(rows.slice(i, i + 10));
}

export async function setBilling(host: TestHost, fields: Partial<typeof billingSettings.$inferInsert>) {
  await db()
    .insert(billingSettings)
    .values({ hostId: host.hostId, updatedAt: Date.now(), ...fields })
    .onConflictDoUpdate({ target: billingSettings.hostId, set: { ...fields, updatedAt: Date.now() } });
}

/** A customer billed in USD with two units at one site at 0.08 USD/kWh. */
export async function billedCustomer(host: TestHost, fields: Record<string, unknown> = {}) {
  const customer = await createTestCustomer(host, { name: `Billed ${uniqueId()}`, contact_email: `billing-${uniqueId()}@example.com`, ...fields });
  const siteId = await billingSite(host, { rateMicros: 80_000 });
  const units = [await billingUnit(host, customer.id, siteId), await billingUnit(host, customer.id, siteId)];
  return { customer, siteId, units };
}

export const hour = (iso: string) => Date.parse(iso);

export async function minerRow(id: string) {
  return (await db().select().from(miners).where(eq(miners.id, id)))[0]!;
}

/** `count` hours of unknown energy (online, no power reading, no nominal power) for a unit, from `startIso`. */
export const unknownHours = (host: TestHost, minerId: string, siteId: string, customerId: string, count: number, startIso = '2026-03-02T00:00:00Z') =>
  unknownUsageRows(host, minerId, siteId, customerId, Array.from({ length: count }, (_, i) => hour(startIso) + i * 3_600_000));

/** `count` hours of `wh` each for every unit given, from `startIso`. */
export async function knownHours(host: TestHost, minerIds: string[], siteId: string, customerId: string, count: number, wh = 3000, startIso = '2026-03-10T00:00:00Z') {
  const rows = minerIds.flatMap((minerId) =>
    Array.from({ length: count }, (_, i) => ({ minerId, hourStart: hour(startIso) + i * 3_600_000, hostId: host.hostId, siteId, customerId, energyWh: wh, energySource: 'miner' as const, avgHashrateMths: 100_000, onlineSeconds: 3600, samples: 60 })),
  );
  for (let i = 0; i < rows.length; i += 10) await db().insert(usageHourly).values(rows.slice(i, i + 10));
}

/**
 * A new host whose customer has two units with known energy and one (an S19 Pro without power
 * data, `bare`) with 37 unknown and 3 known hours in March 2026: the unit a fixed fee is for.
 */
export async function blockedSetup() {
  const host = await createHost();
  const { customer, siteId, units } = await billedCustomer(host);
  const bare = await billingUnit(host, customer.id, siteId, { nominalPowerW: null, serial: 'SN-NO-POWER' });
  await db().update(miners).set({ model: 'S19 Pro' }).where(eq(miners.id, bare));
  await billingContract(host, customer.id, { minerIds: [...units, bare] });
  await knownHours(host, units, siteId, customer.id, 2);
  await unknownHours(host, bare, siteId, customer.id, 37);
  await knownHours(host, [bare], siteId, customer.id, 3, 3100, '2026-03-20T00:00:00Z');
  return { host, customer, siteId, units, bare };
}
