import { env } from 'cloudflare:test';
import { insertSite, portalCustomer } from './alerts';
import { createHost, type TestHost } from './fixtures';
import { batchOf, report, stateOf, type MinerReport } from './telemetry';

export interface SeededMiner {
  id: string;
  mac: string;
  serial: string;
  rackLocation: string;
}

/**
 * `count` units assigned to a customer at one site, inserted with one statement (the rows travel
 * as one JSON parameter: D1 allows 100 bound parameters per statement). Serials are
 * `${prefix}-0000`, `${prefix}-0001`…, rack locations `Row 00`…; `nominalThs` 100 + i % 10.
 */
export async function seedFleet(host: TestHost, fields: { siteId: string; customerId: string; count: number; prefix?: string; model?: string }): Promise<SeededMiner[]> {
  const prefix = fields.prefix ?? `F${crypto.randomUUID().slice(0, 6)}`;
  const now = Date.now();
  // MACs unique within the seed (its index) and apart from nextMac()'s 02:00:… (first octet 06).
  const salt = [...crypto.getRandomValues(new Uint8Array(2))].map((b) => b.toString(16).padStart(2, '0'));
  const hex = (b: number) => b.toString(16).padStart(2, '0');
  const seeded = Array.from({ length: fields.count }, (_, i) => ({
    id: crypto.randomUUID(),
    mac: ['06', ...salt, hex(i >> 16), hex((i >> 8) & 255), hex(i & 255)].join(':'),
    serial: `${prefix}-${String(i).padStart(4, '0')}`,
    rackLocation: `Row ${String(i).padStart(4, '0')}`,
    nominal: (100 + (i % 10)) * 1000,
  }));
  await env.DB.prepare(
    `INSERT INTO miners (id, host_id, site_id, customer_id, serial, mac, vendor, model, rack_location, nominal_hashrate_mths, nominal_power_w, status, created_at, updated_at)
     SELECT j.value ->> '$.id', ?1, ?2, ?3, j.value ->> '$.serial', j.value ->> '$.mac', 'Bitmain', ?4, j.value ->> '$.rackLocation', j.value ->> '$.nominal', 3068, 'assigned', ?5, ?5
     FROM json_each(?6) AS j`,
  )
    .bind(host.hostId, fields.siteId, fields.customerId, fields.model ?? 'Antminer S19j Pro', now, JSON.stringify(seeded))
    .run();
  return seeded.map(({ nominal: _n, ...miner }) => miner);
}

/** One telemetry batch for the given units, ingested straight into the site's object. */
export async function reportFleet(host: TestHost, siteId: string, units: readonly { mac: string }[], fields: (i: number) => Partial<MinerReport> = () => ({})) {
  await stateOf(siteId).ingest({ hostId: host.hostId, siteId }, batchOf(units.map((unit, i) => report(unit.mac, fields(i)))));
}

/**
 * Sets units' last change (`updated_at`) to `at`, and with `set` other columns too (SQL, such as
 * `customer_id = '…', `): a change stamped minutes ago is one no site object re-reads on its own.
 */
export async function stampUnits(ids: readonly string[], at: number, set = '') {
  await env.DB.prepare(`UPDATE miners SET ${set}updated_at = ?1 WHERE id IN (SELECT value FROM json_each(?2))`)
    .bind(at, JSON.stringify(ids))
    .run();
}

/**
 * A host with one site and two portal customers, Alice (3 units) and Bob (2), every unit
 * reporting, Alice's first the fastest (120 TH/s, then one less each). `unitsChangedAt` stamps
 * every unit's last change then (`stampUnits`), before they report.
 */
export async function hostWithTwoCustomers(name: string, options: { unitsChangedAt?: number } = {}) {
  const host = await createHost(name);
  const siteId = await insertSite(host, `${name} Hall`);
  const alice = await portalCustomer(host, `${name} Alice`);
  const bob = await portalCustomer(host, `${name} Bob`);
  const tag = name.replace(/\W/g, '').toUpperCase();
  const aliceUnits = await seedFleet(host, { siteId, customerId: alice.customer.id, count: 3, prefix: `${tag}-ALICE` });
  const bobUnits = await seedFleet(host, { siteId, customerId: bob.customer.id, count: 2, prefix: `${tag}-BOB` });
  if (options.unitsChangedAt !== undefined) await stampUnits([...aliceUnits, ...bobUnits].map((unit) => unit.id), options.unitsChangedAt);
  await reportFleet(host, siteId, [...aliceUnits, ...bobUnits], (i) => ({ hashrate_ths: 120 - i }));
  return { host, siteId, alice, bob, aliceUnits, bobUnits };
}
