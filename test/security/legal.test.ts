import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { legalDocuments } from '../../src/db/schema';
import { db, getPage, postForm } from '../helpers/fixtures';
import { acceptancesOf, documentRow, hostWithMember, publishDocument } from '../helpers/legal';

const NASTY = '<script>alert(1)</script><img src=x onerror=alert(2)>';

describe('legal documents: tenancy', () => {
  it('another host’s staff and members reach none of a host’s documents, versions or acceptances', async () => {
    const a = await hostWithMember('Legal A');
    const b = await hostWithMember('Legal B');
    const { id } = await publishDocument(a.host, { title: 'A terms', body: 'A text.' });
    const doc = await documentRow(id!);
    await postForm(`${a.base}/agreements/${doc!.currentVersionId}/accept`, {}, { cookie: a.cookie });
    const [acceptance] = await acceptancesOf(a.customer.id);

    for (const path of [`/admin/settings/legal/${id}`, `/admin/settings/legal/${id}/acceptances.csv`, `/admin/settings/legal/${id}/versions/${doc!.currentVersionId}/file`]) {
      expect((await getPage(path, { cookie: b.host.owner.cookie })).status, path).toBe(404);
    }
    expect((await getPage(`/admin/customers/${a.customer.id}/legal`, { cookie: b.host.owner.cookie })).status).toBe(404);
    expect((await getPage(`/admin/customers/${a.customer.id}/legal/acceptances/${acceptance!.id}/file`, { cookie: b.host.owner.cookie })).status).toBe(404);
    // An acceptance is only served under its own customer.
    expect((await getPage(`/admin/customers/${b.customer.id}/legal/acceptances/${acceptance!.id}/file`, { cookie: a.host.owner.cookie })).status).toBe(404);
    expect((await postForm(`/admin/settings/legal/${id}`, { title: 'Hijack', required_for: 'none' }, { cookie: b.host.owner.cookie })).status).toBe(404);
    expect((await documentRow(id!))!.title).toBe('A terms');

    // B's member can neither read nor accept A's version through B's portal.
    expect((await getPage(`${b.base}/agreements/${doc!.currentVersionId}/document`, { cookie: b.cookie })).status).toBe(404);
    expect((await postForm(`${b.base}/agreements/${doc!.currentVersionId}/accept`, {}, { cookie: b.cookie })).status).toBe(404);
    // A's portal cookie opens nothing on B's portal: it is simply not a session there.
    expect((await getPage(`${b.base}/agreements`, { cookie: a.cookie })).headers.get('Location')).toBe(`${b.base}/auth`);
    expect(await acceptancesOf(b.customer.id)).toHaveLength(0);
  });

  it('needs a session, and a same-origin post (CSRF)', async () => {
    const a = await hostWithMember('Legal Csrf');
    const { id } = await publishDocument(a.host, { title: 'Terms', body: 'Text.' });
    const doc = await documentRow(id!);
    expect((await getPage('/admin/settings/legal')).status).toBe(303);
    expect((await getPage(`${a.base}/agreements`)).headers.get('Location')).toBe(`${a.base}/auth`);
    expect((await postForm(`${a.base}/agreements/${doc!.currentVersionId}/accept`, {}, { cookie: a.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await postForm(`/admin/settings/legal/${id}/archive`, {}, { cookie: a.host.owner.cookie, origin: null })).status).toBe(403);
    expect(await acceptancesOf(a.customer.id)).toHaveLength(0);
    expect((await documentRow(id!))!.archivedAt).toBeNull();
  });
});

describe('legal documents: HTML and Markdown injection', () => {
  it('shows every text field as text, and renders only safe Markdown', async () => {
    const a = await hostWithMember('Legal Xss');
    const body = `# Title ${NASTY}\n\n[click](javascript:alert(3)) and [ok](https://example.com/?a=1&b=2)\n\n<a href="javascript:alert(4)">x</a>`;
    const { id } = await publishDocument(a.host, { title: `T ${NASTY}`, body, change_note: NASTY });
    const doc = await documentRow(id!);
    const pages = [
      await (await getPage('/admin/settings/legal', { cookie: a.host.owner.cookie })).text(),
      await (await getPage(`/admin/settings/legal/${id}`, { cookie: a.host.owner.cookie })).text(),
      await (await getPage(`${a.base}/agreements`, { cookie: a.cookie })).text(),
    ];
    await postForm(`${a.base}/agreements/${doc!.currentVersionId}/accept`, {}, { cookie: a.cookie, headers: { 'CF-Connecting-IP': NASTY } });
    pages.push(await (await getPage(`/admin/customers/${a.customer.id}/legal`, { cookie: a.host.owner.cookie })).text());
    for (const html of pages) {
      expect(html).not.toContain('<script>alert');
      expect(html).not.toContain('<img src=x');
      expect(html).not.toMatch(/href="javascript:/i);
    }
    expect(pages[2]).toContain('&lt;script&gt;');
    expect(pages[2]).toContain('href="https://example.com/?a=1&amp;b=2"');
    const csv = await (await getPage(`/admin/settings/legal/${id}/acceptances.csv`, { cookie: a.host.owner.cookie })).text();
    expect(csv).toContain(NASTY.slice(0, 10));
    expect(await db().select().from(legalDocuments).where(eq(legalDocuments.id, id!)).all()).toHaveLength(1);
  });
});
