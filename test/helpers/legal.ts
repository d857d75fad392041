import { and, eq } from 'drizzle-orm';
import { legalAcceptances, legalDocuments } from '../../src/db/schema';
import { createTestCustomer, db, type TestHost } from './fixtures';
import { postMultipart } from './equipment';
import { acceptInvite, setHostSlug, staffInvite } from './portal';
import { createHost } from './fixtures';

/** A host with a portal slug and one customer with a signed-in owner. */
export async function hostWithMember(name: string) {
  const host = await createHost(name);
  const slug = await setHostSlug(host);
  const customer = await createTestCustomer(host, { name: `${name} Customer` });
  const email = `owner-${crypto.randomUUID().slice(0, 8)}@customer.example`;
  const { token } = await staffInvite(host, customer.id, email, 'owner');
  const { cookie } = await acceptInvite(`/host/${slug}`, token, email, 'Pat Owner');
  return { host, slug, customer, email, cookie, base: `/host/${slug}` };
}

/** Publishes a document through Settings → Legal (multipart, like the browser form). */
export async function publishDocument(host: TestHost, fields: Record<string, string>, file?: File) {
  const form = new FormData();
  for (const [key, value] of Object.entries({ format: 'markdown', required_for: 'all', ...fields })) form.set(key, value);
  if (file) form.set('file', file);
  const res = await postMultipart('/admin/settings/legal', form, host.owner.cookie);
  const id = res.headers.get('Location')?.match(/legal\/([0-9a-f-]{36})/)?.[1];
  return { res, id: id ?? null };
}

export async function publishNewVersion(host: TestHost, documentId: string, fields: Record<string, string>, file?: File) {
  const form = new FormData();
  for (const [key, value] of Object.entries({ format: 'markdown', ...fields })) form.set(key, value);
  if (file) form.set('file', file);
  return postMultipart(`/admin/settings/legal/${documentId}/versions`, form, host.owner.cookie);
}

export const documentRow = (id: string) => db().select().from(legalDocuments).where(eq(legalDocuments.id, id)).get();
export const acceptancesOf = (customerId: string, documentId?: string) =>
  db()
    .select()
    .from(legalAcceptances)
    .where(and(eq(legalAcceptances.customerId, customerId), documentId ? eq(legalAcceptances.documentId, documentId) : undefined))
    .all();

export async function sha256Hex(bytes: ArrayBuffer | Uint8Array) {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export const pdfFile = (text = 'hello') => new File([`%PDF-1.4\n% ${text}\n%%EOF\n`], 'agreement.pdf', { type: 'application/pdf' });
