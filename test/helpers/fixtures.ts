import { env, SELF } from 'cloudflare:test';
import { expect } from 'vitest';
import { signUpHost } from '../../src/auth/service';
import { loadStaffSession, signStaffToken, STAFF_COOKIE, type StaffSession } from '../../src/auth/staff-session';
import { createCustomer } from '../../src/customers/service';
import { getDb } from '../../src/db/client';
import { createApiKey, staffActor } from '../../src/hosts/service';
import { acceptStaffInvite, createStaffInvite } from '../../src/team/invites';
import { and, desc, eq } from 'drizzle-orm';
import { contracts, contractSites, defaultCases, emailOutbox, miners, poolRedirects, sites, type StaffRole } from '../../src/db/schema';

/** The platform origin the tests run against (APP_HOST in vitest.config.ts). */
export const ORIGIN = 'https://hashyard.test';
export const db = () => getDb(env.DB);

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;
/** A short string unique within the test run: use it to keep emails, slugs, IPs and names apart. */
export const uniqueId = unique;

export interface TestHost {
  hostId: string;
  slug: string;
  owner: TestUser;
}

export interface TestUser {
  userId: string;
  email: string;
  password: string;
  cookie: string;
  session: StaffSession;
}

async function userFor(hostId: string, userId: string, email: string, password: string): Promise<TestUser> {
  const token = await signStaffToken(env.SESSION_SECRET, userId, hostId, 1);
  const session = await loadStaffSession(db(), env.SESSION_SECRET, token);
  if (!session) throw new Error('fixture session did not load');
  return { userId, email, password, cookie: `${STAFF_COOKIE}=${token}`, session };
}

/** A fresh host with its owner, made through the real sign-up service. */
export async function createHost(name = 'Test Host'): Promise<TestHost> {
  const id = unique();
  const slug = `host-${id}`;
  const email = `owner-${id}@example.com`;
  const password = 'correct horse battery';
  const headers = new Headers({ 'CF-Connecting-IP': `fixture-${id}` });
  const { hostId, userId } = await signUpHost(db(), headers, {
    organisation_name: name,
    main_slug: slug,
    owner_name: `${name} Owner`,
    email,
    password,
  });
  return { hostId, slug, owner: await userFor(hostId, userId, email, password) };
}

/**
 * Another member of a host, the real way: the owner invites them (limited to `siteIds` when
 * given) and they accept from the emailed link. A host has exactly one owner, so not 'owner'.
 */
export async function addMember(host: TestHost, role: Exclude<StaffRole, 'owner'>, options: { siteIds?: string[]; name?: string } = {}): Promise<TestUser> {
  const id = unique();
  const email = `${role}-${id}@example.com`;
  const password = 'another good password';
  const form: Record<string, string> = { email, role, site_access: options.siteIds ? 'some' : 'all' };
  for (const siteId of options.siteIds ?? []) form[`site_${siteId}`] = 'on';
  await createStaffInvite(db(), env, host.owner.session, form, ORIGIN);
  const token = await lastInviteToken(email);
  const { userId } = await acceptStaffInvite(db(), new Headers({ 'CF-Connecting-IP': `fixture-${id}` }), token, { name: options.name ?? `${role} ${id}`, password });
  return userFor(host.hostId, userId, email, password);
}

/** The token of the newest staff email to `email` (invitation or transfer), from its outbox row. */
export async function lastInviteToken(email: string, path = '/team/invite/'): Promise<string> {
  const row = await db()
    .select({ payload: emailOutbox.payload })
    .from(emailOutbox)
    .where(and(eq(emailOutbox.toEmail, email), eq(emailOutbox.template, 'platform_notice')))
    .orderBy(desc(emailOutbox.createdAt))
    .get();
  const url = (JSON.parse(row?.payload ?? '{}') as { actionUrl?: string }).actionUrl ?? '';
  const at = url.indexOf(path);
  if (at < 0) throw new Error(`no ${path} email to ${email}`);
  return url.slice(at + path.length);
}

/** A host API key; `ticketNotes` grants the scope that reads tickets' internal notes. */
export async function createApiKeyFor(host: TestHost, name = 'Test key', scopes: { ticketNotes?: boolean } = {}): Promise<string> {
  return (await createApiKey(db(), host.owner.session, { name, ...(scopes.ticketNotes ? { scope_ticket_notes: 'on' } : {}) })).secret;
}

export async function createTestCustomer(host: TestHost, fields: Record<string, unknown> = {}) {
  return createCustomer(db(), host.hostId, staffActor(host.owner.session), {
    name: 'Acme Hashing',
    contact_email: 'ops@acme.example',
    ...fields,
  });
}

/**
 * A browser-like form post: same-origin Origin header, urlencoded body, optional htmx header.
 * `origin: null` sends no Origin header; `headers` adds or overrides any other header.
 */
export function postForm(
  path: string,
  fields: Record<string, string>,
  options: { cookie?: string; htmx?: boolean; origin?: string | null; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers = new Headers({ 'Content-Type': 'application/x-www-form-urlencoded' });
  for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
  if (options.origin !== null) headers.set('Origin', options.origin ?? ORIGIN);
  if (options.cookie) headers.set('Cookie', options.cookie);
  if (options.htmx) headers.set('HX-Request', 'true');
  return SELF.fetch(`${ORIGIN}${path}`, { method: 'POST', headers, body: new URLSearchParams(fields), redirect: 'manual' });
}

export function getPage(path: string, options: { cookie?: string; htmx?: boolean; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  if (options.cookie) headers.set('Cookie', options.cookie);
  if (options.htmx) headers.set('HX-Request', 'true');
  return SELF.fetch(`${ORIGIN}${path}`, { headers, redirect: 'manual' });
}

/** A page's HTML, which must answer 200 (the path names the failure). */
export async function pageHtml(path: string, cookie: string): Promise<string> {
  const res = await getPage(path, { cookie });
  expect(res.status, path).toBe(200);
  return res.text();
}

/**
 * A JSON API call. `body` is sent as JSON; `rawBody` is sent as-is (with `headers` choosing its
 * Content-Type), for requests that are deliberately not JSON.
 */
export function api(
  path: string,
  options: { key?: string; method?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers = new Headers();
  if (options.key) headers.set('Authorization', `Bearer ${options.key}`);
  if (options.body !== undefined) headers.set('Content-Type', 'application/json');
  for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
  return SELF.fetch(`${ORIGIN}${path}`, {
    method: options.method ?? 'GET',
    headers,
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
}

/** The session cookie a response set, as a Cookie header value. */
export function sessionCookieFrom(res: Response): string | null {
  const match = (res.headers.get('Set-Cookie') ?? '').match(new RegExp(`${STAFF_COOKIE}=([^;]+)`));
  return match ? `${STAFF_COOKIE}=${match[1]}` : null;
}

export const formOf = (values: Record<string, string | boolean>) =>
  Object.fromEntries(
    Object.entries(values).flatMap(([key, value]) => (typeof value === 'boolean' ? (value ? [[key, 'on']] : []) : [[key, value]])),
  ) as Record<string, string>;

// ---------------------------------------------------------------------------------------------
// Rows owned by later features (billing, equipment, contracts), inserted directly so customer
// status and overview cards can be exercised before those features have their own services.

export async function openDefaultCase(host: TestHost, customerId: string, reason = 'Invoice overdue', options: { closed?: boolean } = {}) {
  const id = crypto.randomUUID();
  const now = Date.now();
  await db()
    .insert(defaultCases)
    .values({ id, hostId: host.hostId, customerId, reason, openedAt: now, closedAt: options.closed ? now : null });
  return id;
}

export async function startPoolRedirect(host: TestHost, customerId: string, options: { ended?: boolean; defaultCaseId?: string } = {}) {
  const id = crypto.randomUUID();
  const now = Date.now();
  await db()
    .insert(poolRedirects)
    .values({
      id,
      hostId: host.hostId,
      customerId,
      defaultCaseId: options.defaultCaseId ?? null,
      poolUrl: 'stratum+tcp://holding.pool.example:3333',
      poolUser: 'holding',
      startedAt: now,
      endedAt: options.ended ? now : null,
    });
  return id;
}

export async function createSite(host: TestHost, name = 'Site') {
  const id = crypto.randomUUID();
  const now = Date.now();
  await db().insert(sites).values({ id, hostId: host.hostId, name, createdAt: now, updatedAt: now });
  return id;
}

export async function createContract(
  host: TestHost,
  customerId: string,
  fields: { kind?: (typeof contracts.$inferInsert)['kind']; status?: (typeof contracts.$inferInsert)['status']; name?: string; siteIds?: string[] } = {},
) {
  const id = crypto.randomUUID();
  const now = Date.now();
  await db()
    .insert(contracts)
    .values({
      id,
      hostId: host.hostId,
      customerId,
      kind: fields.kind ?? 'hosted',
      status: fields.status ?? 'active',
      name: fields.name ?? 'Contract',
      currency: 'USD',
      startDate: '2026-01-01',
      termMonths: 12,
      endDate: '2026-12-31',
      pricing: (fields.kind ?? 'hosted') === 'hosted' ? 'per_kwh' : null,
      kwhSource: (fields.kind ?? 'hosted') === 'hosted' ? 'metered' : null,
      createdAt: now,
      updatedAt: now,
    });
  for (const siteId of fields.siteIds ?? []) {
    await db().insert(contractSites).values({ contractId: id, siteId, hostId: host.hostId });
  }
  return id;
}

export async function createMiner(
  host: TestHost,
  fields: { customerId?: string | null; siteId?: string | null; status?: (typeof miners.$inferInsert)['status'] } = {},
) {
  const id = crypto.randomUUID();
  const now = Date.now();
  await db()
    .insert(miners)
    .values({
      id,
      hostId: host.hostId,
      customerId: fields.customerId ?? null,
      siteId: fields.siteId ?? null,
      serial: `SN-${unique()}`,
      status: fields.status ?? 'assigned',
      createdAt: now,
      updatedAt: now,
    });
  return id;
}

// ---------------------------------------------------------------------------------------------
// Reading pages.

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** Customer ids linked from a page (detail links only, not tab or edit links), in page order. */
export function customerIdsIn(html: string): string[] {
  return [...html.matchAll(new RegExp(`href="/admin/customers/(${UUID})"`, 'g'))].map((m) => m[1]!);
}

/** Undoes the HTML escaping of an attribute value (enough for URLs the pages render). */
export const unescapeAttr = (value: string) =>
  value.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
