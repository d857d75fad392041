import { and, asc, count, eq } from 'drizzle-orm';
import { activityInsert, activityInsertIfChanged } from '../activity/service';
import { can, requireThat } from '../auth/permissions';
import type { StaffSession } from '../auth/staff-session';
import type { Db } from '../db/client';
import { customDomains, type DOMAIN_STATUSES } from '../db/schema';
import type { Bindings } from '../env';
import { AppError, notFound, ValidationError } from '../lib/errors';
import { newId, randomToken } from '../lib/ids';
import { parseInput } from '../lib/validation';
import { staffActor } from '../hosts/service';
import { CloudflareApiError, cloudflareConfig, customHostnamesClient, domainStatusFrom, type CustomHostnamesClient } from './cloudflare';
import { domainCreateSchema, ownershipRecordName, ownershipRecordValue } from './schema';

/**
 * Custom domains: a hostname that serves one host's portal at `/` once verified (status active).
 * The owner adds it and points a CNAME at the platform; verification goes through Cloudflare for
 * SaaS when CF_API_TOKEN and CF_ZONE_ID are set. Without them, outside production, names under
 * `.localhost` can be marked verified by hand (Chromium and curl reach them on loopback, and
 * `wrangler dev` passes the Host header through); in production nothing can be verified.
 */

export type DomainStatus = (typeof DOMAIN_STATUSES)[number];
export type DomainEnv = Pick<Bindings, 'APP_HOST' | 'ENVIRONMENT' | 'CF_API_TOKEN' | 'CF_ZONE_ID'>;
/** Tests replace the network: `fetch` is handed to the Cloudflare client. */
export interface DomainDeps {
  fetch?: typeof fetch;
  /** TXT values of a DNS name (default: DNS over HTTPS, dohTxt). */
  resolveTxt?: (name: string) => Promise<string[]>;
}


/**
 * TXT values through Cloudflare's DNS over HTTPS (JSON API); none when the lookup fails, so a
 * failed lookup never proves anything.
 * @see https://developers.cloudflare.com/1.1.1.1/encryption/dns-over-https/make-api-requests/dns-json/
 */
export async function dohTxt(name: string, fetcher: typeof fetch = fetch): Promise<string[]> {
  try {
    const res = await fetcher(`https://cloudflare-dns.com/dns-query?name=${encodeURIComponent(name)}&type=TXT`, { headers: { Accept: 'application/dns-json' } });
    if (!res.ok) return [];
    const body = (await res.json()) as { Answer?: { type: number; data: string }[] };
    // TXT data arrives quoted, long values split into quoted strings: join them.
    return (body.Answer ?? []).filter((a) => a.type === 16).map((a) => a.data.replace(/"\s*"/g, '').replace(/^"|"$/g, ''));
  } catch {
    return [];
  }
}

async function ownershipProven(domain: DomainRow, deps: DomainDeps): Promise<boolean> {
  if (!domain.ownershipToken) return false;
  const values = await (deps.resolveTxt ?? ((name: string) => dohTxt(name)))(ownershipRecordName(domain.hostname));
  return values.includes(ownershipRecordValue(domain.ownershipToken));
}

const ownershipMissing = (domain: DomainRow) =>
  `Add a TXT record ${ownershipRecordName(domain.hostname)} with the value ${ownershipRecordValue(domain.ownershipToken ?? '')} to prove you own this name, then check its status again.`;

export const MAX_DOMAINS_PER_HOST = 10;
export const DEVELOPMENT_SUFFIX = '.localhost';

/** How this deployment verifies domains. */
export type VerificationMode = 'cloudflare' | 'development' | 'unconfigured';

export function verificationMode(env: DomainEnv): VerificationMode {
  if (cloudflareConfig(env)) return 'cloudflare';
  return env.ENVIRONMENT === 'production' ? 'unconfigured' : 'development';
}

export const isDevelopmentHostname = (hostname: string) => hostname.endsWith(DEVELOPMENT_SUFFIX);

/** The name customers' DNS should point at (CNAME target): the platform host. */
export const cnameTarget = (env: Pick<Bindings, 'APP_HOST'>) => env.APP_HOST.toLowerCase();

export interface DomainRow {
  id: string;
  hostname: string;
  status: DomainStatus;
  detail: string | null;
  cloudflareId: string | null;
  verifiedAt: number | null;
  ownershipToken: string | null;
  createdAt: number;
}

const domainColumns = {
  id: customDomains.id,
  hostname: customDomains.hostname,
  status: customDomains.status,
  detail: customDomains.detail,
  cloudflareId: customDomains.cloudflareId,
  verifiedAt: customDomains.verifiedAt,
  ownershipToken: customDomains.ownershipToken,
  createdAt: customDomains.createdAt,
};

export async function listDomains(db: Db, hostId: string): Promise<DomainRow[]> {
  return db.select(domainColumns).from(customDomains).where(eq(customDomains.hostId, hostId)).orderBy(asc(customDomains.createdAt), asc(customDomains.hostname)).all();
}

/** One of the host's domains; another host's id is simply not found. */
async function domainOf(db: Db, hostId: string, domainId: string): Promise<DomainRow> {
  const row = await db
    .select(domainColumns)
    .from(customDomains)
    .where(and(eq(customDomains.id, domainId), eq(customDomains.hostId, hostId)))
    .get();
  if (!row) throw notFound('Domain');
  return row;
}

const normalise = (hostname: string) => hostname.trim().toLowerCase().replace(/\.$/, '');

/** For routing by Host (the portal): the verified domain with that name, or null. */
export async function findActiveDomain(db: Db, hostname: string): Promise<{ hostId: string; hostname: string } | null> {
  const row = await db
    .select({ hostId: customDomains.hostId, hostname: customDomains.hostname })
    .from(customDomains)
    .where(and(eq(customDomains.hostname, normalise(hostname)), eq(customDomains.status, 'active')))
    .get();
  return row ?? null;
}

/** The host's verified domain for links (invites): the first verified one, or null. */
export async function activeDomainFor(db: Db, hostId: string): Promise<string | null> {
  const row = await db
    .select({ hostname: customDomains.hostname })
    .from(customDomains)
    .where(and(eq(customDomains.hostId, hostId), eq(customDomains.status, 'active')))
    .orderBy(asc(customDomains.verifiedAt), asc(customDomains.hostname))
    .limit(1)
    .get();
  return row?.hostname ?? null;
}

function platformRule(env: DomainEnv, hostname: string): string | null {
  const appHost = env.APP_HOST.toLowerCase();
  // `localhost` (development) is a special-use name, not a registrable domain: names under it
  // are the development custom domains, so only the platform name itself is refused there.
  if (hostname === appHost || (appHost !== 'localhost' && hostname.endsWith(`.${appHost}`))) {
    return `Use your own domain: ${appHost} and names under it belong to the platform.`;
  }
  if (env.ENVIRONMENT === 'production' && isDevelopmentHostname(hostname)) {
    return 'Names under .localhost only work in development; use a domain you own.';
  }
  return null;
}

const HOSTNAME_TAKEN = 'This hostname is already connected to a Hashyard portal.';

const clientFor = (env: DomainEnv, deps: DomainDeps): CustomHostnamesClient | null => {
  const config = cloudflareConfig(env);
  return config ? customHostnamesClient(config, deps.fetch) : null;
};

/** Adds a hostname (pending). With Cloudflare configured, it is registered there at once. */
export async function addDomain(db: Db, env: DomainEnv, session: StaffSession, raw: unknown, deps: DomainDeps = {}): Promise<DomainRow> {
  requireThat(can.manageDomains(session.role), 'Only the owner can change custom domains.');
  const { hostname } = parseInput(domainCreateSchema, raw);
  const refused = platformRule(env, hostname);
  if (refused) throw new ValidationError({ hostname: refused });
  const hostId = session.host.id;
  const [existing, mine] = await db.batch([
    db.select({ hostId: customDomains.hostId }).from(customDomains).where(eq(customDomains.hostname, hostname)).limit(1),
    db.select({ n: count() }).from(customDomains).where(eq(customDomains.hostId, hostId)),
  ]);
  if (existing[0]) {
    throw new ValidationError({ hostname: existing[0].hostId === hostId ? 'You have already added this hostname.' : HOSTNAME_TAKEN });
  }
  if ((mine[0]?.n ?? 0) >= MAX_DOMAINS_PER_HOST) {
    throw new ValidationError({ hostname: `A host can have at most ${MAX_DOMAINS_PER_HOST} custom domains; remove one first.` });
  }
  const id = newId();
  const now = Date.now();
  try {
    await db.batch([
      db.insert(customDomains).values({ id, hostId, hostname, status: 'pending', ownershipToken: randomToken(16), createdAt: now, updatedAt: now }),
      activityInsert(db, hostId, staffActor(session), 'domain.added', null, { hostname: [null, hostname] }, now),
    ]);
  } catch (error) {
    // Another host added the same name in between: the unique index decided.
    if (String(error).includes('UNIQUE')) throw new ValidationError({ hostname: HOSTNAME_TAKEN });
    throw error;
  }
  const client = clientFor(env, deps);
  if (client) await syncWithCloudflare(db, session, await domainOf(db, hostId, id), client, deps);
  return domainOf(db, hostId, id);
}

/**
 * Registers the hostname with Cloudflare when it is not yet, else reads its state (asking for
 * validation again while the certificate waits for it), and records the result.
 */
async function syncWithCloudflare(db: Db, session: StaffSession, domain: DomainRow, client: CustomHostnamesClient, deps: DomainDeps): Promise<void> {
  let next: { status: DomainStatus; detail: string | null; cloudflareId: string | null };
  try {
    let result = domain.cloudflareId ? await client.get(domain.cloudflareId) : await client.create(domain.hostname);
    if (domain.cloudflareId && result.ssl?.status === 'pending_validation') result = await client.revalidate(domain.cloudflareId);
    next = { ...domainStatusFrom(result), cloudflareId: result.id };
  } catch (error) {
    if (!(error instanceof CloudflareApiError)) throw error;
    if (domain.cloudflareId && error.httpStatus === 404) {
      next = { status: 'failed', detail: 'Cloudflare no longer has this hostname. Check status again to register it anew.', cloudflareId: null };
    } else {
      // Registration failed: "failed" with the reason, and "Check status" registers again. A
      // registered hostname keeps its state through a failed read (it may be a passing outage).
      const status: DomainStatus = domain.cloudflareId ? domain.status : 'failed';
      next = { status, detail: `Cloudflare refused the request: ${error.message}`, cloudflareId: domain.cloudflareId };
    }
  }
  // A CNAME only proves the name points at the platform; the TXT record proves this host controls
  // it. Checked on every "Check status", so a removed record takes the domain out of service.
  if (next.status === 'active' && !(await ownershipProven(domain, deps))) next = { ...next, status: 'pending', detail: ownershipMissing(domain) };
  await recordStatus(db, session, domain, next);
}

async function recordStatus(
  db: Db,
  session: StaffSession,
  domain: DomainRow,
  next: { status: DomainStatus; detail: string | null; cloudflareId: string | null },
): Promise<void> {
  const now = Date.now();
  const verifiedAt = next.status === 'active' ? (domain.verifiedAt ?? now) : null;
  const update = db
    .update(customDomains)
    .set({ status: next.status, detail: next.detail, cloudflareId: next.cloudflareId, verifiedAt, updatedAt: now })
    .where(and(eq(customDomains.id, domain.id), eq(customDomains.hostId, session.host.id)));
  if (next.status === domain.status) {
    await update;
    return;
  }
  await db.batch([
    update,
    activityInsertIfChanged(db, session.host.id, staffActor(session), 'domain.status_changed', null, { [domain.hostname]: [domain.status, next.status] }, now),
  ]);
}

/** "Check status": asks Cloudflare (registering the hostname first if that had failed). */
export async function checkDomain(db: Db, env: DomainEnv, session: StaffSession, domainId: string, deps: DomainDeps = {}): Promise<DomainRow> {
  requireThat(can.manageDomains(session.role), 'Only the owner can change custom domains.');
  const domain = await domainOf(db, session.host.id, domainId);
  const client = clientFor(env, deps);
  if (!client) throw new AppError('bad_request', notConfiguredMessage(env));
  await syncWithCloudflare(db, session, domain, client, deps);
  return domainOf(db, session.host.id, domainId);
}

export function notConfiguredMessage(env: DomainEnv): string {
  return verificationMode(env) === 'development'
    ? `Cloudflare for SaaS is not configured here (CF_API_TOKEN, CF_ZONE_ID). In development, add a name under ${DEVELOPMENT_SUFFIX} and use "Verify (development)".`
    : 'Custom domain verification is not configured on this deployment: the operator must set CF_API_TOKEN and CF_ZONE_ID.';
}

/** Development only: marks a `.localhost` name verified (no DNS or certificate involved). */
export async function verifyDomainForDevelopment(db: Db, env: DomainEnv, session: StaffSession, domainId: string): Promise<DomainRow> {
  requireThat(can.manageDomains(session.role), 'Only the owner can change custom domains.');
  const domain = await domainOf(db, session.host.id, domainId);
  if (verificationMode(env) !== 'development') {
    throw new AppError('forbidden', 'Development verification is only available in development, without Cloudflare for SaaS configured.');
  }
  if (!isDevelopmentHostname(domain.hostname)) {
    throw new AppError('bad_request', `Only names under ${DEVELOPMENT_SUFFIX} can be verified in development.`);
  }
  if (domain.status !== 'active') {
    await recordStatus(db, session, domain, { status: 'active', detail: 'Verified for development.', cloudflareId: null });
  }
  return domainOf(db, session.host.id, domainId);
}

/** Removes the hostname: from Cloudflare first (so nothing is left routed there), then here. */
export async function removeDomain(db: Db, env: DomainEnv, session: StaffSession, domainId: string, deps: DomainDeps = {}): Promise<void> {
  requireThat(can.manageDomains(session.role), 'Only the owner can change custom domains.');
  const domain = await domainOf(db, session.host.id, domainId);
  const client = clientFor(env, deps);
  if (domain.cloudflareId) {
    if (!client) throw new AppError('conflict', `${domain.hostname} is registered with Cloudflare, which is not configured any more; set CF_API_TOKEN and CF_ZONE_ID to remove it.`);
    try {
      await client.remove(domain.cloudflareId);
    } catch (error) {
      if (!(error instanceof CloudflareApiError)) throw error;
      throw new AppError('conflict', `Cloudflare did not remove ${domain.hostname} (${error.message}). Try again in a moment.`);
    }
  }
  const now = Date.now();
  await db.batch([
    db.delete(customDomains).where(and(eq(customDomains.id, domain.id), eq(customDomains.hostId, session.host.id))),
    activityInsertIfChanged(db, session.host.id, staffActor(session), 'domain.removed', null, { hostname: [domain.hostname, null] }, now),
  ]);
}
