import { env } from 'cloudflare:test';
import { alertRules, alerts, customerUsers, miners, sites } from '../../src/db/schema';
import { PORTAL_COOKIE, signPortalToken } from '../../src/portal/session';
import type { AlertRules } from '../../src/telemetry/alerts';
import { DEFAULT_ALERT_RULES } from '../../src/telemetry/alerts';
import { createTestCustomer, db, type TestHost } from './fixtures';
import { setHostSlug } from './portal';
import { nextMac } from './telemetry';

export async function insertSite(host: TestHost, name = 'Site One', timezone = 'UTC'): Promise<string> {
  const id = crypto.randomUUID();
  const now = Date.now();
  await db().insert(sites).values({ id, hostId: host.hostId, name, timezone, createdAt: now, updatedAt: now });
  return id;
}

/** A miner row with the fields pages show; assigned when a customer is given. */
export async function insertMiner(
  host: TestHost,
  fields: {
    siteId: string;
    customerId?: string | null;
    status?: (typeof miners.$inferInsert)['status'];
    mac?: string;
    serial?: string;
    model?: string;
    rackLocation?: string | null;
    nominalThs?: number | null;
    nominalPowerW?: number | null;
  },
) {
  const id = crypto.randomUUID();
  const now = Date.now();
  const mac = fields.mac ?? nextMac();
  await db()
    .insert(miners)
    .values({
      id,
      hostId: host.hostId,
      siteId: fields.siteId,
      customerId: fields.customerId ?? null,
      status: fields.status ?? (fields.customerId ? 'assigned' : 'unassigned'),
      mac,
      serial: fields.serial ?? `SN-${mac.replace(/:/g, '')}`,
      vendor: 'Bitmain',
      model: fields.model ?? 'Antminer S19j Pro',
      rackLocation: fields.rackLocation === undefined ? 'Row A · Rack 1' : fields.rackLocation,
      nominalHashrateMths: fields.nominalThs === null ? null : Math.round((fields.nominalThs ?? 104) * 1000),
      nominalPowerW: fields.nominalPowerW === undefined ? 3068 : fields.nominalPowerW,
      createdAt: now,
      updatedAt: now,
    });
  return { id, mac };
}

/** An alert row as SiteState would write it. */
export async function insertAlert(
  host: TestHost,
  fields: {
    siteId: string;
    minerId: string;
    customerId?: string | null;
    kind?: (typeof alerts.$inferInsert)['kind'];
    detail?: Record<string, unknown>;
    openedAt?: number;
    closedAt?: number | null;
    emailedAt?: number | null;
  },
) {
  const id = crypto.randomUUID();
  const kind = fields.kind ?? 'over_temp';
  const detail = fields.detail ?? (kind === 'over_temp' ? { temp_c: 92, limit_c: 85 } : kind === 'low_hashrate' ? { hashrate_ths: 60, expected_ths: 104, threshold_pct: 80 } : { state: 'error' });
  await db()
    .insert(alerts)
    .values({
      id,
      hostId: host.hostId,
      siteId: fields.siteId,
      minerId: fields.minerId,
      customerId: fields.customerId ?? null,
      kind,
      detail: JSON.stringify(detail),
      openedAt: fields.openedAt ?? Date.now(),
      closedAt: fields.closedAt ?? null,
      emailedAt: fields.emailedAt ?? null,
    });
  return id;
}

export async function setAlertRules(host: TestHost, rules: Partial<AlertRules>) {
  const values = { ...DEFAULT_ALERT_RULES, ...rules, updatedAt: Date.now() };
  await db()
    .insert(alertRules)
    .values({ hostId: host.hostId, ...values })
    .onConflictDoUpdate({ target: alertRules.hostId, set: values });
}

/**
 * A customer with a portal owner, signed in. The member row and session token are made directly
 * (the invite flow is tested in portal.test.ts and is rate-limited per address).
 */
export async function portalCustomer(host: TestHost, name: string, fields: Record<string, unknown> = {}) {
  const slug = await currentSlug(host);
  const customer = await createTestCustomer(host, { name, ...fields });
  const email = `owner-${crypto.randomUUID().slice(0, 8)}@customer.example`;
  const memberId = crypto.randomUUID();
  const now = Date.now();
  await db()
    .insert(customerUsers)
    .values({ id: memberId, hostId: host.hostId, customerId: customer.id, email, name: `${name} Owner`, passwordHash: 'unused', role: 'owner', sessionVersion: 1, createdAt: now, updatedAt: now });
  const token = await signPortalToken(env.SESSION_SECRET, { id: memberId, hostId: host.hostId, customerId: customer.id, sessionVersion: 1 });
  return { customer, cookie: `${PORTAL_COOKIE}=${token}`, email, base: `/host/${slug}` };
}

const slugs = new Map<string, string>();
async function currentSlug(host: TestHost): Promise<string> {
  const known = slugs.get(host.hostId);
  if (known) return known;
  const slug = await setHostSlug(host);
  slugs.set(host.hostId, slug);
  return slug;
}
