import { SELF } from 'cloudflare:test';
import { and, eq, isNull } from 'drizzle-orm';
import { createAgent, registerAgent } from '../../src/agents/service';
import { activityLog, miners } from '../../src/db/schema';
import { createMiner } from '../../src/equipment/service';
import { staffActor } from '../../src/hosts/service';
import { createSite as createSiteService } from '../../src/sites/service';
import { db, ORIGIN, uniqueId, type TestHost } from './fixtures';

/** A site made through the real service. */
export async function makeSite(host: TestHost, fields: Record<string, unknown> = {}) {
  return createSiteService(db(), host.hostId, staffActor(host.owner.session), { name: `Site ${uniqueId()}`, ...fields });
}

/** A unit made through the real service; unique serial and MAC unless given. */
export async function makeMiner(host: TestHost, fields: Record<string, unknown> = {}) {
  const n = uniqueId();
  const hex = [...crypto.getRandomValues(new Uint8Array(6))].map((b) => b.toString(16).padStart(2, '0')).join(':');
  return createMiner(db(), host.hostId, staffActor(host.owner.session), { serial: `SN-${n}`, mac: hex, model: 'Antminer S19j Pro', status: 'unassigned', ...fields });
}

/** An agent registered through the real services; returns its token. */
export async function registeredAgent(host: TestHost, siteId: string) {
  const issued = await createAgent(db(), host.hostId, staffActor(host.owner.session), { role: 'owner' }, siteId, { name: 'Test agent' });
  const registered = await registerAgent(db(), { code: issued.code, hostname: 'agent-box', version: '1.0.0', ip: `test-${uniqueId()}` });
  return { ...registered, agentId: issued.agent.id };
}

export const minerRow = (id: string) => db().select().from(miners).where(eq(miners.id, id)).get();

export const hostActivity = (host: TestHost, action?: string) =>
  db()
    .select()
    .from(activityLog)
    .where(and(eq(activityLog.hostId, host.hostId), isNull(activityLog.customerId), action ? eq(activityLog.action, action) : undefined))
    .all();

export const customerActivity = (host: TestHost, customerId: string) =>
  db()
    .select()
    .from(activityLog)
    .where(and(eq(activityLog.hostId, host.hostId), eq(activityLog.customerId, customerId)))
    .all();

/** Miner ids in page order (the list's rows and cards carry data-miner-id). */
export const minerIdsIn = (html: string) => [...new Set([...html.matchAll(/data-miner-id="([0-9a-f-]{36})"/g)].map((m) => m[1]!))];

/** A multipart form post (file uploads), same-origin like a browser. */
export function postMultipart(path: string, form: FormData, cookie: string, origin: string | null = ORIGIN) {
  const headers = new Headers({ Cookie: cookie });
  if (origin) headers.set('Origin', origin);
  return SELF.fetch(`${ORIGIN}${path}`, { method: 'POST', headers, body: form, redirect: 'manual' });
}

/** A CSV upload as the import form sends it. */
export function csvUpload(csv: string, fields: Record<string, string> = { action: 'preview' }) {
  const form = new FormData();
  form.set('file', new File([csv], 'units.csv', { type: 'text/csv' }));
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  return form;
}

/** A same-origin form post whose fields may repeat (checkboxes such as miner_ids). */
export function fetchForm(path: string, body: URLSearchParams, cookie: string, origin: string | null = ORIGIN) {
  const headers = new Headers({ 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie });
  if (origin) headers.set('Origin', origin);
  return SELF.fetch(`${ORIGIN}${path}`, { method: 'POST', headers, body, redirect: 'manual' });
}
