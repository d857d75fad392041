import { and, asc, eq, sql, type SQLWrapper } from 'drizzle-orm';
import * as z from '../lib/schema';
import { activityInsert, type Actor } from '../activity/service';
import type { Db } from '../db/client';
import { hostModels, miners, usageHourly } from '../db/schema';
import { notFound, ValidationError } from '../lib/errors';
import { newId } from '../lib/ids';
import { parseInput } from '../lib/validation';
import { matchModel, normaliseModel, type HostModelEntry } from './models';

/**
 * Power data of units: a host's own models (Settings → Models), nominal specs filled from them or
 * the built-in catalogue, the units that have no power data at all, and re-computing their
 * unknown hours once they have a spec (docs/billing/usage.md, "Unknown energy").
 */

export type HostModel = typeof hostModels.$inferSelect;

export async function hostModelEntries(db: Db, hostId: string): Promise<HostModelEntry[]> {
  return db
    .select({ name: hostModels.name, matchKey: hostModels.matchKey, nominalHashrateMths: hostModels.nominalHashrateMths, nominalPowerW: hostModels.nominalPowerW })
    .from(hostModels)
    .where(eq(hostModels.hostId, hostId));
}

/** Nominal specs for a unit that has none, from the host's models or the catalogue (each field only if missing). */
export function fillNominal<T extends { model?: string | null; nominalHashrateMths?: number | null; nominalPowerW?: number | null }>(
  values: T,
  entries: readonly HostModelEntry[],
): T {
  if (values.nominalHashrateMths != null && values.nominalPowerW != null) return values;
  const spec = matchModel(values.model, entries);
  if (!spec) return values;
  return {
    ...values,
    nominalHashrateMths: values.nominalHashrateMths ?? spec.nominalHashrateMths,
    nominalPowerW: values.nominalPowerW ?? spec.nominalPowerW,
  };
}

export async function listHostModels(db: Db, hostId: string): Promise<HostModel[]> {
  return db.select().from(hostModels).where(eq(hostModels.hostId, hostId)).orderBy(asc(sql`lower(${hostModels.name})`));
}

export async function getHostModel(db: Db, hostId: string, id: string): Promise<HostModel> {
  const [row] = await db.select().from(hostModels).where(and(eq(hostModels.hostId, hostId), eq(hostModels.id, id)));
  if (!row) throw notFound('Model');
  return row;
}

const hostModelSchema = z.strictObject({
  name: z.string().check(
    z.trim(),
    z.minLength(1, 'Enter the model name as the miner reports it.'),
    z.maxLength(100, 'Keep the name under 100 characters.'),
  ),
  nominal_hashrate_ths: z.pipe(z.string().check(
    z.trim(),
    z.regex(/^\d{1,4}(\.\d{1,3})?$/, 'Enter the hashrate in TH/s, e.g. 110 or 13.5.'),
  ), z.transform((v) => Math.round(Number(v) * 1000))).check(z.refine((v) => v > 0, 'Enter a hashrate above 0.')),
  nominal_power_w: z.pipe(z.string().check(
    z.trim(),
    z.regex(/^\d{1,6}$/, 'Enter the power in whole watts, e.g. 3250.'),
  ), z.transform(Number)).check(z.refine((v) => v > 0 && v <= 100_000, 'Enter a power between 1 and 100,000 W.')),
});

export interface HostModelForm {
  name?: string;
  nominal_hashrate_ths?: string;
  nominal_power_w?: string;
}

async function assertKeyFree(db: Db, hostId: string, matchKey: string, exceptId?: string) {
  const [clash] = await db
    .select({ id: hostModels.id, name: hostModels.name })
    .from(hostModels)
    .where(and(eq(hostModels.hostId, hostId), eq(hostModels.matchKey, matchKey)));
  if (clash && clash.id !== exceptId) throw new ValidationError({ name: `"${clash.name}" already matches this model; edit that entry instead.` });
}

export async function createHostModel(db: Db, hostId: string, actor: Actor, raw: HostModelForm): Promise<HostModel> {
  const input = parseInput(hostModelSchema, raw);
  const matchKey = normaliseModel(input.name);
  if (!matchKey) throw new ValidationError({ name: 'Enter a model name with letters or digits.' });
  await assertKeyFree(db, hostId, matchKey);
  const now = Date.now();
  const id = newId();
  try {
    await db.batch([
      db.insert(hostModels).values({ id, hostId, name: input.name, matchKey, nominalHashrateMths: input.nominal_hashrate_ths, nominalPowerW: input.nominal_power_w, createdAt: now, updatedAt: now }),
      activityInsert(db, hostId, actor, 'model.created', null, { name: [null, input.name], nominal_power_w: [null, input.nominal_power_w] }, now),
    ]);
  } catch (error) {
    if (String(error).includes('UNIQUE')) throw new ValidationError({ name: 'Another entry already matches this model.' });
    throw error;
  }
  return getHostModel(db, hostId, id);
}

export async function updateHostModel(db: Db, hostId: string, actor: Actor, id: string, raw: HostModelForm): Promise<HostModel> {
  const existing = await getHostModel(db, hostId, id);
  const input = parseInput(hostModelSchema, raw);
  const matchKey = normaliseModel(input.name);
  if (!matchKey) throw new ValidationError({ name: 'Enter a model name with letters or digits.' });
  await assertKeyFree(db, hostId, matchKey, id);
  const now = Date.now();
  try {
    await db.batch([
      db
        .update(hostModels)
        .set({ name: input.name, matchKey, nominalHashrateMths: input.nominal_hashrate_ths, nominalPowerW: input.nominal_power_w, updatedAt: now })
        .where(and(eq(hostModels.hostId, hostId), eq(hostModels.id, id))),
      activityInsert(
        db,
        hostId,
        actor,
        'model.updated',
        null,
        { name: [existing.name, input.name], nominal_hashrate_mths: [existing.nominalHashrateMths, input.nominal_hashrate_ths], nominal_power_w: [existing.nominalPowerW, input.nominal_power_w] },
        now,
      ),
    ]);
  } catch (error) {
    if (String(error).includes('UNIQUE')) throw new ValidationError({ name: 'Another entry already matches this model.' });
    throw error;
  }
  return getHostModel(db, hostId, id);
}

export async function deleteHostModel(db: Db, hostId: string, actor: Actor, id: string): Promise<void> {
  const existing = await getHostModel(db, hostId, id);
  await db.batch([
    db.delete(hostModels).where(and(eq(hostModels.hostId, hostId), eq(hostModels.id, id))),
    activityInsert(db, hostId, actor, 'model.deleted', null, { name: [existing.name, null] }),
  ]);
}

/** Measured power in this window clears a unit without a spec (a Whatsminer reports its own). */
const RECENT_MEASURED_MS = 48 * 60 * 60 * 1000;

/** Where the window of `RECENT_MEASURED_MS` starts, as of `now`. */
export const recentMeasuredSince = (now = Date.now()) => now - RECENT_MEASURED_MS;

/**
 * Units without power data: not retired, no nominal power, and no measured (miner or PDU) hour in
 * the last 48 hours, or with an unknown-energy hour not yet resolved. Their energy is unknown, so
 * they are flagged (site page, Equipment list) rather than billed as 0 Wh.
 */
export function withoutPowerDataFilter(hostId: string | SQLWrapper, recentSince: number | SQLWrapper = recentMeasuredSince()) {
  return sql`${miners.hostId} = ${hostId} AND ${miners.status} <> 'retired' AND ${miners.nominalPowerW} IS NULL
    AND (NOT EXISTS (SELECT 1 FROM ${usageHourly} u WHERE u.miner_id = ${miners.id} AND u.host_id = ${hostId} AND u.hour_start >= ${recentSince}
           AND u.energy_source IN ('miner', 'pdu'))
      OR EXISTS (SELECT 1 FROM ${usageHourly} u WHERE u.miner_id = ${miners.id} AND u.host_id = ${hostId} AND u.energy_wh IS NULL))`;
}

export async function countUnitsWithoutPowerData(db: Db, hostId: string, siteId?: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(miners)
    .where(and(withoutPowerDataFilter(hostId), siteId ? eq(miners.siteId, siteId) : undefined));
  return row?.n ?? 0;
}

/** A unit's hours with unknown energy: total, and those still open to re-computation (day not sealed). */
export async function unknownHoursOf(db: Db, hostId: string, minerId: string): Promise<{ total: number; unsealed: number }> {
  const [row] = await db.all<{ total: number; unsealed: number }>(sql`
    SELECT count(*) AS total,
      coalesce(sum(NOT EXISTS (SELECT 1 FROM usage_seal_days d WHERE d.site_id = u.site_id AND d.day = strftime('%Y-%m-%d', u.hour_start / 1000, 'unixepoch'))), 0) AS unsealed
    FROM usage_hourly u WHERE u.host_id = ${hostId} AND u.miner_id = ${minerId} AND u.energy_wh IS NULL`);
  return row ?? { total: 0, unsealed: 0 };
}

/**
 * Re-computes a unit's unknown hours on days not yet sealed from its nominal power: Wh = W ×
 * online seconds ÷ 3600, half up (the `spec` rule of billedWh), source `spec`. Sealed days are
 * immutable: their unknown hours stay unknown (bill the unit a fixed fee for them instead).
 * Returns how many hours were re-computed.
 */
export async function recomputeUnknownHours(db: Db, hostId: string, actor: Actor, minerId: string): Promise<number> {
  const [unit] = await db
    .select({ id: miners.id, nominalPowerW: miners.nominalPowerW, customerId: miners.customerId, serial: miners.serial })
    .from(miners)
    .where(and(eq(miners.hostId, hostId), eq(miners.id, minerId)));
  if (!unit) throw notFound('Unit');
  if (unit.nominalPowerW === null) throw new ValidationError({ nominal_power_w: 'Set the unit’s nominal power first.' });
  const { unsealed } = await unknownHoursOf(db, hostId, minerId);
  if (unsealed === 0) return 0;
  const now = Date.now();
  // D1 binds JS numbers as REAL: cast, so the division is SQLite's integer one (half up, as billedWh).
  await db.batch([
    db
      .update(usageHourly)
      .set({ energyWh: sql`(CAST(${unit.nominalPowerW} AS INTEGER) * ${usageHourly.onlineSeconds} + 1800) / 3600`, energySource: 'spec' })
      .where(
        and(
          eq(usageHourly.hostId, hostId),
          eq(usageHourly.minerId, minerId),
          sql`${usageHourly.energyWh} IS NULL`,
          sql`NOT EXISTS (SELECT 1 FROM usage_seal_days d WHERE d.site_id = ${usageHourly.siteId} AND d.day = strftime('%Y-%m-%d', ${usageHourly.hourStart} / 1000, 'unixepoch'))`,
        ),
      ),
    activityInsert(db, hostId, actor, 'miner.energy_recomputed', unit.customerId, { unknown_hours: [unsealed, 0], nominal_power_w: [null, unit.nominalPowerW] }, now),
  ]);
  return unsealed;
}
