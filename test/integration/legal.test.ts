import { SELF } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { invoices, legalAcceptances, legalDocuments, legalDocumentVersions } from '../../src/db/schema';
import { insertInvoice } from '../helpers/billing';
import { api, createApiKeyFor, createContract, db, getPage, ORIGIN, postForm } from '../helpers/fixtures';
import { acceptancesOf, documentRow, hostWithMember, pdfFile, publishDocument, publishNewVersion, sha256Hex } from '../helpers/legal';

const TERMS = '# Hosting terms\n\nYou agree to **pay on time**.\n\n- Power is billed per kWh\n- Units stay on site\n';

describe('the agreement gate', () => {
  it('keeps a member out of the portal until they accept, records who/when/version/hash/IP, and the hash matches the served text', async () => {
    const { host, customer, cookie, base, email } = await hostWithMember('Gate Host');
    const { res, id } = await publishDocument(host, { title: 'Hosting Agreement', body: TERMS, change_note: '' });
    expect(res.status).toBe(303);

    const blocked = await getPage(base, { cookie });
    expect(blocked.status).toBe(303);
    expect(blocked.headers.get('Location')).toBe(`${base}/agreements`);
    expect((await getPage(`${base}/invoices`, { cookie })).headers.get('Location')).toBe(`${base}/agreements`);

    const gate = await (await getPage(`${base}/agreements`, { cookie })).text();
    expect(gate).toContain('Hosting Agreement');
    expect(gate).toContain('<strong>pay on time</strong>');
    const version = (await db().select().from(legalDocumentVersions).where(eq(legalDocumentVersions.documentId, id!)).all())[0]!;

    const accept = await postForm(`${base}/agreements/${version.id}/accept`, {}, { cookie, headers: { 'CF-Connecting-IP': '203.0.113.7' } });
    expect(accept.status).toBe(303);
    expect(accept.headers.get('Location')).toBe(base);
    expect((await getPage(base, { cookie })).status).toBe(200);

    const [acceptance] = await acceptancesOf(customer.id, id!);
    expect(acceptance).toMatchObject({ version: 1, ip: '203.0.113.7', acceptedByName: 'Pat Owner', acceptedByEmail: email, versionId: version.id });
    const served = await getPage(`${base}/agreements/${version.id}/document`, { cookie });
    expect(served.status).toBe(200);
    const bytes = await served.arrayBuffer();
    expect(new TextDecoder().decode(bytes)).toBe(TERMS);
    expect(acceptance!.sha256).toBe(await sha256Hex(bytes));
    expect(acceptance!.sha256).toBe(await sha256Hex(new TextEncoder().encode(TERMS)));

    // Accepting again is a no-op, not a second record.
    await postForm(`${base}/agreements/${version.id}/accept`, {}, { cookie });
    expect(await acceptancesOf(customer.id, id!)).toHaveLength(1);
  });

  it('asks again for a new version, shows what changed, and refuses the old version', async () => {
    const { host, customer, cookie, base } = await hostWithMember('Reaccept Host');
    const { id } = await publishDocument(host, { title: 'Terms', body: 'Version one.' });
    const [v1] = await db().select().from(legalDocumentVersions).where(eq(legalDocumentVersions.documentId, id!)).all();
    await postForm(`${base}/agreements/${v1!.id}/accept`, {}, { cookie });
    expect((await getPage(base, { cookie })).status).toBe(200);

    // A change note is required, and an identical text is refused.
    expect((await publishNewVersion(host, id!, { body: 'Version two.', change_note: '' })).status).toBe(422);
    expect((await publishNewVersion(host, id!, { body: 'Version one.', change_note: 'nothing' })).status).toBe(422);
    expect((await publishNewVersion(host, id!, { body: 'Version two.', change_note: 'Raised the deposit' })).status).toBe(303);
    const doc = await documentRow(id!);
    expect(doc!.currentVersionId).not.toBe(v1!.id);

    expect((await getPage(base, { cookie })).headers.get('Location')).toBe(`${base}/agreements`);
    const gate = await (await getPage(`${base}/agreements`, { cookie })).text();
    expect(gate).toContain('Raised the deposit');
    expect(gate).toContain('version 2');

    const stale = await postForm(`${base}/agreements/${v1!.id}/accept`, {}, { cookie });
    expect(stale.status).toBe(409);
    expect(await acceptancesOf(customer.id, id!)).toHaveLength(1);

    await postForm(`${base}/agreements/${doc!.currentVersionId}/accept`, {}, { cookie });
    expect((await getPage(base, { cookie })).status).toBe(200);
    const rows = await acceptancesOf(customer.id, id!);
    expect(rows.map((r) => r.version).sort()).toEqual([1, 2]);

    // The Legal tab: the accepted version, by whom, the hash, and a download of exactly that text.
    const tab = await (await getPage(`/admin/customers/${customer.id}/legal`, { cookie: host.owner.cookie })).text();
    const v2 = rows.find((r) => r.version === 2)!;
    expect(tab).toContain('Terms');
    expect(tab).toContain(v2.sha256);
    expect(tab).toContain('Pat Owner');
    const file = await getPage(`/admin/customers/${customer.id}/legal/acceptances/${v2.id}/file`, { cookie: host.owner.cookie });
    expect(await file.text()).toBe('Version two.');
    const old = rows.find((r) => r.version === 1)!;
    expect(await (await getPage(`/admin/customers/${customer.id}/legal/acceptances/${old.id}/file`, { cookie: host.owner.cookie })).text()).toBe('Version one.');
  });

  it('applies a contract-type document only to customers with a contract of that type', async () => {
    const { host, customer, cookie, base } = await hostWithMember('Kind Host');
    const { id } = await publishDocument(host, { title: 'Hosted addendum', body: 'For hosted units.', required_for: 'hosted' });
    expect((await getPage(base, { cookie })).status).toBe(200);
    const contractId = await createContract(host, customer.id, { kind: 'hosted', status: 'draft' });
    expect((await getPage(base, { cookie })).headers.get('Location')).toBe(`${base}/agreements`);
    // The contract cites the agreement version in force, and whether it was accepted.
    const contractPage = await (await getPage(`/admin/customers/${customer.id}/contracts/${contractId}`, { cookie: host.owner.cookie })).text();
    expect(contractPage).toContain('Agreements in force');
    expect(contractPage).toContain('Hosted addendum v1');
    expect(contractPage).toContain('not yet accepted');
    // Archived documents stop gating.
    expect((await postForm(`/admin/settings/legal/${id}/archive`, {}, { cookie: host.owner.cookie })).status).toBe(303);
    expect((await getPage(base, { cookie })).status).toBe(200);
  });

  it('staff in View Portal see the gate but cannot accept for the customer', async () => {
    const { host, customer } = await hostWithMember('Staff Host');
    const { id } = await publishDocument(host, { title: 'Terms', body: 'Text.' });
    const doc = await documentRow(id!);
    const preview = await getPage(`/admin/customers/${customer.id}/portal/agreements`, { cookie: host.owner.cookie });
    expect(preview.status).toBe(200);
    expect(await preview.text()).toContain('staff cannot accept');
    const res = await postForm(`/admin/customers/${customer.id}/portal/agreements/${doc!.currentVersionId}/accept`, {}, { cookie: host.owner.cookie });
    expect(res.status).toBe(403);
    expect(await acceptancesOf(customer.id)).toHaveLength(0);
  });
});

describe('Settings → Legal documents', () => {
  it('stores an uploaded PDF in R2, checked from its bytes; a renamed non-PDF changes nothing', async () => {
    const { host, customer, cookie, base } = await hostWithMember('Pdf Host');
    const fake = new File(['<html>not a pdf</html>'], 'terms.pdf', { type: 'application/pdf' });
    const bad = await publishDocument(host, { title: 'Fake', format: 'pdf' }, fake);
    expect(bad.res.status).toBe(422);
    expect(await bad.res.text()).toContain('not a PDF');
    expect(await db().select().from(legalDocuments).where(eq(legalDocuments.hostId, host.hostId)).all()).toHaveLength(0);

    const pdf = pdfFile('real one');
    const { res, id } = await publishDocument(host, { title: 'PDF terms', format: 'pdf' }, pdf);
    expect(res.status).toBe(303);
    const doc = await documentRow(id!);
    const served = await getPage(`${base}/agreements/${doc!.currentVersionId}/document`, { cookie });
    expect(served.headers.get('Content-Type')).toBe('application/pdf');
    const bytes = await served.arrayBuffer();
    expect(new Uint8Array(bytes)).toEqual(new Uint8Array(await pdf.arrayBuffer()));
    await postForm(`${base}/agreements/${doc!.currentVersionId}/accept`, {}, { cookie });
    const [acceptance] = await acceptancesOf(customer.id, id!);
    expect(acceptance!.sha256).toBe(await sha256Hex(bytes));
  });

  it('validates the form (422 with field errors) and only owners and admins publish', async () => {
    const { host } = await hostWithMember('Validate Host');
    const missing = await publishDocument(host, { title: '', body: '' });
    expect(missing.res.status).toBe(422);
    const html = await missing.res.text();
    expect(html).toContain('Title is required');
    expect(html).toContain('Write the agreement');
    const { addMember } = await import('../helpers/fixtures');
    const staff = await addMember(host, 'staff');
    const form = new FormData();
    form.set('title', 'Sneaky');
    form.set('required_for', 'all');
    form.set('format', 'markdown');
    form.set('body', 'text');
    const res = await SELF.fetch(`${ORIGIN}/admin/settings/legal`, { method: 'POST', headers: { Cookie: staff.cookie, Origin: ORIGIN }, body: form, redirect: 'manual' });
    expect(res.status).toBe(403);
    expect(await db().select().from(legalDocuments).where(eq(legalDocuments.hostId, host.hostId)).all()).toHaveLength(0);
  });

  it('exports the acceptances of a document as CSV', async () => {
    const { host, customer, cookie, base } = await hostWithMember('Csv Host');
    const { id } = await publishDocument(host, { title: 'Terms', body: 'Text.' });
    const doc = await documentRow(id!);
    await postForm(`${base}/agreements/${doc!.currentVersionId}/accept`, {}, { cookie, headers: { 'CF-Connecting-IP': '198.51.100.4' } });
    const res = await getPage(`/admin/settings/legal/${id}/acceptances.csv`, { cookie: host.owner.cookie });
    expect(res.headers.get('Content-Type')).toContain('text/csv');
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe('customer_id,customer,version,sha256,accepted_by,accepted_by_email,ip,accepted_at');
    expect(lines[1]).toContain(customer.id);
    expect(lines[1]).toContain('198.51.100.4');
    expect(lines).toHaveLength(2);
  });
});

describe('/api/v1 legal', () => {
  it('lists documents, versions and a customer’s acceptances, within the key’s host only', async () => {
    const { host, customer, cookie, base } = await hostWithMember('Api Legal Host');
    const { id } = await publishDocument(host, { title: 'Terms', body: 'Text.' });
    const doc = await documentRow(id!);
    await postForm(`${base}/agreements/${doc!.currentVersionId}/accept`, {}, { cookie });
    const key = await createApiKeyFor(host);
    const list = (await (await api('/api/v1/legal/documents', { key })).json()) as { data: { id: string; current_version: number }[] };
    expect(list.data).toEqual([expect.objectContaining({ id, current_version: 1 })]);
    const versions = (await (await api(`/api/v1/legal/documents/${id}/versions`, { key })).json()) as { data: { sha256: string }[] };
    expect(versions.data[0]!.sha256).toHaveLength(64);
    const acc = (await (await api(`/api/v1/customers/${customer.id}/acceptances`, { key })).json()) as { data: { sha256: string; version: number }[] };
    expect(acc.data).toEqual([expect.objectContaining({ version: 1, sha256: versions.data[0]!.sha256 })]);

    const other = await hostWithMember('Api Other Host');
    const otherKey = await createApiKeyFor(other.host);
    expect((await api(`/api/v1/legal/documents/${id}/versions`, { key: otherKey })).status).toBe(404);
    expect((await api(`/api/v1/customers/${customer.id}/acceptances`, { key: otherKey })).status).toBe(404);
    expect((await api('/api/v1/legal/documents')).status).toBe(401);
  });
});

describe('invoices cite the agreements', () => {
  it('cite the version in force when issued and what the customer had accepted then, for the invoice’s contract kinds only', async () => {
    const { host, customer, cookie, base } = await hostWithMember('Invoice Cite Host');
    const { id: termsId } = await publishDocument(host, { title: 'Hosting <b>Terms</b>', body: 'Version one.' });
    const { id: hostedId } = await publishDocument(host, { title: 'Hosted addendum', body: 'For hosted units.', required_for: 'hosted' });
    await publishDocument(host, { title: 'Lease schedule', body: 'For leases.', required_for: 'lease' });
    const [v1] = await db().select().from(legalDocumentVersions).where(eq(legalDocumentVersions.documentId, termsId!)).all();
    await postForm(`${base}/agreements/${v1!.id}/accept`, {}, { cookie });
    const contractId = await createContract(host, customer.id, { kind: 'hosted' });
    const invoiceId = await insertInvoice(host, customer.id, { totalMinor: 5_000, energyLine: { contractId, amountMinor: 3_000 } });

    // After the invoice was issued: a new version of the terms, which the customer accepts too.
    expect((await publishNewVersion(host, termsId!, { body: 'Version two.', change_note: 'Longer notice' })).status).toBe(303);
    const v2 = (await db().select().from(legalDocumentVersions).where(eq(legalDocumentVersions.documentId, termsId!)).all()).find((v) => v.version === 2)!;
    const issuedAt = Math.min(v2.publishedAt - 1, Date.now() - 1);
    await db().update(invoices).set({ issuedAt }).where(eq(invoices.id, invoiceId));
    await db().update(legalAcceptances).set({ acceptedAt: issuedAt - 1 }).where(eq(legalAcceptances.versionId, v1!.id));
    await postForm(`${base}/agreements/${v2.id}/accept`, {}, { cookie });

    const staffRes = await getPage(`/admin/invoices/${invoiceId}`, { cookie: host.owner.cookie });
    expect(staffRes.status).toBe(200);
    const staff = await staffRes.text();
    const cited = staff.slice(staff.indexOf('data-testid="invoice-agreements"'));
    expect(cited).toContain('In force when this invoice was issued.');
    expect(cited).toContain('Hosting &lt;b&gt;Terms&lt;/b&gt;, version 1');
    expect(cited).toContain(v1!.sha256.slice(0, 16));
    expect(cited).not.toContain('version 2');
    expect(cited).toMatch(/Hosted addendum, version 1 \(SHA-256 <code class="hash">[0-9a-f]{16}…<\/code>\): not accepted/);
    expect(cited).not.toContain('Lease schedule');
    expect(staff).not.toContain('<b>Terms</b>');
    expect(hostedId).not.toBeNull();

    // The customer sees the same citation on the portal invoice once past the gate.
    const hostedVersion = (await db().select().from(legalDocumentVersions).where(eq(legalDocumentVersions.documentId, hostedId!)).all())[0]!;
    await postForm(`${base}/agreements/${hostedVersion.id}/accept`, {}, { cookie });
    const portal = await getPage(`${base}/invoices/${invoiceId}`, { cookie });
    expect(portal.status).toBe(200);
    const portalHtml = await portal.text();
    expect(portalHtml).toContain('Hosting &lt;b&gt;Terms&lt;/b&gt;, version 1');
    // Accepted after the invoice was issued: the issued invoice still says it was not accepted then.
    expect(portalHtml).toMatch(/Hosted addendum, version 1 \(SHA-256 <code class="hash">[0-9a-f]{16}…<\/code>\): not accepted/);
  });

  it('another host’s documents are never cited', async () => {
    const a = await hostWithMember('Cite A');
    const b = await hostWithMember('Cite B');
    await publishDocument(b.host, { title: 'B only terms', body: 'B.' });
    const invoiceId = await insertInvoice(a.host, a.customer.id);
    const html = await (await getPage(`/admin/invoices/${invoiceId}`, { cookie: a.host.owner.cookie })).text();
    expect(html).not.toContain('B only terms');
    expect(html).not.toContain('data-testid="invoice-agreements"');
  });
});
