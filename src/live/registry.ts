import { minerKey, type TelemetryMiner } from '../telemetry/batch';
import { matchModel, type HostModelEntry } from '../equipment/models';
import { chunk, D1_JSON_CHUNK, execJsonRows, tableColumns } from './chunk';
import type { RefusedMiner } from './contract';
import { shardOfKey, type ShardRef } from './shard';
import { compareTies, tieOf, type ListedUnit, type UnitList } from './unit-order';

/**
 * The site's miner registry: how a reported miner (MAC, else serial, else IP within the site;
 * `minerKey`) maps to its inventory row in D1, with what the fold and the alert tracker need of
 * that row (owner, nominal specs). Mirrored in the object's SQLite (`registry` table) so ingest
 * reads D1 only for miners it has never seen.
 */

export interface Registered {
  minerId: string;
  customerId: string | null;
  nominalMths: number | null;
  nominalW: number | null;
  /**
   * What the object's own lists need of the row (`SiteState.rankedPage`): the unit's D1 status
   * (a portal fleet is its customer's `assigned` units), and the columns the lists break ties by,
   * as D1 has them: `label` is `lower(coalesce(serial, mac, ''))` computed by SQLite (the admin
   * list's order; SQLite's lower() is not JavaScript's), `rack` and `serial` the portal's. Null
   * in an entry stored before these columns existed, until the next refresh.
   */
  order?: UnitOrder | null;
}

/** A unit's status and the columns its lists sort by (`Registered.order`). */
export interface UnitOrder {
  status: string;
  label: string;
  rack: string | null;
  serial: string | null;
}

export interface SiteRef {
  hostId: string;
  siteId: string;
}

/** Assignments and nominal specs change in D1; the alarm re-reads them this often. */
export const REGISTRY_REFRESH_MS = 5 * 60 * 1000;

interface InventoryRow {
  id: string;
  site_id: string | null;
  mac: string | null;
  serial: string | null;
  ip: string | null;
  customer_id: string | null;
  nominal_hashrate_mths: number | null;
  nominal_power_w: number | null;
  status: string;
  sort_label: string;
  rack_location: string | null;
}

/** The inventory columns the registry keeps (InventoryRow). */
const INVENTORY_COLUMNS = `id, site_id, mac, serial, ip, customer_id, nominal_hashrate_mths, nominal_power_w, status,
  lower(coalesce(serial, mac, '')) AS sort_label, rack_location`;

const registeredOf = (row: InventoryRow): Registered => ({
  minerId: row.id,
  customerId: row.customer_id,
  nominalMths: row.nominal_hashrate_mths,
  nominalW: row.nominal_power_w,
  order: { status: row.status, label: row.sort_label, rack: row.rack_location, serial: row.serial },
});

/** What resolve() did with a batch's miners never seen before. */
export interface Resolution {
  staged: number;
  refused: RefusedMiner[];
}

/** Entries by the identifier itself, one map per kind of `minerKey` (`mac:`, `serial:`, `ip:`). */
export interface RegistryIndex {
  mac: Map<string, Registered>;
  serial: Map<string, Registered>;
  ip: Map<string, Registered>;
}

export function indexByIdentifier(entries: ReadonlyMap<string, Registered>): RegistryIndex {
  const index: RegistryIndex = { mac: new Map(), serial: new Map(), ip: new Map() };
  for (const [key, reg] of entries) {
    const colon = key.indexOf(':');
    const kind = key.slice(0, colon);
    const byKind = kind === 'mac' ? index.mac : kind === 'serial' ? index.serial : kind === 'ip' ? index.ip : null;
    byKind?.set(key.slice(colon + 1), reg);
  }
  return index;
}

/**
 * `entries.get(minerKey(miner))` for each miner, without building a key string per miner: on a
 * 5,000-miner batch the concatenated keys (each flattened and hashed on its first lookup) were
 * the registry's whole cost (bench/README.md, "Where ingest time goes"). `${miner.ip}` is what
 * minerKey writes after `ip:`, so a miner with neither MAC nor serial matches the same way.
 */
export function matchAll(index: RegistryIndex, reported: readonly TelemetryMiner[]): (Registered | undefined)[] {
  const regs: (Registered | undefined)[] = new Array(reported.length);
  for (let i = 0; i < reported.length; i++) {
    const miner = reported[i]!;
    regs[i] = miner.mac ? index.mac.get(miner.mac) : miner.serial ? index.serial.get(miner.serial) : index.ip.get(`${miner.ip}`);
  }
  return regs;
}

/**
 * Staged units a site may hold when staff set no cap: twice its units, and never fewer than
 * STAGING_CAP_FLOOR, so a new site can stage its first fleet. Every tenant shares one D1.
 */
export const STAGING_CAP_FLOOR = 5_000;
export const stagingCapOf = (setting: number | null, siteUnits: number) => setting ?? Math.max(2 * siteUnits, STAGING_CAP_FLOOR);

export class MinerRegistry {
  private entries: Map<string, Registered> | null = null;
  /** Owner by miner id, built from `entries` when first asked and dropped whenever they change. */
  private owners: Map<string, string | null> | null = null;
  /** `entries` by identifier (`indexByIdentifier`), likewise built when first asked and dropped on change. */
  private index: RegistryIndex | null = null;
  private changes = 0;
  /** `inOrder`'s lists, each valid while `changes` is what it was when sorted. */
  private readonly ordered = new Map<UnitList, { version: number; units: ListedUnit[] }>();
  /** `unlabelled`'s answer, valid while `changes` is what it was. */
  private labelled: { version: number; all: boolean } | null = null;

  constructor(
    private readonly sql: SqlStorage,
    private readonly db: D1Database,
  ) {}

  static migrate(sql: SqlStorage) {
    sql.exec('CREATE TABLE IF NOT EXISTS registry (key TEXT PRIMARY KEY, miner_id TEXT NOT NULL, customer_id TEXT, nominal_mths INTEGER, nominal_w INTEGER)');
    // The lists' columns (Registered.order), added to objects created before them: NULL until the next refresh.
    const columns = tableColumns(sql, 'registry');
    for (const [name, type] of [['status', 'TEXT'], ['sort_label', 'TEXT'], ['rack', 'TEXT'], ['serial', 'TEXT']] as const) {
      if (!columns.has(name)) sql.exec(`ALTER TABLE registry ADD COLUMN ${name} ${type}`);
    }
  }

  /** Every known miner by its key (loaded from SQLite once per object lifetime). */
  all(): ReadonlyMap<string, Registered> {
    return this.load();
  }

  /** Who owns each miner, as of the last refresh (minutes behind D1 at most). */
  customersById(): Map<string, string | null> {
    return new Map(this.ownerMap());
  }

  /**
   * The miner's owner as the registry knows it now (null: unassigned, or a miner it does not know):
   * what a history bucket closing now is attributed to (`HistoryRoom.add`). Lags D1 by at most
   * REGISTRY_REFRESH_MS, like every other use of the registry's owner.
   */
  ownerOf(minerId: string): string | null {
    return this.ownerMap().get(minerId) ?? null;
  }

  /** Counts changes to the entries: a `match` answer holds while this is unchanged. */
  get version(): number {
    return this.changes;
  }

  /** Each reported miner's entry, in order (undefined: not known). */
  match(reported: readonly TelemetryMiner[]): (Registered | undefined)[] {
    this.index ??= indexByIdentifier(this.load());
    return matchAll(this.index, reported);
  }

  private ownerMap(): Map<string, string | null> {
    this.owners ??= new Map([...this.load().values()].map((r) => [r.minerId, r.customerId]));
    return this.owners;
  }

  /**
   * Maps reported miners to inventory rows of THIS site only; a miner never seen before is added
   * to the host's inventory as `staged` (INSERT … ON CONFLICT DO NOTHING, then read back, so two
   * objects or two batches racing for the same MAC end with one row), up to the site's staging
   * cap. A miner whose row belongs to another site (or to none), or beyond the cap, is refused:
   * named in the answer, never written (the fold skips miners the registry does not know).
   * `regs` are the miners' entries (`match`) when the caller has them already.
   */
  async resolve(site: SiteRef, reported: readonly TelemetryMiner[], regs: (Registered | undefined)[] = this.match(reported), now = Date.now()): Promise<Resolution> {
    const unknown = reported.filter((_, i) => regs[i] === undefined);
    if (unknown.length === 0) return { staged: 0, refused: [] };
    const refused = new Map<string, RefusedMiner['reason']>();
    const found = await this.lookupInventory(site, unknown, refused);
    let missing = unknown.filter((miner) => !found.has(minerKey(miner)) && !refused.has(minerKey(miner)));
    let staged = 0;
    if (missing.length > 0) {
      const room = await this.stagingRoom(site);
      if (missing.length > room) {
        for (const miner of missing.slice(Math.max(0, room))) refused.set(minerKey(miner), 'staging_cap');
        await this.db
          .prepare('UPDATE sites SET staging_refused_at = ?1, staging_refused_count = ?2 WHERE host_id = ?3 AND id = ?4')
          .bind(now, missing.length - Math.max(0, room), site.hostId, site.siteId)
          .run();
        missing = missing.slice(0, Math.max(0, room));
      } else {
        // Below the cap again: the site page's warning has done its job.
        await this.db.prepare('UPDATE sites SET staging_refused_at = NULL, staging_refused_count = NULL WHERE host_id = ?1 AND id = ?2 AND staging_refused_at IS NOT NULL').bind(site.hostId, site.siteId).run();
      }
    }
    if (missing.length > 0) {
      // A staged unit gets its nominal specs from the host's models, else the built-in catalogue.
      const hostModels = missing.some((m) => m.model) ? await this.hostModels(site.hostId) : [];
      const statements = chunk(missing, D1_JSON_CHUNK).map((rows) =>
        this.db
          .prepare(
            `INSERT INTO miners (id, host_id, site_id, mac, serial, ip, vendor, model, firmware, nominal_hashrate_mths, nominal_power_w, status, created_at, updated_at)
             SELECT j.value ->> '$[0]', ?1, ?2, j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]',
               j.value ->> '$[5]', j.value ->> '$[6]', j.value ->> '$[7]', j.value ->> '$[8]', 'staged', ?3, ?3 FROM json_each(?4) j WHERE true
             ON CONFLICT DO NOTHING`,
          )
          .bind(
            site.hostId,
            site.siteId,
            now,
            JSON.stringify(
              rows.map((m) => {
                const spec = matchModel(m.model, hostModels);
                return [
                  crypto.randomUUID(),
                  m.mac ?? null,
                  m.serial ?? null,
                  m.ip ?? null,
                  m.vendor ?? null,
                  m.model ?? null,
                  m.firmware ?? null,
                  spec?.nominalHashrateMths ?? null,
                  spec?.nominalPowerW ?? null,
                ];
              }),
            ),
          ),
      );
      const results = await this.db.batch(statements);
      staged = results.reduce((sum, result) => sum + (result.meta.changes ?? 0), 0);
      // A rival insert may have won with another site's row: lookupInventory refuses it again.
      for (const [key, value] of await this.lookupInventory(site, missing, refused)) found.set(key, value);
    }
    this.save([...found]);
    return { staged, refused: [...refused].map(([key, reason]) => ({ key, reason })) };
  }

  /** How many more units this site may stage: its cap (setting, or the default) minus those staged. */
  private async stagingRoom(site: SiteRef): Promise<number> {
    const row = await this.db
      .prepare(
        `SELECT s.staged_cap AS cap,
           (SELECT count(*) FROM miners m WHERE m.host_id = ?1 AND m.site_id = ?2 AND m.status = 'staged') AS staged,
           (SELECT count(*) FROM miners m WHERE m.host_id = ?1 AND m.site_id = ?2 AND m.status NOT IN ('staged', 'retired')) AS units
         FROM sites s WHERE s.host_id = ?1 AND s.id = ?2`,
      )
      .bind(site.hostId, site.siteId)
      .first<{ cap: number | null; staged: number; units: number }>();
    if (!row) return 0;
    return stagingCapOf(row.cap, row.units) - row.staged;
  }

  /**
   * Re-reads every known miner's row from D1 (assignments and nominal specs change there); a unit
   * staff moved to another site, or deleted, is forgotten here, so its samples stop landing.
   */
  async refresh(hostId: string, siteId: string, shard: ShardRef = { index: 0, count: 1 }): Promise<void> {
    const ids = [...this.load().values()].map((r) => r.minerId);
    const entries: [string, Registered][] = [];
    for (const part of chunk(ids, D1_JSON_CHUNK)) {
      const result = await this.db
        .prepare(
          `SELECT ${INVENTORY_COLUMNS} FROM miners
           WHERE host_id = ?1 AND site_id = ?3 AND id IN (SELECT value FROM json_each(?2))`,
        )
        .bind(hostId, JSON.stringify(part), siteId)
        .all<InventoryRow>();
      for (const row of result.results) entries.push([minerKey(row), registeredOf(row)]);
    }
    const kept = new Set(entries.map(([key]) => key));
    this.drop([...this.load().keys()].filter((key) => !kept.has(key)));
    this.save(entries.filter(([key]) => shardOfKey(key, shard.count) === shard.index));
    this.keepShard(shard);
  }

  /**
   * Forgets the units that no longer hash to this shard (the site's shard count grew): their
   * samples now go to another shard, and reads here stop showing them (`knows`).
   */
  keepShard(shard: ShardRef) {
    if (shard.count <= 1) return;
    this.drop([...this.load().keys()].filter((key) => shardOfKey(key, shard.count) !== shard.index));
  }

  /** Whether some entry was stored before the lists' columns existed (`Registered.order`): refresh before listing. */
  unlabelled(): boolean {
    if (this.labelled?.version !== this.changes) this.labelled = { version: this.changes, all: [...this.load().values()].every((reg) => reg.order) };
    return !this.labelled.all;
  }

  /**
   * The units this object answers for, in a list's own order (`unit-order.ts`), each once:
   * sorted when first asked after a change, then kept until the entries change again.
   */
  inOrder(list: UnitList): readonly ListedUnit[] {
    const cached = this.ordered.get(list);
    if (cached && cached.version === this.changes) return cached.units;
    const seen = new Set<string>();
    const units: ListedUnit[] = [];
    for (const reg of this.load().values()) {
      if (!reg.order || seen.has(reg.minerId)) continue;
      seen.add(reg.minerId);
      units.push({ minerId: reg.minerId, customerId: reg.customerId, status: reg.order.status, tie: tieOf(list, reg.minerId, reg.order) });
    }
    units.sort((a, b) => compareTies(a.tie, b.tie));
    this.ordered.set(list, { version: this.changes, units });
    return units;
  }

  /** Whether the registry maps some key to this miner: the units this object answers for. */
  knows(minerId: string): boolean {
    return this.ownerMap().has(minerId);
  }

  private drop(keys: string[]) {
    if (keys.length === 0) return;
    execJsonRows(this.sql, 'DELETE FROM registry WHERE key IN (SELECT value FROM json_each(?))', keys);
    for (const key of keys) this.load().delete(key);
    this.owners = null;
    this.index = null;
    this.changes += 1;
  }

  private async hostModels(hostId: string): Promise<HostModelEntry[]> {
    const result = await this.db
      .prepare('SELECT name, match_key AS matchKey, nominal_hashrate_mths AS nominalHashrateMths, nominal_power_w AS nominalPowerW FROM host_models WHERE host_id = ?1')
      .bind(hostId)
      .all<HostModelEntry>();
    return result.results;
  }

  private load(): Map<string, Registered> {
    if (this.entries) return this.entries;
    const map = new Map<string, Registered>();
    for (const row of this.sql.exec<{
      key: string;
      miner_id: string;
      customer_id: string | null;
      nominal_mths: number | null;
      nominal_w: number | null;
      status: string | null;
      sort_label: string | null;
      rack: string | null;
      serial: string | null;
    }>('SELECT key, miner_id, customer_id, nominal_mths, nominal_w, status, sort_label, rack, serial FROM registry')) {
      const order = row.status === null || row.sort_label === null ? null : { status: row.status, label: row.sort_label, rack: row.rack, serial: row.serial };
      map.set(row.key, { minerId: row.miner_id, customerId: row.customer_id, nominalMths: row.nominal_mths, nominalW: row.nominal_w, order });
    }
    this.entries = map;
    return map;
  }

  private save(entries: [string, Registered][]) {
    if (entries.length === 0) return;
    execJsonRows(
      this.sql,
      `INSERT INTO registry (key, miner_id, customer_id, nominal_mths, nominal_w, status, sort_label, rack, serial)
       SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]',
         j.value ->> '$[5]', j.value ->> '$[6]', j.value ->> '$[7]', j.value ->> '$[8]' FROM json_each(?) j WHERE true
       ON CONFLICT (key) DO UPDATE SET miner_id = excluded.miner_id, customer_id = excluded.customer_id,
         nominal_mths = excluded.nominal_mths, nominal_w = excluded.nominal_w, status = excluded.status,
         sort_label = excluded.sort_label, rack = excluded.rack, serial = excluded.serial`,
      entries.map(([key, r]) => [key, r.minerId, r.customerId, r.nominalMths, r.nominalW, r.order?.status ?? null, r.order?.label ?? null, r.order?.rack ?? null, r.order?.serial ?? null]),
    );
    const map = this.load();
    for (const [key, value] of entries) map.set(key, value);
    this.owners = null;
    this.index = null;
    this.changes += 1;
  }

  /**
   * The host's rows for these miners (MAC, else serial, else IP within the site). A row of
   * another site, or of none, goes to `refused` instead: one agent never writes another site's unit.
   */
  private async lookupInventory(site: SiteRef, miners: readonly TelemetryMiner[], refused: Map<string, RefusedMiner['reason']>): Promise<Map<string, Registered>> {
    const found = new Map<string, Registered>();
    for (const rows of chunk(miners, D1_JSON_CHUNK)) {
      const macs = rows.flatMap((m) => (m.mac ? [m.mac] : []));
      const serials = rows.flatMap((m) => (!m.mac && m.serial ? [m.serial] : []));
      const ips = rows.flatMap((m) => (!m.mac && !m.serial && m.ip ? [m.ip] : []));
      const result = await this.db
        .prepare(
          `SELECT ${INVENTORY_COLUMNS} FROM miners
           WHERE host_id = ?1 AND (mac IN (SELECT value FROM json_each(?2))
             OR (mac IS NULL AND serial IN (SELECT value FROM json_each(?3)))
             OR (mac IS NULL AND serial IS NULL AND site_id = ?4 AND ip IN (SELECT value FROM json_each(?5))))`,
        )
        .bind(site.hostId, JSON.stringify(macs), JSON.stringify(serials), site.siteId, JSON.stringify(ips))
        .all<InventoryRow>();
      for (const row of result.results) {
        if (row.site_id === site.siteId) found.set(minerKey(row), registeredOf(row));
        else refused.set(minerKey(row), 'other_site');
      }
    }
    return found;
  }
}
