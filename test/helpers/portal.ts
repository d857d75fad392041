import { and, eq } from 'drizzle-orm';
import { customDomains, emailOutbox, hosts, invites } from '../../src/db/schema';
import { db, getPage, postForm, sessionCookieFrom, type TestHost } from './fixtures';
import { PORTAL_COOKIE } from '../../src/portal/session';

/** Gives a host its portal slug (as Settings → General would). */
export async function setHostSlug(host: TestHost, slug = `${host.slug}-portal`): Promise<string> {
  await db().update(hosts).set({ hostSlug: slug }).where(eq(hosts.id, host.hostId));
  return slug;
}

/** The newest email of a template sent to an address, with its parsed payload. */
export async function latestEmail(to: string, template: string) {
  const rows = await db()
    .select()
    .from(emailOutbox)
    .where(and(eq(emailOutbox.toEmail, to), eq(emailOutbox.template, template)))
    .all();
  const row = rows.sort((a, b) => b.createdAt - a.createdAt)[0];
  if (!row) throw new Error(`no ${template} email to ${to}`);
  return { ...row, data: JSON.parse(row.payload) as Record<string, string> };
}

/** The token at the end of a link in an email (invite or reset). */
export const tokenOf = (url: string) => url.split('/').pop() ?? '';

/** Staff invite through the Team tab, returning the emailed token. */
export async function staffInvite(host: TestHost, customerId: string, email: string, role: 'owner' | 'member' = 'owner') {
  const res = await postForm(`/admin/customers/${customerId}/team/invites`, { email, role }, { cookie: host.owner.cookie });
  if (res.status !== 303) throw new Error(`invite failed: ${res.status} ${await res.text()}`);
  const mail = await latestEmail(email.toLowerCase(), 'invite');
  return { token: tokenOf(mail.data.acceptUrl ?? ''), mail };
}

/** Accepts an invite as a new member; returns the portal session cookie. */
export async function acceptInvite(base: string, token: string, email: string, name = 'Portal Person', password = 'portal password 1') {
  const res = await postForm(`${base}/auth/invite/${token}`, { email, name, password });
  const cookie = portalCookieFrom(res);
  if (res.status !== 303 || !cookie) throw new Error(`accept failed: ${res.status} ${await res.text()}`);
  return { cookie, password };
}

export function portalCookieFrom(res: Response): string | null {
  const match = (res.headers.get('Set-Cookie') ?? '').match(new RegExp(`${PORTAL_COOKIE}=([^;]+)`));
  return match ? `${PORTAL_COOKIE}=${match[1]}` : null;
}

export async function inviteRow(token: string) {
  const { sha256Hex } = await import('../../src/lib/ids');
  return db().select().from(invites).where(eq(invites.tokenHash, await sha256Hex(token))).get();
}

export async function addActiveDomain(host: TestHost, hostname: string, status: 'active' | 'pending' = 'active') {
  const now = Date.now();
  await db().insert(customDomains).values({ id: crypto.randomUUID(), hostId: host.hostId, hostname, status, verifiedAt: status === 'active' ? now : null, createdAt: now, updatedAt: now });
}

export { getPage, postForm, sessionCookieFrom };
