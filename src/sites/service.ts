import { inSiteScope, type SiteScope } from '../team/scope';
import { and, asc, eq, sql, type SQLWrapper } from 'drizzle-orm';
import { activityInsert, activityInsertIfChanged, diffFields, type Actor, type Changes } from '../activity/service';
import type { Db } from '../db/client';
import { hosts, networkSegments, sites } from '../db/schema';
import { AppError, notFound, ValidationError } from '../lib/errors';
import { newId } from '../lib/ids';
import { parseInput } from '../lib/validation';
import { STALE_AFTER_MS } from '../telemetry/status';
import {
  cidrsOverlap,
  createSiteSchema,
  MAX_SEGMENTS_PER_SITE,
  microsToDecimal,
  parseCidr,
  segmentSchema,
  updateSiteSchema,
  type CreateSiteInput,
  type SegmentInput,
} from './schema';

export type SiteRow = typeof sites.$inferSelect;
export type SegmentRow = typeof networkSegments.$inferSelect;

/**
 * The site's agent connection as the Sites list shows it: no agent has ever registered (or every
 * registered one is revoked); one reported within the stale window (the same 5 minutes after
 * which SiteState calls a site's miners stale); or none has for longer.
 */
export type AgentConnection = { kind: 'none' } | { kind: 'online'; lastSeenAt: number } | { kind: 'offline'; lastSeenAt: number | null };

export const AGENT_ONLINE_WINDOW_MS = STALE_AFTER_MS;

export function agentConnection(registeredAgents: number, lastSeenAt: number | null, now = Date.now()): AgentConnection {
  if (registeredAgents === 0) return { kind: 'none' };
  if (lastSeenAt !== null && now - lastSeenAt <= AGENT_ONLINE_WINDOW_MS) return { kind: 'online', lastSeenAt };
  return { kind: 'offline', lastSeenAt };
}

export interface SiteListItem extends SiteRow {
  minerCount: number;
  agent: AgentConnection;
}

export interface SiteDetail extends SiteListItem {
  segments: SegmentRow[];
}

/** Table-qualified (drizzle prints one-table columns unqualified, which a subquery would rebind). */
const SITE_ID = sql.raw('"sites"."id"');

function siteListColumns() {
  return {
    id: sites.id,
    hostId: sites.hostId,
    name: sites.name,
    city: sites.city,
    region: sites.region,
    country: sites.country,
    timezone: sites.timezone,
    capacityKw: sites.capacityKw,
    energyCostMicrosPerKwh: sites.energyCostMicrosPerKwh,
    stagedCap: sites.stagedCap,
    stagingRefusedAt: sites.stagingRefusedAt,
    stagingRefusedCount: sites.stagingRefusedCount,
    liveShards: sites.liveShards,
    createdAt: sites.createdAt,
    updatedAt: sites.updatedAt,
    minerCount: sql<number>`(SELECT count(*) FROM miners m WHERE m.site_id = ${SITE_ID} AND m.status <> 'retired')`.as('miner_count'),
    registeredAgents: sql<number>`(SELECT count(*) FROM agents a WHERE a.site_id = ${SITE_ID} AND a.registered_at IS NOT NULL AND a.revoked_at IS NULL)`.as('registered_agents'),
    agentLastSeenAt: sql<number | null>`(SELECT max(a.last_seen_at) FROM agents a WHERE a.site_id = ${SITE_ID} AND a.registered_at IS NOT NULL AND a.revoked_at IS NULL)`.as('agent_last_seen_at'),
  };
}

type ListRow = SiteRow & { minerCount: number; registeredAgents: number; agentLastSeenAt: number | null };

const toListItem = ({ registeredAgents, agentLastSeenAt, ...row }: ListRow, now: number): SiteListItem => ({
  ...row,
  agent: agentConnection(registeredAgents, agentLastSeenAt, now),
});

/** Every site of the host, by name (a host has a handful of sites, so no paging). */
export async function listSites(db: Db, hostId: string, now = Date.now(), siteScope?: SiteScope): Promise<SiteListItem[]> {
  const rows = await db
    .select(siteListColumns())
    .from(sites)
    .where(and(eq(sites.hostId, hostId), inSiteScope(sites.id, siteScope)))
    .orderBy(asc(sql`lower(${sites.name})`), asc(sites.id))
    .all();
  return rows.map((row) => toListItem(row, now));
}

/** Id and name only, for pickers and filters. */
/** The host's sites for pickers and filters. Unexecuted, so a page can batch it with its list. */
export function siteOptionsQuery(db: Db, hostId: string | SQLWrapper, siteScope?: SiteScope) {
  return db
    .select({ id: sites.id, name: sites.name })
    .from(sites)
    .where(and(eq(sites.hostId, hostId), inSiteScope(sites.id, siteScope)))
    .orderBy(asc(sql`lower(${sites.name})`), asc(sites.id));
}

export function siteOptions(db: Db, hostId: string, siteScope?: SiteScope): Promise<{ id: string; name: string }[]> {
  return siteOptionsQuery(db, hostId, siteScope).all();
}

/** A site outside the member's scope (src/team/scope.ts) is not found, exactly like another host's. */
export async function getSite(db: Db, hostId: string, siteId: string, now = Date.now(), siteScope?: SiteScope): Promise<SiteDetail> {
  const [rows, segments] = await db.batch([
    db
      .select(siteListColumns())
      .from(sites)
      .where(and(eq(sites.hostId, hostId), eq(sites.id, siteId), inSiteScope(sites.id, siteScope))),
    db
      .select()
      .from(networkSegments)
      .where(and(eq(networkSegments.hostId, hostId), eq(networkSegments.siteId, siteId)))
      .orderBy(asc(sql`${networkSegments}.rowid`)), // insertion order
  ]);
  const row = rows[0];
  if (!row) throw notFound('Site');
  return { ...toListItem(row, now), segments };
}

// ---------------------------------------------------------------------------------------------
// Create and update: each write and its activity entry in one db.batch (host-level entries:
// customer_id is null).

/** API/form field → column; energy cost is shown in activity as decimal text. */
const FIELD_COLUMNS = {
  name: 'name',
  city: 'city',
  region: 'region',
  country: 'country',
  timezone: 'timezone',
  capacity_kw: 'capacityKw',
  energy_cost_per_kwh: 'energyCostMicrosPerKwh',
  staged_cap: 'stagedCap',
} as const;
type FieldName = keyof typeof FIELD_COLUMNS;
const FIELD_NAMES = Object.keys(FIELD_COLUMNS) as FieldName[];

function toColumns(input: Partial<Record<FieldName, unknown>>): Partial<SiteRow> {
  const values: Partial<Record<keyof SiteRow, unknown>> = {};
  for (const field of FIELD_NAMES) {
    if (input[field] !== undefined) values[FIELD_COLUMNS[field]] = input[field];
  }
  return values as Partial<SiteRow>;
}

const showColumn = (column: keyof SiteRow, value: unknown) =>
  column === 'energyCostMicrosPerKwh' && typeof value === 'number' ? microsToDecimal(value) : (value ?? null);

function changesByField(before: Partial<SiteRow>, after: Partial<SiteRow>): Changes {
  const byColumn = diffFields(before as Record<string, unknown>, after as Record<string, unknown>, Object.values(FIELD_COLUMNS));
  const changes: Changes = {};
  for (const field of FIELD_NAMES) {
    const column = FIELD_COLUMNS[field];
    const change = byColumn[column];
    if (change) changes[field] = [showColumn(column, change[0]), showColumn(column, change[1])];
  }
  return changes;
}

/** Validates new segments against each other and the site's existing ones (duplicates, overlaps). */
function checkSegments(existing: { cidr: string }[], added: SegmentInput[], field: (index: number) => string): void {
  const errors: Record<string, string> = {};
  const seen = existing.map((s) => ({ cidr: s.cidr, parsed: parseCidr(s.cidr) }));
  if (existing.length + added.length > MAX_SEGMENTS_PER_SITE) {
    throw new ValidationError({ [field(0)]: `A site can have at most ${MAX_SEGMENTS_PER_SITE} network segments.` });
  }
  added.forEach((segment, index) => {
    const parsed = parseCidr(segment.cidr);
    if (!parsed.ok) return;
    for (const other of seen) {
      if (other.cidr === segment.cidr) {
        errors[field(index)] ??= `${segment.cidr} is already listed for this site.`;
      } else if (other.parsed.ok && cidrsOverlap(parsed, other.parsed)) {
        errors[field(index)] ??= `${segment.cidr} overlaps ${other.cidr}, already listed for this site.`;
      }
    }
    seen.push({ cidr: segment.cidr, parsed });
  });
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
}

export async function createSite(db: Db, hostId: string, actor: Actor, raw: unknown): Promise<SiteDetail> {
  const input: CreateSiteInput = parseInput(createSiteSchema, raw);
  const segments = input.network_segments ?? [];
  checkSegments([], segments, (index) => `network_segments.${index}.cidr`);
  const host = await db.select({ timezone: hosts.timezone }).from(hosts).where(eq(hosts.id, hostId)).get();
  if (!host) throw notFound('Host');
  const now = Date.now();
  const id = newId();
  const values = { ...toColumns(input), timezone: input.timezone ?? host.timezone };
  const created: Changes = {};
  for (const [field, change] of Object.entries(changesByField({}, values))) {
    if (change[1] !== null) created[field] = change;
  }
  await db.batch([
    db.insert(sites).values({ ...(values as typeof sites.$inferInsert), id, hostId, createdAt: now, updatedAt: now }),
    ...segments.map((segment) =>
      db.insert(networkSegments).values({ id: newId(), hostId, siteId: id, cidr: segment.cidr, label: segment.label ?? null, createdAt: now }),
    ),
    activityInsert(db, hostId, actor, 'site.created', null, { ...created, ...(segments.length ? { network_segments: [null, segments.map((s) => s.cidr).join(', ')] } : {}) }, now),
  ]);
  return getSite(db, hostId, id);
}

/** PATCH semantics; a no-op writes nothing. */
export async function updateSite(db: Db, hostId: string, actor: Actor, siteId: string, raw: unknown): Promise<SiteDetail> {
  const input = parseInput(updateSiteSchema, raw);
  const existing = await getSite(db, hostId, siteId);
  const values = toColumns(input);
  const changes = changesByField(existing, values);
  if (Object.keys(changes).length === 0) return existing;
  const now = Date.now();
  const [updated] = await db.batch([
    db
      .update(sites)
      .set({ ...values, updatedAt: now })
      .where(and(eq(sites.hostId, hostId), eq(sites.id, siteId)))
      .returning({ id: sites.id }),
    activityInsert(db, hostId, actor, 'site.updated', null, { site: [existing.name, values.name ?? existing.name], ...changes }, now),
  ]);
  if (updated.length === 0) throw notFound('Site');
  return getSite(db, hostId, siteId);
}

// ---------------------------------------------------------------------------------------------
// Network segments.

export async function addSegment(db: Db, hostId: string, actor: Actor, siteId: string, raw: unknown): Promise<SegmentRow> {
  const input = parseInput(segmentSchema, raw);
  const site = await getSite(db, hostId, siteId);
  checkSegments(site.segments, [input], () => 'cidr');
  const now = Date.now();
  const row: SegmentRow = { id: newId(), hostId, siteId, cidr: input.cidr, label: input.label ?? null, createdAt: now };
  try {
    await db.batch([
      db.insert(networkSegments).values(row),
      activityInsert(db, hostId, actor, 'segment.added', null, { site: [site.name, site.name], cidr: [null, row.cidr], label: [null, row.label] }, now),
    ]);
  } catch (error) {
    // Two people adding the same CIDR at once: the unique index (site_id, cidr) settles it.
    if (String(error).includes('UNIQUE')) throw new ValidationError({ cidr: `${row.cidr} is already listed for this site.` });
    throw error;
  }
  return row;
}

export async function removeSegment(db: Db, hostId: string, actor: Actor, siteId: string, segmentId: string, siteScope?: SiteScope): Promise<void> {
  const site = await getSite(db, hostId, siteId, Date.now(), siteScope);
  const segment = site.segments.find((s) => s.id === segmentId);
  if (!segment) throw notFound('Network segment');
  const now = Date.now();
  const [deleted] = await db.batch([
    db
      .delete(networkSegments)
      .where(and(eq(networkSegments.hostId, hostId), eq(networkSegments.siteId, siteId), eq(networkSegments.id, segmentId)))
      .returning({ id: networkSegments.id }),
    activityInsertIfChanged(db, hostId, actor, 'segment.removed', null, { site: [site.name, site.name], cidr: [segment.cidr, null] }, now),
  ]);
  if (deleted.length === 0) throw new AppError('not_found', 'Network segment not found.');
}

/** Every site with its segments (the API's list): two statements in one round trip. */
export async function listSitesWithSegments(db: Db, hostId: string, now = Date.now()): Promise<SiteDetail[]> {
  const [rows, segments] = await db.batch([
    db
      .select(siteListColumns())
      .from(sites)
      .where(eq(sites.hostId, hostId))
      .orderBy(asc(sql`lower(${sites.name})`), asc(sites.id)),
    db
      .select()
      .from(networkSegments)
      .where(eq(networkSegments.hostId, hostId))
      .orderBy(asc(sql`${networkSegments}.rowid`)), // insertion order
  ]);
  const bySite = new Map<string, SegmentRow[]>();
  for (const segment of segments) bySite.set(segment.siteId, [...(bySite.get(segment.siteId) ?? []), segment]);
  return rows.map((row) => ({ ...toListItem(row, now), segments: bySite.get(row.id) ?? [] }));
}
