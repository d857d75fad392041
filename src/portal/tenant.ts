import { and, eq, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { preparedSelect } from '../db/prepared';
import { customDomains, hosts } from '../db/schema';

/** What a portal page needs to know about the host it belongs to (its white label). */
export interface PortalHost {
  id: string;
  name: string;
  hostSlug: string | null;
  mainSlug: string;
  slogan: string | null;
  primaryColor: string | null;
  accentColor: string | null;
  logoKey: string | null;
  /** Changes whenever branding changes: cache-busts the brand stylesheet and logo URLs. */
  brandVersion: number;
  /** The verified custom domain, if any: invite links prefer it. */
  customDomain: string | null;
  /** IANA zone the portal shows times and chart hours in (the host's). */
  timezone: string;
  /** Every portal account must use two-factor sign-in (absent = not required). */
  requireTwoFactor?: boolean;
}

const portalHostColumns = {
  id: hosts.id,
  name: hosts.name,
  hostSlug: hosts.hostSlug,
  mainSlug: hosts.mainSlug,
  slogan: hosts.brandSlogan,
  primaryColor: hosts.brandPrimaryColor,
  accentColor: hosts.brandAccentColor,
  logoKey: hosts.brandLogoKey,
  brandVersion: hosts.updatedAt,
  timezone: hosts.timezone,
  requireTwoFactor: hosts.requirePortalTwoFactor,
  customDomain: sql<string | null>`(SELECT cd.hostname FROM custom_domains cd
    WHERE cd.host_id = "hosts"."id" AND cd.status = 'active' ORDER BY cd.verified_at LIMIT 1)`,
};

/**
 * A closed host (src/team/close.ts) has no portal: neither address resolves, so its pages,
 * sign-in, invitations, password resets and public quote links all answer 404 at once.
 *
 * `/host/<slug>`: the host slug first; the organisation's main slug as a fallback so links made
 * before the host slug changed keep working. Slugs are unique across both columns
 * (src/hosts/service.ts), so at most one host matches each way. Unexecuted (batchable); pick
 * the answer from its rows with `pickHostBySlug`.
 */
export function hostBySlugQuery(db: Db, slug: string) {
  return hostBySlugPrepared(db, { slug });
}

const hostBySlugPrepared = preparedSelect((db) =>
  db
    .select({ ...portalHostColumns, bySlug: sql<number>`${hosts.hostSlug} = ${sql.placeholder('slug')}` })
    .from(hosts)
    .where(and(or(eq(hosts.hostSlug, sql.placeholder('slug')), eq(hosts.mainSlug, sql.placeholder('slug'))), isNull(hosts.closedAt)))
    .limit(2),
);

export function pickHostBySlug(rows: Awaited<ReturnType<typeof hostBySlugQuery>>): PortalHost | null {
  const row = rows.find((r) => r.bySlug === 1) ?? rows[0];
  if (!row) return null;
  const { bySlug: _bySlug, ...host } = row;
  return host;
}

export async function resolveHostBySlug(db: Db, slug: string): Promise<PortalHost | null> {
  return pickHostBySlug(await hostBySlugQuery(db, slug));
}

/** A custom domain serves its host's portal only once verified (status active). Unexecuted (batchable). */
export function hostByDomainQuery(db: Db, hostname: string) {
  return hostByDomainPrepared(db, { hostname: hostname.toLowerCase() });
}

const hostByDomainPrepared = preparedSelect((db) =>
  db
    .select(portalHostColumns)
    .from(customDomains)
    .innerJoin(hosts, eq(hosts.id, customDomains.hostId))
    .where(and(eq(customDomains.hostname, sql.placeholder('hostname')), eq(customDomains.status, 'active'), isNull(hosts.closedAt)))
    .limit(1),
);

export async function resolveHostByDomain(db: Db, hostname: string): Promise<PortalHost | null> {
  return (await hostByDomainQuery(db, hostname))[0] ?? null;
}

export async function resolveHostById(db: Db, hostId: string): Promise<PortalHost | null> {
  return (await db.select(portalHostColumns).from(hosts).where(eq(hosts.id, hostId)).get()) ?? null;
}
