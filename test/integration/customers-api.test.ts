import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { revokeApiKey } from '../../src/hosts/service';
import { activityLog, apiKeys, customers } from '../../src/db/schema';
import {
  api,
  createApiKeyFor,
  createHost,
  createTestCustomer,
  db,
  getPage,
  openDefaultCase,
  startPoolRedirect,
  type TestHost,
} from '../helpers/fixtures';

interface ApiError {
  error: { code: string; message: string; fields: Record<string, string> };
}

const API_FIELDS = [
  'id',
  'name',
  'company_name',
  'contact_email',
  'billing_email',
  'effective_billing_email',
  'phone',
  'billing_currency',
  'notes',
  'active',
  'portal_access',
  'status',
  'created_at',
  'updated_at',
].sort();

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function hostWithKey(name?: string) {
  const host = await createHost(name);
  return { host, key: await createApiKeyFor(host) };
}

const customersOf = (host: TestHost) => db().select().from(customers).where(eq(customers.hostId, host.hostId)).all();
const customerRow = (id: string) => db().select().from(customers).where(eq(customers.id, id)).get();

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toContain('application/json');
  const body = (await res.json()) as ApiError;
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(typeof body.error.fields).toBe('object');
  return body.error;
}

// ---------------------------------------------------------------------------------------------

describe('authentication', () => {
  it('answers 401 without a key', async () => {
    const res = await api('/api/v1/customers');
    expect(res.headers.get('WWW-Authenticate')).toContain('Bearer');
    const error = await expectError(res, 401, 'unauthorized');
    expect(error.fields).toEqual({});
  });

  it.each([
    ['an unknown key', 'Bearer hy_live_not-a-real-key'],
    ['a malformed header', 'Bearer'],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['a key with extra words', 'Bearer one two'],
  ])('answers 401 for %s', async (_label, authorization) => {
    const res = await api('/api/v1/customers', { headers: { Authorization: authorization } });
    await expectError(res, 401, 'unauthorized');
  });

  it('answers 401 for a revoked key, for reads and writes', async () => {
    const { host, key } = await hostWithKey();
    const c = await createTestCustomer(host);
    expect((await api('/api/v1/customers', { key })).status).toBe(200);
    const row = await db().select().from(apiKeys).where(eq(apiKeys.hostId, host.hostId)).get();
    await revokeApiKey(db(), host.owner.session, row!.id);

    await expectError(await api('/api/v1/customers', { key }), 401, 'unauthorized');
    await expectError(await api(`/api/v1/customers/${c.id}`, { key }), 401, 'unauthorized');
    await expectError(await api('/api/v1/customers', { key, method: 'POST', body: { name: 'X', contact_email: 'x@x.example' } }), 401, 'unauthorized');
    await expectError(await api(`/api/v1/customers/${c.id}`, { key, method: 'PATCH', body: { name: 'Changed' } }), 401, 'unauthorized');
    expect(await customersOf(host)).toHaveLength(1);
    expect((await customerRow(c.id))!.name).toBe(c.name);
  });

  it('does not accept a staff session cookie instead of a key', async () => {
    const host = await createHost();
    const res = await getPage('/api/v1/customers', { cookie: host.owner.cookie });
    await expectError(res, 401, 'unauthorized');
  });
});

// ---------------------------------------------------------------------------------------------

describe('POST /api/v1/customers', () => {
  it('creates a customer and returns it in snake_case (201 + Location)', async () => {
    const { host, key } = await hostWithKey();
    const res = await api('/api/v1/customers', {
      key,
      method: 'POST',
      body: {
        name: '  API Customer  ',
        company_name: 'API Co',
        contact_email: 'Ops@API.example',
        phone: '+1 512 555 0100',
        billing_currency: 'eur',
        notes: 'from the API',
      },
    });
    expect(res.status).toBe(201);
    const { data } = (await res.json()) as { data: Record<string, unknown> };
    expect(Object.keys(data).sort()).toEqual(API_FIELDS);
    expect(res.headers.get('Location')).toBe(`/api/v1/customers/${data.id}`);
    expect(data).toMatchObject({
      name: 'API Customer',
      company_name: 'API Co',
      contact_email: 'ops@api.example',
      billing_email: null,
      effective_billing_email: 'ops@api.example',
      phone: '+1 512 555 0100',
      billing_currency: 'EUR',
      notes: 'from the API',
      active: true,
      portal_access: true,
      status: 'active',
    });
    expect(data.created_at).toMatch(ISO);
    expect(data.updated_at).toBe(data.created_at);

    const row = await customerRow(data.id as string);
    expect(row).toMatchObject({ hostId: host.hostId, name: 'API Customer', contactEmail: 'ops@api.example', billingCurrency: 'EUR' });
    expect(new Date(row!.createdAt).toISOString()).toBe(data.created_at);

    const activity = await db().select().from(activityLog).where(eq(activityLog.customerId, data.id as string)).all();
    expect(activity).toHaveLength(1);
    expect(activity[0]).toMatchObject({ action: 'customer.created', actorKind: 'api_key' });
    expect(activity[0]!.actorLabel).toContain('Test key');

    // The admin app sees it, and marks who made it.
    const activityPage = await (await getPage(`/admin/customers/${data.id}/activity`, { cookie: host.owner.cookie })).text();
    expect(activityPage).toContain('(API)');
  });

  it('honours both toggles and an explicit billing email', async () => {
    const { key } = await hostWithKey();
    const res = await api('/api/v1/customers', {
      key,
      method: 'POST',
      body: { name: 'Off', contact_email: 'off@x.example', billing_email: 'AP@x.example', active: false, portal_access: false },
    });
    expect(res.status).toBe(201);
    const { data } = (await res.json()) as { data: Record<string, unknown> };
    expect(data).toMatchObject({ active: false, portal_access: false, status: 'inactive', billing_email: 'ap@x.example', effective_billing_email: 'ap@x.example' });
  });

  it.each([
    [{ contact_email: 'a@x.example' }, 'name', 'Customer name is required.'],
    [{ name: '   ', contact_email: 'a@x.example' }, 'name', 'Customer name is required.'],
    [{ name: 'X' }, 'contact_email', 'Contact email is required.'],
    [{ name: 'X', contact_email: 'nope' }, 'contact_email', 'Enter a valid email address, like name@example.com.'],
    [{ name: 'X', contact_email: 'a@x.example', billing_email: 'bad@' }, 'billing_email', 'Enter a valid email address, like name@example.com.'],
    [{ name: 'X', contact_email: 'a@x.example', phone: 'ring ring' }, 'phone', 'Use digits, spaces and + ( ) - . only, like +1 512 555 0100.'],
    [{ name: 'X', contact_email: 'a@x.example', billing_currency: 'XYZ' }, 'billing_currency', 'Choose a currency from the ISO 4217 list.'],
    [{ name: 'X', contact_email: 'a@x.example', notes: 'n'.repeat(5001) }, 'notes', 'Use at most 5000 characters.'],
    [{ name: 'X', contact_email: 'a@x.example', active: 'yes' }, 'active', 'Active Account must be true or false.'],
    [{ name: 'X', contact_email: 'a@x.example', portal_access: 1 }, 'portal_access', 'Portal Access must be true or false.'],
    [{ name: 42, contact_email: 'a@x.example' }, 'name', 'Customer name is required.'],
    [{ name: 'X', contact_email: 'a@x.example', company_name: ['array'] }, 'company_name', 'Must be text.'],
  ])('refuses %j with 422 on %s and writes nothing', async (body, field, message) => {
    const { host, key } = await hostWithKey();
    const error = await expectError(await api('/api/v1/customers', { key, method: 'POST', body }), 422, 'validation_failed');
    expect(error.fields[field]).toBe(message);
    expect(await customersOf(host)).toEqual([]);
  });

  it('reports every bad field at once', async () => {
    const { key } = await hostWithKey();
    const error = await expectError(
      await api('/api/v1/customers', { key, method: 'POST', body: { name: '', contact_email: 'x', phone: '?', billing_currency: 'ZZZ' } }),
      422,
      'validation_failed',
    );
    expect(Object.keys(error.fields).sort()).toEqual(['billing_currency', 'contact_email', 'name', 'phone']);
  });

  it.each([
    [{ name: 'X', contact_email: 'a@x.example', host_id: 'someone-else' }, ['host_id']],
    [{ name: 'X', contact_email: 'a@x.example', id: 'chosen-id', status: 'active' }, ['id', 'status']],
    [{ name: 'X', contact_email: 'a@x.example', contactEmail: 'camel@x.example' }, ['contactEmail']],
  ])('refuses unknown fields %j with 422 and writes nothing', async (body, unknown) => {
    const { host, key } = await hostWithKey();
    const error = await expectError(await api('/api/v1/customers', { key, method: 'POST', body }), 422, 'validation_failed');
    for (const field of unknown) expect(error.fields[field]).toBe('Unknown field.');
    expect(await customersOf(host)).toEqual([]);
  });

  it.each([
    ['form-encoded', 'name=X&contact_email=a%40x.example', 'application/x-www-form-urlencoded'],
    ['text', '{"name":"X","contact_email":"a@x.example"}', 'text/plain'],
    ['broken JSON', '{"name": "X",', 'application/json'],
    ['a JSON array', '[{"name":"X","contact_email":"a@x.example"}]', 'application/json'],
    ['JSON null', 'null', 'application/json'],
    ['a JSON string', '"hello"', 'application/json'],
    ['an empty body', '', 'application/json'],
  ])('answers 400 for %s and writes nothing', async (_label, rawBody, contentType) => {
    const { host, key } = await hostWithKey();
    const res = await api('/api/v1/customers', { key, method: 'POST', rawBody, headers: { 'Content-Type': contentType } });
    await expectError(res, 400, 'bad_request');
    expect(await customersOf(host)).toEqual([]);
  });

  it('accepts a JSON content type with parameters', async () => {
    const { host, key } = await hostWithKey();
    const res = await api('/api/v1/customers', {
      key,
      method: 'POST',
      rawBody: JSON.stringify({ name: 'Charset', contact_email: 'c@x.example' }),
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
    });
    expect(res.status).toBe(201);
    expect(await customersOf(host)).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------

describe('GET /api/v1/customers', () => {
  it('lists this host’s customers only, with totals', async () => {
    const { host, key } = await hostWithKey();
    const other = await createHost();
    await createTestCustomer(other, { name: 'Other Host Customer' });
    const b = await createTestCustomer(host, { name: 'Bravo' });
    const a = await createTestCustomer(host, { name: 'alpha', billing_email: 'ap@alpha.example' });

    const res = await api('/api/v1/customers', { key });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: Record<string, unknown>[]; total: number; next_cursor: string | null };
    expect(Object.keys(body).sort()).toEqual(['data', 'next_cursor', 'total']);
    expect(body.total).toBe(2);
    expect(body.next_cursor).toBeNull();
    expect(body.data.map((c) => c.id)).toEqual([a.id, b.id]);
    for (const item of body.data) expect(Object.keys(item).sort()).toEqual(API_FIELDS);
    expect(body.data[0]).toMatchObject({ name: 'alpha', billing_email: 'ap@alpha.example', effective_billing_email: 'ap@alpha.example' });
    expect(body.data[1]).toMatchObject({ name: 'Bravo', billing_email: null, effective_billing_email: 'ops@acme.example' });
  });

  it('searches with q and filters by status', async () => {
    const { host, key } = await hostWithKey();
    const glacier = await createTestCustomer(host, { name: 'Glacier', company_name: 'Ice Works' });
    const inactive = await createTestCustomer(host, { name: 'Dormant', active: false });
    const inDefault = await createTestCustomer(host, { name: 'Late Payer' });
    await openDefaultCase(host, inDefault.id, 'Overdue');
    const redirected = await createTestCustomer(host, { name: 'Redirected' });
    await startPoolRedirect(host, redirected.id);

    const ids = async (query: string) => ((await (await api(`/api/v1/customers?${query}`, { key })).json()) as { data: { id: string }[] }).data.map((c) => c.id);
    expect(await ids('q=ice%20works')).toEqual([glacier.id]);
    expect(await ids('status=active')).toEqual([glacier.id]);
    expect(await ids('status=inactive')).toEqual([inactive.id]);
    expect(await ids('status=in_default')).toEqual([inDefault.id]);
    expect(await ids('status=pool_redirected')).toEqual([redirected.id]);
    expect(await ids('status=active&q=dormant')).toEqual([]);

    const statuses = ((await (await api('/api/v1/customers', { key })).json()) as { data: { status: string }[] }).data.map((c) => c.status);
    expect(statuses.sort()).toEqual(['active', 'in_default', 'inactive', 'pool_redirected']);
  });

  it('pages with limit and cursor until next_cursor is null', async () => {
    const { host, key } = await hostWithKey();
    const made = [];
    for (let i = 0; i < 7; i++) made.push(await createTestCustomer(host, { name: `Paged ${i}` }));

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `limit=3&cursor=${encodeURIComponent(cursor)}` : 'limit=3';
      const body = (await (await api(`/api/v1/customers?${query}`, { key })).json()) as { data: { id: string }[]; total: number; next_cursor: string | null };
      expect(body.total).toBe(7);
      expect(body.data.length).toBeLessThanOrEqual(3);
      seen.push(...body.data.map((c) => c.id));
      cursor = body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(made.map((c) => c.id));
  });

  it('defaults to 50 a page', async () => {
    const { host, key } = await hostWithKey();
    for (let i = 0; i < 51; i++) await createTestCustomer(host, { name: `Many ${String(i).padStart(2, '0')}` });
    const body = (await (await api('/api/v1/customers', { key })).json()) as { data: unknown[]; total: number; next_cursor: string | null };
    expect(body.data).toHaveLength(50);
    expect(body.total).toBe(51);
    expect(body.next_cursor).not.toBeNull();
  }, 30_000);

  it.each([
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1.5', 'limit'],
    ['status=deleted', 'status'],
    ['sort=password', 'sort'],
    ['cursor=garbage', 'cursor'],
    ['host_id=x', 'host_id'],
  ])('answers 422 for the query %s', async (query, field) => {
    const { key } = await hostWithKey();
    const error = await expectError(await api(`/api/v1/customers?${query}`, { key }), 422, 'validation_failed');
    expect(error.fields[field]).toBeDefined();
  });
});

// ---------------------------------------------------------------------------------------------

describe('GET and PATCH /api/v1/customers/:id', () => {
  it('reads one customer', async () => {
    const { host, key } = await hostWithKey();
    const c = await createTestCustomer(host, { name: 'Single', notes: 'internal' });
    await openDefaultCase(host, c.id, 'Overdue');
    const res = await api(`/api/v1/customers/${c.id}`, { key });
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: Record<string, unknown> };
    expect(Object.keys(data).sort()).toEqual(API_FIELDS);
    expect(data).toMatchObject({ id: c.id, name: 'Single', notes: 'internal', status: 'in_default', effective_billing_email: 'ops@acme.example' });
    expect(data.created_at).toBe(new Date(c.createdAt).toISOString());
  });

  it('answers 404 for an unknown id', async () => {
    const { key } = await hostWithKey();
    await expectError(await api(`/api/v1/customers/${crypto.randomUUID()}`, { key }), 404, 'not_found');
    await expectError(await api(`/api/v1/customers/${crypto.randomUUID()}`, { key, method: 'PATCH', body: { name: 'X' } }), 404, 'not_found');
  });

  it('answers 404 for another host’s customer, and changes nothing', async () => {
    const { key } = await hostWithKey();
    const other = await createHost();
    const theirs = await createTestCustomer(other, { name: 'Not Yours' });
    await expectError(await api(`/api/v1/customers/${theirs.id}`, { key }), 404, 'not_found');
    await expectError(await api(`/api/v1/customers/${theirs.id}`, { key, method: 'PATCH', body: { name: 'Hijacked' } }), 404, 'not_found');
    const row = await customerRow(theirs.id);
    expect(row).toMatchObject({ name: 'Not Yours', updatedAt: theirs.updatedAt });
  });

  it('updates only the fields sent', async () => {
    const { host, key } = await hostWithKey();
    const c = await createTestCustomer(host, { name: 'Patch Me', company_name: 'Keep Co', phone: '512 555 0100', notes: 'keep' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const res = await api(`/api/v1/customers/${c.id}`, { key, method: 'PATCH', body: { name: 'Patched', billing_currency: 'cad' } });
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: Record<string, unknown> };
    expect(data).toMatchObject({ name: 'Patched', company_name: 'Keep Co', phone: '512 555 0100', notes: 'keep', billing_currency: 'CAD', contact_email: 'ops@acme.example' });
    expect(Date.parse(data.updated_at as string)).toBeGreaterThan(Date.parse(data.created_at as string));

    expect(await customerRow(c.id)).toMatchObject({ name: 'Patched', sortName: 'patched', companyName: 'Keep Co', phone: '512 555 0100', notes: 'keep', billingCurrency: 'CAD' });
    const updates = await db()
      .select()
      .from(activityLog)
      .where(and(eq(activityLog.customerId, c.id), eq(activityLog.action, 'customer.updated')))
      .all();
    expect(updates).toHaveLength(1);
    expect(updates[0]!.actorKind).toBe('api_key');
    expect(JSON.parse(updates[0]!.changes!)).toEqual({ name: ['Patch Me', 'Patched'], billing_currency: [null, 'CAD'] });
  });

  it('clears optional fields with null (and with blank strings)', async () => {
    const { host, key } = await hostWithKey();
    const c = await createTestCustomer(host, {
      company_name: 'Gone Co',
      billing_email: 'ap@gone.example',
      phone: '512 555 0100',
      billing_currency: 'EUR',
      notes: 'gone',
    });
    const res = await api(`/api/v1/customers/${c.id}`, {
      key,
      method: 'PATCH',
      body: { company_name: null, billing_email: null, phone: null, billing_currency: null, notes: '' },
    });
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: Record<string, unknown> };
    expect(data).toMatchObject({
      company_name: null,
      billing_email: null,
      effective_billing_email: 'ops@acme.example',
      phone: null,
      billing_currency: null,
      notes: null,
    });
    expect(await customerRow(c.id)).toMatchObject({ companyName: null, billingEmail: null, phone: null, billingCurrency: null, notes: null });
  });

  it('can disable an account and turn off portal access', async () => {
    const { host, key } = await hostWithKey();
    const c = await createTestCustomer(host);
    const res = await api(`/api/v1/customers/${c.id}`, { key, method: 'PATCH', body: { active: false, portal_access: false } });
    const { data } = (await res.json()) as { data: Record<string, unknown> };
    expect(data).toMatchObject({ active: false, portal_access: false, status: 'inactive' });
  });

  it.each([
    [{ name: null }, 'name'],
    [{ name: '' }, 'name'],
    [{ contact_email: null }, 'contact_email'],
    [{ contact_email: 'broken' }, 'contact_email'],
    [{ billing_email: 'broken' }, 'billing_email'],
    [{ phone: 'letters only' }, 'phone'],
    [{ billing_currency: 'BTC' }, 'billing_currency'],
    [{ active: null }, 'active'],
    [{ portal_access: 'false' }, 'portal_access'],
  ])('refuses %j with 422 and changes nothing', async (body, field) => {
    const { host, key } = await hostWithKey();
    const c = await createTestCustomer(host, { name: 'Stays', billing_email: 'ap@stays.example' });
    const error = await expectError(await api(`/api/v1/customers/${c.id}`, { key, method: 'PATCH', body }), 422, 'validation_failed');
    expect(Object.keys(error.fields)).toEqual([field]);
    expect(await customerRow(c.id)).toMatchObject({ name: 'Stays', contactEmail: 'ops@acme.example', billingEmail: 'ap@stays.example', active: true, updatedAt: c.updatedAt });
  });

  it('refuses unknown fields even alongside valid ones, and changes nothing', async () => {
    const { host, key } = await hostWithKey();
    const other = await createHost();
    const c = await createTestCustomer(host, { name: 'Strict' });
    const error = await expectError(
      await api(`/api/v1/customers/${c.id}`, { key, method: 'PATCH', body: { name: 'Moved', host_id: other.hostId, created_at: 0 } }),
      422,
      'validation_failed',
    );
    expect(error.fields).toEqual({ host_id: 'Unknown field.', created_at: 'Unknown field.' });
    expect(await customerRow(c.id)).toMatchObject({ name: 'Strict', hostId: host.hostId, createdAt: c.createdAt, updatedAt: c.updatedAt });
    expect(
      await db().select().from(activityLog).where(and(eq(activityLog.customerId, c.id), eq(activityLog.action, 'customer.updated'))).all(),
    ).toEqual([]);
  });

  it('answers 400 for a PATCH that is not JSON, and changes nothing', async () => {
    const { host, key } = await hostWithKey();
    const c = await createTestCustomer(host, { name: 'Still JSON' });
    await expectError(
      await api(`/api/v1/customers/${c.id}`, { key, method: 'PATCH', rawBody: 'name=Form', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
      400,
      'bad_request',
    );
    await expectError(
      await api(`/api/v1/customers/${c.id}`, { key, method: 'PATCH', rawBody: '{not json', headers: { 'Content-Type': 'application/json' } }),
      400,
      'bad_request',
    );
    expect((await customerRow(c.id))!.name).toBe('Still JSON');
  });

  it('treats an empty or unchanged PATCH as a no-op', async () => {
    const { host, key } = await hostWithKey();
    const c = await createTestCustomer(host, { name: 'Quiet' });
    for (const body of [{}, { name: 'Quiet', contact_email: 'OPS@acme.example' }]) {
      const res = await api(`/api/v1/customers/${c.id}`, { key, method: 'PATCH', body });
      expect(res.status).toBe(200);
      const { data } = (await res.json()) as { data: Record<string, unknown> };
      expect(data.updated_at).toBe(new Date(c.updatedAt).toISOString());
    }
    expect(await db().select().from(activityLog).where(eq(activityLog.customerId, c.id)).all()).toHaveLength(1);
  });

  it('answers unknown API paths with a JSON 404', async () => {
    const { key } = await hostWithKey();
    await expectError(await api('/api/v1/nothing-here', { key }), 404, 'not_found');
  });
});
