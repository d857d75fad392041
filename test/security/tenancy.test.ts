import { SELF } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activityLog, customers } from '../../src/db/schema';
import {
  addMember,
  api,
  createApiKeyFor,
  createHost,
  createTestCustomer,
  customerIdsIn,
  db,
  formOf,
  getPage,
  postForm,
} from '../helpers/fixtures';

const TABS = ['', '/contracts', '/equipment', '/usage', '/financials', '/default-status', '/activity', '/legal', '/team', '/edit'];

/** Two hosts, each with a customer, and B's customer as stored before the test pokes at it. */
async function twoHosts() {
  const a = await createHost('Host A');
  const b = await createHost('Host B');
  const aCustomer = await createTestCustomer(a, { name: 'A Customer', contact_email: 'a@host-a.example' });
  const bCustomer = await createTestCustomer(b, {
    name: 'B Secret Customer',
    company_name: 'B Confidential Co',
    contact_email: 'secret@host-b.example',
    notes: 'B internal notes',
  });
  const bRow = await db().select().from(customers).where(eq(customers.id, bCustomer.id)).get();
  return { a, b, aCustomer, bCustomer, bRow };
}

async function expectUnchanged(id: string, before: unknown) {
  expect(await db().select().from(customers).where(eq(customers.id, id)).get()).toEqual(before);
  const entries = await db().select().from(activityLog).where(eq(activityLog.customerId, id)).all();
  expect(entries.map((e) => e.action)).toEqual(['customer.created']);
}

describe('admin pages never cross hosts', () => {
  it('answers 404 for every page of another host’s customer, for every role', async () => {
    const { a, bCustomer } = await twoHosts();
    const members = [a.owner, await addMember(a, 'admin'), await addMember(a, 'staff')];
    for (const member of members) {
      for (const tab of TABS) {
        const res = await getPage(`/admin/customers/${bCustomer.id}${tab}`, { cookie: member.cookie });
        expect(res.status, `${member.email} ${tab}`).toBe(404);
        const body = await res.text();
        expect(body).not.toContain('B Secret Customer');
        expect(body).not.toContain('secret@host-b.example');
        expect(body).not.toContain('B internal notes');
      }
    }
  });

  it('answers 404 to an update of another host’s customer and changes nothing', async () => {
    const { a, bCustomer, bRow } = await twoHosts();
    const form = formOf({ name: 'Hijacked', contact_email: 'attacker@host-a.example', active: false, portal_access: false });
    const plain = await postForm(`/admin/customers/${bCustomer.id}`, form, { cookie: a.owner.cookie });
    expect(plain.status).toBe(404);
    const htmx = await postForm(`/admin/customers/${bCustomer.id}`, form, { cookie: a.owner.cookie, htmx: true });
    expect(htmx.status).toBe(404);
    // Invalid input does not reveal that the customer exists either (404, not a 422 form).
    const invalid = await postForm(`/admin/customers/${bCustomer.id}`, { name: '' }, { cookie: a.owner.cookie });
    expect(invalid.status).toBe(404);
    expect(await invalid.text()).not.toContain('B Secret Customer');
    await expectUnchanged(bCustomer.id, bRow);
  });

  it('answers the same 404 for another host’s customer as for one that does not exist', async () => {
    const { a, bCustomer } = await twoHosts();
    const strip = (html: string) => html.replace(/Reference: [^<]+/, '');
    const theirs = await getPage(`/admin/customers/${bCustomer.id}`, { cookie: a.owner.cookie });
    const missing = await getPage(`/admin/customers/${crypto.randomUUID()}`, { cookie: a.owner.cookie });
    expect(theirs.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(strip(await theirs.text())).toBe(strip(await missing.text()));
  });

  it('never lists, searches or exports another host’s customers', async () => {
    const { a, aCustomer, bCustomer } = await twoHosts();
    const list = await (await getPage('/admin/customers', { cookie: a.owner.cookie })).text();
    expect(customerIdsIn(list)).toEqual([aCustomer.id]);
    expect(list).not.toContain('B Secret Customer');

    for (const q of ['secret', 'host-b', 'confidential', 'B Secret Customer']) {
      const search = await (await getPage(`/admin/customers?q=${encodeURIComponent(q)}`, { cookie: a.owner.cookie })).text();
      expect(customerIdsIn(search)).toEqual([]);
    }
    const fragment = await (
      await getPage('/admin/customers?q=secret', { cookie: a.owner.cookie, htmx: true, headers: { 'HX-Target': 'customer-results' } })
    ).text();
    expect(fragment).not.toContain(bCustomer.id);

    const csv = await (await getPage('/admin/customers/export.csv', { cookie: a.owner.cookie })).text();
    expect(csv).toContain(aCustomer.id);
    expect(csv).not.toContain(bCustomer.id);
    expect(csv).not.toContain('secret@host-b.example');
  });

  it('creates customers on the session’s host whatever the form says', async () => {
    const { a, b } = await twoHosts();
    const res = await postForm(
      '/admin/customers',
      { ...formOf({ name: 'Placed Customer', contact_email: 'placed@host-a.example', active: true, portal_access: true }), host_id: b.hostId, hostId: b.hostId },
      { cookie: a.owner.cookie },
    );
    expect(res.status).toBe(303);
    const rows = await db().select().from(customers).where(eq(customers.name, 'Placed Customer')).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.hostId).toBe(a.hostId);
  });

  it('shows each host its own settings, staff and keys', async () => {
    const { a, b } = await twoHosts();
    await createApiKeyFor(b, 'B integration key');
    const settings = await (await getPage('/admin/settings', { cookie: a.owner.cookie })).text();
    expect(settings).toContain(`value="${a.slug}"`);
    expect(settings).not.toContain(b.slug);
    const staff = await (await getPage('/admin/settings/staff', { cookie: a.owner.cookie })).text();
    expect(staff).not.toContain(b.owner.email);
    const keys = await (await getPage('/admin/settings/api-keys', { cookie: a.owner.cookie })).text();
    expect(keys).not.toContain('B integration key');
  });

  it('refuses to remove another host’s owner', async () => {
    const { a, b } = await twoHosts();
    const res = await postForm(`/admin/settings/staff/${b.owner.userId}/remove`, {}, { cookie: a.owner.cookie });
    expect(res.status).toBe(404);
    expect((await getPage('/admin/customers', { cookie: b.owner.cookie })).status).toBe(200);
  });
});

describe('the API never crosses hosts', () => {
  it('answers 404 to GET and PATCH of another host’s customer and changes nothing', async () => {
    const { a, bCustomer, bRow } = await twoHosts();
    const key = await createApiKeyFor(a);
    const get = await api(`/api/v1/customers/${bCustomer.id}`, { key });
    expect(get.status).toBe(404);
    expect(await get.text()).not.toContain('B Secret Customer');
    const patch = await api(`/api/v1/customers/${bCustomer.id}`, { key, method: 'PATCH', body: { name: 'Hijacked', active: false } });
    expect(patch.status).toBe(404);
    await expectUnchanged(bCustomer.id, bRow);
  });

  it('lists and searches only the key’s host', async () => {
    const { a, aCustomer, bCustomer } = await twoHosts();
    const key = await createApiKeyFor(a);
    const all = (await (await api('/api/v1/customers', { key })).json()) as { data: { id: string }[]; total: number };
    expect(all.data.map((c) => c.id)).toEqual([aCustomer.id]);
    expect(all.total).toBe(1);
    const search = (await (await api('/api/v1/customers?q=secret', { key })).json()) as { data: unknown[]; total: number };
    expect(search).toMatchObject({ data: [], total: 0 });
    expect(JSON.stringify(all)).not.toContain(bCustomer.id);
  });

  it('creates customers on the key’s host only (host_id in the body is refused)', async () => {
    const { a, b } = await twoHosts();
    const key = await createApiKeyFor(a);
    const smuggled = await api('/api/v1/customers', { key, method: 'POST', body: { name: 'Smuggled', contact_email: 's@x.example', host_id: b.hostId } });
    expect(smuggled.status).toBe(422);
    expect(await db().select().from(customers).where(eq(customers.name, 'Smuggled')).all()).toEqual([]);

    const ok = await api('/api/v1/customers', { key, method: 'POST', body: { name: 'Placed Via API', contact_email: 'p@x.example' } });
    expect(ok.status).toBe(201);
    const rows = await db().select().from(customers).where(eq(customers.name, 'Placed Via API')).all();
    expect(rows.map((r) => r.hostId)).toEqual([a.hostId]);
  });

  it('does not let a session cookie from host B unlock host A’s API', async () => {
    const { b } = await twoHosts();
    const res = await getPage('/api/v1/customers', { cookie: b.owner.cookie });
    expect(res.status).toBe(401);
  });
});

describe('sessions', () => {
  it.each(['/admin/customers', '/admin/customers/new', '/admin/settings', '/admin/settings/api-keys', '/admin/settings/staff'])(
    'redirects %s without a session to /login with next',
    async (path) => {
      const res = await getPage(path);
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toBe(`/login?next=${encodeURIComponent(path)}`);
    },
  );

  it('keeps the query string in next', async () => {
    const res = await getPage('/admin/customers?q=acme&status=active');
    expect(res.headers.get('Location')).toBe(`/login?next=${encodeURIComponent('/admin/customers?q=acme&status=active')}`);
  });

  it('tells htmx to navigate to /login instead of swapping a login page in', async () => {
    const res = await getPage('/admin/customers?q=x', { htmx: true, headers: { 'HX-Target': 'customer-results' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('HX-Redirect')).toBe(`/login?next=${encodeURIComponent('/admin/customers?q=x')}`);
  });

  it('refuses a forged, tampered or foreign-signed session cookie', async () => {
    const host = await createHost();
    const token = host.owner.cookie.split('=')[1]!;
    const [header, payload] = token.split('.');
    // Re-sign nothing: swap in a payload naming another host.
    const other = await createHost();
    const otherPayload = other.owner.cookie.split('=')[1]!.split('.')[1];
    const tampered = `__Host-hy_staff=${header}.${otherPayload}.${token.split('.')[2]}`;
    const unsigned = `__Host-hy_staff=${header}.${payload}.`;
    const garbage = '__Host-hy_staff=not-a-jwt';
    const wrongName = `hy_staff=${token}`;
    for (const cookie of [tampered, unsigned, garbage, wrongName]) {
      const res = await getPage('/admin/customers', { cookie });
      expect(res.status, cookie).toBe(303);
      expect(res.headers.get('Location')).toBe('/login?next=%2Fadmin%2Fcustomers');
    }
  });

  it('refuses writes without a session and writes nothing', async () => {
    const res = await postForm('/admin/customers', formOf({ name: 'No Session', contact_email: 'n@x.example', active: true }));
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/login?next=%2Fadmin%2Fcustomers');
    expect(await db().select().from(customers).where(eq(customers.name, 'No Session')).all()).toEqual([]);
  });
});

describe('routing by Host', () => {
  it.each([
    'https://evil.example/login',
    'https://evil.example/admin/customers',
    'https://evil.example/api/v1/customers',
    'https://hashyard.test.evil.example/login',
    'https://sub.hashyard.test/login',
    'http://localhost/login',
  ])('answers 404 for the unknown host of %s', async (url) => {
    const res = await SELF.fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(404);
    expect(res.headers.get('Set-Cookie')).toBeNull();
    expect(res.headers.get('Location')).toBeNull();
  });

  it('does not serve a tenant to an unknown host, even with a valid session or key', async () => {
    const host = await createHost();
    const c = await createTestCustomer(host, { name: 'Only On The Platform Host' });
    const key = await createApiKeyFor(host);
    const page = await SELF.fetch(`https://evil.example/admin/customers/${c.id}`, { headers: { Cookie: host.owner.cookie }, redirect: 'manual' });
    expect(page.status).toBe(404);
    expect(await page.text()).not.toContain('Only On The Platform Host');
    const json = await SELF.fetch(`https://evil.example/api/v1/customers/${c.id}`, { headers: { Authorization: `Bearer ${key}` } });
    expect(json.status).toBe(404);
    expect(await json.text()).not.toContain('Only On The Platform Host');
  });

  it('refuses a sign-up posted to an unknown host', async () => {
    const res = await SELF.fetch('https://evil.example/signup', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://evil.example' },
      body: new URLSearchParams({ organisation_name: 'Evil', main_slug: 'evil-host-signup', owner_name: 'E', email: 'e@evil.example', password: 'long enough password' }),
      redirect: 'manual',
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('Set-Cookie')).toBeNull();
  });
});
