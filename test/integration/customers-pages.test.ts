import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ACTIVITY_PAGE_SIZE } from '../../src/activity/service';
import { updateCustomer } from '../../src/customers/service';
import { activityLog, customers } from '../../src/db/schema';
import { staffActor } from '../../src/hosts/service';
import {
  addMember,
  createContract,
  createHost,
  createMiner,
  createSite,
  createTestCustomer,
  customerIdsIn,
  db,
  formOf,
  getPage,
  openDefaultCase,
  postForm,
  startPoolRedirect,
  unescapeAttr,
  type TestHost,
} from '../helpers/fixtures';

const UUID_PATH = /^\/admin\/customers\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function html(path: string, cookie: string, headers?: Record<string, string>) {
  const res = await getPage(path, { cookie, headers });
  expect(res.status).toBe(200);
  return res.text();
}

const customersOf = (host: TestHost) => db().select().from(customers).where(eq(customers.hostId, host.hostId)).all();

const activityOf = (host: TestHost, customerId: string) =>
  db()
    .select()
    .from(activityLog)
    .where(and(eq(activityLog.hostId, host.hostId), eq(activityLog.customerId, customerId)))
    .all();

/** The distinct page links of a given kind (`cursor` = next, `before` = previous) on a list page. */
function pageLink(page: string, kind: 'cursor' | 'before'): string | null {
  const links = new Set([...page.matchAll(/(?:href|hx-get)="(\/admin\/customers\?[^"]*)"/g)].map((m) => unescapeAttr(m[1]!)));
  const matching = [...links].filter((link) => new URL(link, 'https://x.test').searchParams.has(kind));
  expect(matching.length).toBeLessThanOrEqual(1);
  return matching[0] ?? null;
}

/** A complete, valid Add Customer form (checkboxes as booleans, see formOf). */
const validForm = (overrides: Record<string, string | boolean> = {}) =>
  formOf({
    name: 'Jane Miner',
    company_name: 'Hash Co',
    contact_email: 'Jane.Miner@Example.com',
    billing_email: '',
    phone: '+1 (512) 555-0100',
    billing_currency: '',
    notes: 'Gate code 1234',
    active: true,
    portal_access: true,
    ...overrides,
  });

// ---------------------------------------------------------------------------------------------

describe('customer list', () => {
  it('shows an empty state with a call to action for a host without customers', async () => {
    const host = await createHost();
    const page = await html('/admin/customers', host.owner.cookie);
    expect(page).toContain('0 customers');
    expect(page).toContain('No customers yet');
    expect(page).toContain('href="/admin/customers/new"');
    expect(customerIdsIn(page)).toEqual([]);
  });

  it('lists only this host’s customers, sorted by name regardless of case', async () => {
    const host = await createHost();
    const other = await createHost();
    const zeta = await createTestCustomer(host, { name: 'Zeta Mining' });
    const apple = await createTestCustomer(host, { name: 'apple hashing' });
    const banana = await createTestCustomer(host, { name: 'Banana Power' });
    const foreign = await createTestCustomer(other, { name: 'Aardvark Other Host' });

    const page = await html('/admin/customers', host.owner.cookie);
    expect(page).toContain('3 customers');
    expect(customerIdsIn(page)).toEqual([apple.id, banana.id, zeta.id]);
    expect(page).not.toContain(foreign.id);
    expect(page).not.toContain('Aardvark Other Host');
    // No pagination for a single page.
    expect(pageLink(page, 'cursor')).toBeNull();
    expect(pageLink(page, 'before')).toBeNull();
  });

  it('sorts by name descending and by creation time both ways', async () => {
    const host = await createHost();
    const first = await createTestCustomer(host, { name: 'Bravo' });
    const second = await createTestCustomer(host, { name: 'Alpha' });
    const third = await createTestCustomer(host, { name: 'Charlie' });
    const base = Date.UTC(2024, 0, 1);
    for (const [i, c] of [first, second, third].entries()) {
      await db().update(customers).set({ createdAt: base + i * 1000 }).where(eq(customers.id, c.id));
    }
    expect(customerIdsIn(await html('/admin/customers?sort=-name', host.owner.cookie))).toEqual([third.id, first.id, second.id]);
    expect(customerIdsIn(await html('/admin/customers?sort=created', host.owner.cookie))).toEqual([first.id, second.id, third.id]);
    expect(customerIdsIn(await html('/admin/customers?sort=-created', host.owner.cookie))).toEqual([third.id, second.id, first.id]);
    // An unknown sort falls back to name order instead of failing.
    const fallback = await html('/admin/customers?sort=drop-table', host.owner.cookie);
    expect(customerIdsIn(fallback)).toEqual([second.id, first.id, third.id]);
  });

  it('searches name, company, contact email and billing email, case-insensitively', async () => {
    const host = await createHost();
    const byName = await createTestCustomer(host, { name: 'Northern Lights Hashing', contact_email: 'a@one.example' });
    const byCompany = await createTestCustomer(host, { name: 'Person Two', company_name: 'Glacier Compute LLC', contact_email: 'b@two.example' });
    const byContact = await createTestCustomer(host, { name: 'Person Three', contact_email: 'treasury@volcano.example' });
    const byBilling = await createTestCustomer(host, { name: 'Person Four', contact_email: 'd@four.example', billing_email: 'ap@tundra.example' });

    const search = async (q: string) => customerIdsIn(await html(`/admin/customers?q=${encodeURIComponent(q)}`, host.owner.cookie));
    expect(await search('northern LIGHTS')).toEqual([byName.id]);
    expect(await search('glacier')).toEqual([byCompany.id]);
    expect(await search('VOLCANO.example')).toEqual([byContact.id]);
    expect(await search('tundra')).toEqual([byBilling.id]);
    expect((await search('example')).sort()).toEqual([byName.id, byCompany.id, byContact.id, byBilling.id].sort());

    const none = await html('/admin/customers?q=nothing-like-this', host.owner.cookie);
    expect(none).toContain('0 customers match');
    expect(none).toContain('No customers match');
    expect(none).not.toContain('No customers yet');
    // The search box keeps what was typed.
    expect(none).toContain('value="nothing-like-this"');
  });

  it('treats % and _ in a search as plain characters', async () => {
    const host = await createHost();
    const percent = await createTestCustomer(host, { name: '100% Uptime Mining' });
    const underscore = await createTestCustomer(host, { name: 'under_score' });
    await createTestCustomer(host, { name: 'Plain Customer' });
    await createTestCustomer(host, { name: 'underXscore' });
    expect(customerIdsIn(await html('/admin/customers?q=%25', host.owner.cookie))).toEqual([percent.id]);
    expect(customerIdsIn(await html('/admin/customers?q=_', host.owner.cookie))).toEqual([underscore.id]);
  });

  it('never matches across two fields, takes long searches, and follows edits', async () => {
    const host = await createHost();
    const longName = 'The Very Long Name Of A Mining Cooperative Registered In Two Countries';
    const customer = await createTestCustomer(host, { name: longName, company_name: 'Tail Co', contact_email: 'x@long.example' });
    const search = async (q: string) => customerIdsIn(await html(`/admin/customers?q=${encodeURIComponent(q)}`, host.owner.cookie));
    // The name ends "countries" and the company starts "tail": one field never runs into the next.
    expect(await search('countriestail')).toEqual([]);
    expect(await search(longName.toUpperCase())).toEqual([customer.id]);
    await updateCustomer(db(), host.hostId, staffActor(host.owner.session), customer.id, { company_name: 'Renamed Holdings' });
    expect(await search('renamed holdings')).toEqual([customer.id]);
    expect(await search('tail co')).toEqual([]);
  });

  it('filters by every status, with inactive > pool redirected > in default > active', async () => {
    const host = await createHost();
    const active = await createTestCustomer(host, { name: 'A Active' });
    const inactive = await createTestCustomer(host, { name: 'B Inactive', active: false });
    const inDefault = await createTestCustomer(host, { name: 'C In Default' });
    await openDefaultCase(host, inDefault.id, 'Invoice overdue');
    const redirected = await createTestCustomer(host, { name: 'D Redirected' });
    const caseId = await openDefaultCase(host, redirected.id, 'Invoice overdue 45 days');
    await startPoolRedirect(host, redirected.id, { defaultCaseId: caseId });
    // Disabled wins over everything else.
    const inactiveRedirected = await createTestCustomer(host, { name: 'E Inactive Redirected', active: false });
    await startPoolRedirect(host, inactiveRedirected.id);
    // Closed cases and ended redirects no longer count.
    const recovered = await createTestCustomer(host, { name: 'F Recovered' });
    await openDefaultCase(host, recovered.id, 'Paid late', { closed: true });
    await startPoolRedirect(host, recovered.id, { ended: true });
    const redirectEnded = await createTestCustomer(host, { name: 'G Redirect Ended' });
    await openDefaultCase(host, redirectEnded.id, 'Still overdue');
    await startPoolRedirect(host, redirectEnded.id, { ended: true });

    const byStatus = async (status: string) => customerIdsIn(await html(`/admin/customers?status=${status}`, host.owner.cookie));
    expect(await byStatus('active')).toEqual([active.id, recovered.id]);
    expect(await byStatus('inactive')).toEqual([inactive.id, inactiveRedirected.id]);
    expect(await byStatus('in_default')).toEqual([inDefault.id, redirectEnded.id]);
    expect(await byStatus('pool_redirected')).toEqual([redirected.id]);

    const all = await html('/admin/customers', host.owner.cookie);
    expect(customerIdsIn(all)).toHaveLength(7);
    for (const badge of ['badge-active', 'badge-inactive', 'badge-in_default', 'badge-pool_redirected']) expect(all).toContain(badge);

    // Status and search combine; the chosen status stays selected.
    const combined = await html('/admin/customers?status=in_default&q=ENDED', host.owner.cookie);
    expect(customerIdsIn(combined)).toEqual([redirectEnded.id]);
    expect(combined).toMatch(/<option value="in_default" selected/);
    // An unknown status shows everyone rather than failing.
    expect(customerIdsIn(await html('/admin/customers?status=bogus', host.owner.cookie))).toHaveLength(7);
  });

  it('pages through 120 customers with next and previous links (keyset cursors)', async () => {
    const host = await createHost();
    const created = [];
    for (let i = 0; i < 120; i++) {
      created.push(await createTestCustomer(host, { name: `Customer ${String(i).padStart(3, '0')}`, contact_email: `c${i}@page.example` }));
    }
    const expected = created.map((c) => c.id);

    const page1 = await html('/admin/customers', host.owner.cookie);
    expect(page1).toContain('120 customers');
    expect(customerIdsIn(page1)).toEqual(expected.slice(0, 50));
    expect(pageLink(page1, 'before')).toBeNull();
    const next1 = pageLink(page1, 'cursor');
    expect(next1).not.toBeNull();

    const page2 = await html(next1!, host.owner.cookie);
    expect(customerIdsIn(page2)).toEqual(expected.slice(50, 100));
    expect(page2).toContain('120 customers');
    const next2 = pageLink(page2, 'cursor');
    const prev2 = pageLink(page2, 'before');
    expect(next2).not.toBeNull();
    expect(prev2).not.toBeNull();

    const page3 = await html(next2!, host.owner.cookie);
    expect(customerIdsIn(page3)).toEqual(expected.slice(100, 120));
    expect(pageLink(page3, 'cursor')).toBeNull();
    const prev3 = pageLink(page3, 'before');
    expect(prev3).not.toBeNull();

    // Walking back returns exactly the pages seen going forward.
    const back2 = await html(prev3!, host.owner.cookie);
    expect(customerIdsIn(back2)).toEqual(expected.slice(50, 100));
    const back1 = await html(pageLink(back2, 'before')!, host.owner.cookie);
    expect(customerIdsIn(back1)).toEqual(expected.slice(0, 50));
    expect(pageLink(back1, 'before')).toBeNull();
    expect(pageLink(back1, 'cursor')).not.toBeNull();

    // Cursors keep the filters: a search over the same customers pages the same way.
    const filtered1 = await html('/admin/customers?q=page.example&sort=-name', host.owner.cookie);
    expect(filtered1).toContain('120 customers match');
    expect(customerIdsIn(filtered1)).toEqual([...expected].reverse().slice(0, 50));
    const filteredNext = pageLink(filtered1, 'cursor')!;
    expect(new URL(filteredNext, 'https://x.test').searchParams.get('q')).toBe('page.example');
    expect(new URL(filteredNext, 'https://x.test').searchParams.get('sort')).toBe('-name');
    expect(customerIdsIn(await html(filteredNext, host.owner.cookie))).toEqual([...expected].reverse().slice(50, 100));

    // A customer added mid-walk does not shift the next page (keyset, not offset).
    await createTestCustomer(host, { name: 'Customer 000a' });
    expect(customerIdsIn(await html(next1!, host.owner.cookie))).toEqual(expected.slice(50, 100));
  }, 60_000);

  it('refuses a forged cursor with a 422 instead of an error page', async () => {
    const host = await createHost();
    await createTestCustomer(host);
    const res = await getPage('/admin/customers?cursor=not-a-cursor', { cookie: host.owner.cookie });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('start again from the first page');
  });

  it('returns only the results fragment when htmx targets customer-results', async () => {
    const host = await createHost();
    const c = await createTestCustomer(host, { name: 'Fragment Customer' });
    const res = await getPage('/admin/customers?q=fragment', {
      cookie: host.owner.cookie,
      htmx: true,
      headers: { 'HX-Target': 'customer-results' },
    });
    expect(res.status).toBe(200);
    const fragment = await res.text();
    expect(fragment.startsWith('<div id="customer-results"')).toBe(true);
    expect(fragment).not.toContain('<html');
    expect(fragment).not.toContain('class="sidebar"');
    expect(customerIdsIn(fragment)).toEqual([c.id]);

    // htmx aimed elsewhere (or a plain request) gets the whole page.
    const whole = await getPage('/admin/customers?q=fragment', { cookie: host.owner.cookie, htmx: true, headers: { 'HX-Target': 'main' } });
    expect((await whole.text()).toLowerCase()).toContain('<!doctype html>');
  });

  it('exports the filtered list as CSV', async () => {
    const host = await createHost();
    const other = await createHost();
    await createTestCustomer(other, { name: 'Other Host Customer' });
    const a = await createTestCustomer(host, {
      name: 'Smith, "Bob"',
      company_name: 'Bob Co',
      contact_email: 'bob@csv.example',
      phone: '+1 512 555 0100',
      billing_currency: 'EUR',
    });
    const b = await createTestCustomer(host, { name: 'Alice', contact_email: 'alice@csv.example', billing_email: 'ap@csv.example', active: false });

    const res = await getPage('/admin/customers/export.csv', { cookie: host.owner.cookie });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('Content-Disposition')).toBe('attachment; filename="customers.csv"');
    const lines = (await res.text()).split('\r\n');
    expect(lines[0]).toBe(
      'id,name,company_name,contact_email,billing_email,effective_billing_email,phone,billing_currency,status,active,portal_access,created_at',
    );
    expect(lines).toHaveLength(4); // header, two rows, trailing newline
    expect(lines[3]).toBe('');
    expect(lines[1]).toBe(
      `${b.id},Alice,,alice@csv.example,ap@csv.example,ap@csv.example,,,inactive,false,true,${new Date(b.createdAt).toISOString()}`,
    );
    expect(lines[2]).toBe(
      `${a.id},"Smith, ""Bob""",Bob Co,bob@csv.example,,bob@csv.example,'+1 512 555 0100,EUR,active,true,true,${new Date(a.createdAt).toISOString()}`,
    );

    // The list's filters apply to the export.
    const filtered = await (await getPage('/admin/customers/export.csv?status=inactive', { cookie: host.owner.cookie })).text();
    expect(filtered.split('\r\n').filter(Boolean)).toHaveLength(2);
    expect(filtered).toContain(b.id);
    expect(filtered).not.toContain(a.id);
  });

  it('needs a session for the CSV export', async () => {
    const res = await getPage('/admin/customers/export.csv');
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/login?next=%2Fadmin%2Fcustomers%2Fexport.csv');
  });
});

// ---------------------------------------------------------------------------------------------

describe('Add Customer', () => {
  it('serves an empty form with both toggles on and the host default currency', async () => {
    const host = await createHost();
    const page = await html('/admin/customers/new', host.owner.cookie);
    expect(page).toContain('<form id="customer-form"');
    expect(page).toMatch(/<input[^>]*name="active"[^>]*checked/);
    expect(page).toMatch(/<input[^>]*name="portal_access"[^>]*checked/);
    expect(page).toMatch(/<option value="" selected="">Host default \(USD\)<\/option>/);
    expect(page).toContain('<option value="EUR">');
    for (const name of ['name', 'company_name', 'contact_email', 'billing_email', 'phone']) expect(page).toContain(`name="${name}"`);
    expect(page).toContain('name="notes"');
  });

  it('creates the customer and redirects to its page (303)', async () => {
    const host = await createHost();
    const res = await postForm('/admin/customers', validForm({ billing_currency: 'eur' }), { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    const location = res.headers.get('Location')!;
    expect(location).toMatch(UUID_PATH);
    const id = location.split('/').pop()!;

    const rows = await customersOf(host);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id,
      name: 'Jane Miner',
      sortName: 'jane miner',
      companyName: 'Hash Co',
      contactEmail: 'jane.miner@example.com',
      billingEmail: null,
      phone: '+1 (512) 555-0100',
      billingCurrency: 'EUR',
      notes: 'Gate code 1234',
      active: true,
      portalAccess: true,
    });

    // Creating writes the customer and one activity entry, nothing else.
    const activity = await activityOf(host, id);
    expect(activity).toHaveLength(1);
    expect(activity[0]).toMatchObject({ action: 'customer.created', actorKind: 'staff', actorId: host.owner.userId });
    expect(JSON.parse(activity[0]!.changes!)).toMatchObject({ name: [null, 'Jane Miner'], contact_email: [null, 'jane.miner@example.com'] });

    const detail = await html(location, host.owner.cookie);
    expect(detail).toContain('Jane Miner');
    expect(detail).toContain('jane.miner@example.com');
  });

  it('tells htmx to navigate to the new customer', async () => {
    const host = await createHost();
    const res = await postForm('/admin/customers', validForm(), { cookie: host.owner.cookie, htmx: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('HX-Redirect')).toMatch(UUID_PATH);
    expect(await customersOf(host)).toHaveLength(1);
  });

  it('reads absent toggles as off', async () => {
    const host = await createHost();
    const res = await postForm('/admin/customers', validForm({ active: false, portal_access: false }), { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    const [row] = await customersOf(host);
    expect(row).toMatchObject({ active: false, portalAccess: false });
    const detail = await html(res.headers.get('Location')!, host.owner.cookie);
    expect(detail).toContain('status-bar-inactive');
  });

  it('stores blank optional fields as empty and blank currency as the host default', async () => {
    const host = await createHost();
    const res = await postForm(
      '/admin/customers',
      validForm({ company_name: '   ', billing_email: '', phone: '', billing_currency: '', notes: '' }),
      { cookie: host.owner.cookie },
    );
    expect(res.status).toBe(303);
    const [row] = await customersOf(host);
    expect(row).toMatchObject({ companyName: null, billingEmail: null, phone: null, billingCurrency: null, notes: null });
    const detail = await html(res.headers.get('Location')!, host.owner.cookie);
    expect(detail).toMatch(/USD\s*<span class="muted">\(host default\)<\/span>/);
  });

  it.each([
    ['name', { name: '' }, 'Customer name is required.'],
    ['name', { name: '    ' }, 'Customer name is required.'],
    ['name', { name: 'x'.repeat(201) }, 'Use at most 200 characters.'],
    ['company_name', { company_name: 'x'.repeat(201) }, 'Use at most 200 characters.'],
    ['contact_email', { contact_email: '' }, 'Contact email is required.'],
    ['contact_email', { contact_email: 'not-an-email' }, 'Enter a valid email address'],
    ['contact_email', { contact_email: 'jane@localhost' }, 'Enter a valid email address'],
    ['billing_email', { billing_email: 'billing@' }, 'Enter a valid email address'],
    ['billing_email', { billing_email: 'two@@example.com' }, 'Enter a valid email address'],
    ['phone', { phone: 'call me maybe' }, 'Use digits, spaces and + ( ) - . only'],
    ['phone', { phone: '12' }, 'Use digits, spaces and + ( ) - . only'],
    ['phone', { phone: '+1 512 555 0100; DROP TABLE' }, 'Use digits, spaces and + ( ) - . only'],
    ['phone', { phone: '1'.repeat(41) }, 'Use at most 40 characters.'],
    ['billing_currency', { billing_currency: 'XYZ' }, 'Choose a currency from the ISO 4217 list.'],
    ['billing_currency', { billing_currency: 'EURO' }, 'Choose a currency from the ISO 4217 list.'],
    ['notes', { notes: 'n'.repeat(5001) }, 'Use at most 5000 characters.'],
  ])('refuses a bad %s (%j) with 422 and writes nothing', async (field, overrides, message) => {
    const host = await createHost();
    const res = await postForm('/admin/customers', validForm(overrides), { cookie: host.owner.cookie });
    expect(res.status).toBe(422);
    const page = await res.text();
    expect(page.toLowerCase()).toContain('<!doctype html>');
    expect(page).toContain('One field needs attention.');
    expect(page).toContain(`id="${field}-error"`);
    expect(page).toContain(message);
    expect(page).toMatch(new RegExp(`name="${field}"[^>]*aria-invalid="true"`));
    expect(await customersOf(host)).toEqual([]);
  });

  it.each(['+1 512 555 0100', '(512) 555-0100', '512.555.0100', '+44 20 7946 0958 x12', '+1 512 555 0100 ext. 7'])(
    'accepts the phone %j',
    async (phone) => {
      const host = await createHost();
      const res = await postForm('/admin/customers', validForm({ phone }), { cookie: host.owner.cookie });
      expect(res.status).toBe(303);
      expect((await customersOf(host))[0]!.phone).toBe(phone);
    },
  );

  it('re-renders just the form for htmx, keeping what was typed', async () => {
    const host = await createHost();
    const res = await postForm(
      '/admin/customers',
      validForm({ name: '', contact_email: 'nope', notes: 'keep these notes', billing_currency: 'GBP', portal_access: false }),
      { cookie: host.owner.cookie, htmx: true },
    );
    expect(res.status).toBe(422);
    const fragment = await res.text();
    expect(fragment.startsWith('<form id="customer-form"')).toBe(true);
    expect(fragment).not.toContain('<html');
    expect(fragment).toContain('2 fields need attention.');
    expect(fragment).toContain('Customer name is required.');
    expect(fragment).toContain('value="nope"');
    expect(fragment).toContain('value="Hash Co"');
    expect(fragment).toContain('>keep these notes</textarea>');
    expect(fragment).toMatch(/<option value="GBP" selected/);
    expect(fragment).toMatch(/<input[^>]*name="active"[^>]*checked/);
    expect(fragment).not.toMatch(/<input[^>]*name="portal_access"[^>]*checked/);
    expect(await customersOf(host)).toEqual([]);
  });

  it('ignores a host_id smuggled into the form', async () => {
    const host = await createHost();
    const other = await createHost();
    const res = await postForm('/admin/customers', { ...validForm(), host_id: other.hostId }, { cookie: host.owner.cookie });
    // The form mapping only reads known fields; the customer lands on the session's host.
    expect(res.status).toBe(303);
    expect(await customersOf(host)).toHaveLength(1);
    expect(await customersOf(other)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('customer detail', () => {
  it('shows the status bar, the tabs and the contact details', async () => {
    const host = await createHost();
    const c = await createTestCustomer(host, {
      name: 'Detail Customer',
      company_name: 'Detail Co',
      contact_email: 'contact@detail.example',
      phone: '+1 512 555 0199',
      billing_currency: 'CAD',
      notes: 'Prefers calls after 5pm',
    });
    const page = await html(`/admin/customers/${c.id}`, host.owner.cookie);
    expect(page).toContain('<h1>Detail Customer</h1>');
    expect(page).toContain('Detail Co');
    expect(page).toContain('status-bar-active');
    expect(page).toContain('The account is active.');
    expect(page).toContain('+1 512 555 0199');
    expect(page).toContain('CAD');
    expect(page).toContain('Prefers calls after 5pm');
    expect(page).toContain(`href="/admin/customers/${c.id}/edit"`);

    const tabs = [
      ['Overview', `/admin/customers/${c.id}`],
      ['Contracts', `/admin/customers/${c.id}/contracts`],
      ['Equipment', `/admin/customers/${c.id}/equipment`],
      ['Usage', `/admin/customers/${c.id}/usage`],
      ['Financials', `/admin/customers/${c.id}/financials`],
      ['Default status', `/admin/customers/${c.id}/default-status`],
      ['Activity', `/admin/customers/${c.id}/activity`],
      ['Legal', `/admin/customers/${c.id}/legal`],
      ['Team', `/admin/customers/${c.id}/team`],
    ] as const;
    for (const [label, href] of tabs) expect(page).toContain(`href="${href}"`);
    expect(page).toMatch(new RegExp(`href="/admin/customers/${c.id}" aria-current="page">Overview<`));

    for (const [label, href] of tabs.slice(1)) {
      const tabPage = await html(href, host.owner.cookie);
      expect(tabPage).toMatch(new RegExp(`href="${href}" aria-current="page">${label}<`));
      expect(tabPage).toContain('status-bar-active');
      expect(tabPage).toContain('<h1>Detail Customer</h1>');
    }
  });

  it('answers 404 for an unknown tab or customer', async () => {
    const host = await createHost();
    const c = await createTestCustomer(host);
    expect((await getPage(`/admin/customers/${c.id}/secrets`, { cookie: host.owner.cookie })).status).toBe(404);
    expect((await getPage(`/admin/customers/${crypto.randomUUID()}`, { cookie: host.owner.cookie })).status).toBe(404);
    expect((await getPage(`/admin/customers/${crypto.randomUUID()}/edit`, { cookie: host.owner.cookie })).status).toBe(404);
    expect((await getPage('/admin/customers/not-a-uuid/activity', { cookie: host.owner.cookie })).status).toBe(404);
  });

  it('shows each status in the status bar, with the default reason while it matters', async () => {
    const host = await createHost();
    const inactive = await createTestCustomer(host, { active: false });
    await openDefaultCase(host, inactive.id, 'Hidden reason while disabled');
    const inDefault = await createTestCustomer(host);
    await openDefaultCase(host, inDefault.id, 'Invoice INV-0042 is 31 days overdue');
    const redirected = await createTestCustomer(host);
    const caseId = await openDefaultCase(host, redirected.id, 'Invoice INV-0043 is 60 days overdue');
    await startPoolRedirect(host, redirected.id, { defaultCaseId: caseId });

    const inactivePage = await html(`/admin/customers/${inactive.id}`, host.owner.cookie);
    expect(inactivePage).toContain('status-bar-inactive');
    expect(inactivePage).toContain('Inactive');
    expect(inactivePage).not.toContain('Hidden reason while disabled');

    const defaultPage = await html(`/admin/customers/${inDefault.id}`, host.owner.cookie);
    expect(defaultPage).toContain('status-bar-in_default');
    expect(defaultPage).toContain('In Default');
    expect(defaultPage).toContain('Reason: Invoice INV-0042 is 31 days overdue');

    const redirectedPage = await html(`/admin/customers/${redirected.id}`, host.owner.cookie);
    expect(redirectedPage).toContain('status-bar-pool_redirected');
    expect(redirectedPage).toContain('Pool Redirected');
    expect(redirectedPage).toContain('Reason: Invoice INV-0043 is 60 days overdue');
  });

  it('counts active contracts and assigned units on the overview cards', async () => {
    const host = await createHost();
    const c = await createTestCustomer(host);
    const someoneElse = await createTestCustomer(host, { name: 'Someone Else' });
    await createContract(host, c.id, { kind: 'hosted', status: 'active' });
    await createContract(host, c.id, { kind: 'lease', status: 'active' });
    await createContract(host, c.id, { kind: 'hosted', status: 'draft' });
    await createContract(host, c.id, { kind: 'hosted', status: 'terminated' });
    await createContract(host, someoneElse.id, { status: 'active' });
    for (let i = 0; i < 3; i++) await createMiner(host, { customerId: c.id, status: 'assigned' });
    await createMiner(host, { customerId: c.id, status: 'retired' });
    await createMiner(host, { customerId: someoneElse.id, status: 'assigned' });
    await createMiner(host, { status: 'unassigned' });

    const page = await html(`/admin/customers/${c.id}`, host.owner.cookie);
    expect(page).toMatch(/data-testid="active-contracts">2</);
    expect(page).toMatch(/data-testid="assigned-units">3</);
    expect(page).not.toContain('data-testid="om-sites"');

    const empty = await html(`/admin/customers/${(await createTestCustomer(host)).id}`, host.owner.cookie);
    expect(empty).toMatch(/data-testid="active-contracts">0</);
    expect(empty).toMatch(/data-testid="assigned-units">0</);
  });

  it('shows the O&M sites card only while an O&M contract is active', async () => {
    const host = await createHost();
    const c = await createTestCustomer(host);
    const north = await createSite(host, 'North Field');
    const south = await createSite(host, 'South Field');
    const unrelated = await createSite(host, 'Unrelated Yard');

    const endedOm = await createContract(host, c.id, { kind: 'om', status: 'terminated', siteIds: [unrelated] });
    expect(endedOm).toBeTruthy();
    let page = await html(`/admin/customers/${c.id}`, host.owner.cookie);
    expect(page).not.toContain('data-testid="om-sites"');
    expect(page).not.toContain('Unrelated Yard');

    await createContract(host, c.id, { kind: 'om', status: 'active', siteIds: [south, north] });
    // A second active O&M contract on an overlapping site counts the site once.
    await createContract(host, c.id, { kind: 'om', status: 'active', siteIds: [north] });
    page = await html(`/admin/customers/${c.id}`, host.owner.cookie);
    expect(page).toMatch(/data-testid="om-sites">2</);
    expect(page).toContain('North Field, South Field');
    expect(page).not.toContain('Unrelated Yard');
    expect(page).toMatch(/data-testid="active-contracts">2</);
  });

  it('shows the contact email as the effective billing email when none is set', async () => {
    const host = await createHost();
    const plain = await createTestCustomer(host, { contact_email: 'ops@plain.example' });
    const page = await html(`/admin/customers/${plain.id}`, host.owner.cookie);
    expect(page).toMatch(/data-testid="effective-billing-email">ops@plain\.example</);
    expect(page).toContain('no separate billing email');

    const billed = await createTestCustomer(host, { contact_email: 'ops@billed.example', billing_email: 'ap@billed.example' });
    const billedPage = await html(`/admin/customers/${billed.id}`, host.owner.cookie);
    expect(billedPage).toMatch(/data-testid="effective-billing-email">ap@billed\.example</);
    expect(billedPage).not.toContain('no separate billing email');
  });

  it('is readable by every staff role', async () => {
    const host = await createHost();
    const c = await createTestCustomer(host, { name: 'Visible To All' });
    for (const role of ['admin', 'staff'] as const) {
      const member = await addMember(host, role);
      expect(await html(`/admin/customers/${c.id}`, member.cookie)).toContain('Visible To All');
      expect(customerIdsIn(await html('/admin/customers', member.cookie))).toEqual([c.id]);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('edit customer', () => {
  it('fills the form with the stored values', async () => {
    const host = await createHost();
    const c = await createTestCustomer(host, {
      name: 'Edit Me',
      company_name: 'Edit Co',
      contact_email: 'edit@me.example',
      billing_email: 'ap@me.example',
      phone: '512 555 0100',
      billing_currency: 'EUR',
      notes: 'Line one',
      portal_access: false,
    });
    const page = await html(`/admin/customers/${c.id}/edit`, host.owner.cookie);
    expect(page).toContain(`action="/admin/customers/${c.id}"`);
    expect(page).toContain('value="Edit Me"');
    expect(page).toContain('value="Edit Co"');
    expect(page).toContain('value="edit@me.example"');
    expect(page).toContain('value="ap@me.example"');
    expect(page).toContain('value="512 555 0100"');
    expect(page).toMatch(/<option value="EUR" selected/);
    expect(page).toContain('>Line one</textarea>');
    expect(page).toMatch(/<input[^>]*name="active"[^>]*checked/);
    expect(page).not.toMatch(/<input[^>]*name="portal_access"[^>]*checked/);
  });

  it('saves changes, records old → new, and redirects to the customer (303)', async () => {
    const host = await createHost();
    const c = await createTestCustomer(host, { name: 'Before Name', contact_email: 'before@x.example', billing_email: 'ap@x.example', phone: '512 555 0100' });
    const res = await postForm(
      `/admin/customers/${c.id}`,
      validForm({
        name: 'After Name',
        company_name: '',
        contact_email: 'AFTER@x.example',
        billing_email: '',
        phone: '512 555 0100',
        billing_currency: 'gbp',
        notes: '',
        active: false,
        portal_access: true,
      }),
      { cookie: host.owner.cookie },
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/admin/customers/${c.id}`);

    const row = await db().select().from(customers).where(eq(customers.id, c.id)).get();
    expect(row).toMatchObject({
      name: 'After Name',
      sortName: 'after name',
      contactEmail: 'after@x.example',
      billingEmail: null,
      phone: '512 555 0100',
      billingCurrency: 'GBP',
      active: false,
      portalAccess: true,
    });
    expect(row!.updatedAt).toBeGreaterThanOrEqual(c.updatedAt);

    const entries = (await activityOf(host, c.id)).filter((e) => e.action === 'customer.updated');
    expect(entries).toHaveLength(1);
    expect(JSON.parse(entries[0]!.changes!)).toEqual({
      name: ['Before Name', 'After Name'],
      contact_email: ['before@x.example', 'after@x.example'],
      billing_email: ['ap@x.example', null],
      billing_currency: [null, 'GBP'],
      active: [true, false],
    });

    const detail = await html(`/admin/customers/${c.id}`, host.owner.cookie);
    expect(detail).toContain('<h1>After Name</h1>');
    expect(detail).toContain('status-bar-inactive');
    expect(detail).toMatch(/data-testid="effective-billing-email">after@x\.example</);
  });

  it('tells htmx to navigate back to the customer after saving', async () => {
    const host = await createHost();
    const c = await createTestCustomer(host);
    const res = await postForm(`/admin/customers/${c.id}`, validForm({ name: 'Htmx Saved' }), { cookie: host.owner.cookie, htmx: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('HX-Redirect')).toBe(`/admin/customers/${c.id}`);
    expect((await db().select().from(customers).where(eq(customers.id, c.id)).get())!.name).toBe('Htmx Saved');
  });

  it.each([
    ['name', { name: '' }, 'Customer name is required.'],
    ['contact_email', { contact_email: 'broken@' }, 'Enter a valid email address'],
    ['billing_email', { billing_email: 'also broken' }, 'Enter a valid email address'],
    ['phone', { phone: 'phone?' }, 'Use digits, spaces and + ( ) - . only'],
    ['billing_currency', { billing_currency: 'BTC' }, 'Choose a currency from the ISO 4217 list.'],
  ])('applies the same rules as Add Customer: bad %s', async (field, overrides, message) => {
    const host = await createHost();
    const c = await createTestCustomer(host, { name: 'Unchanged' });
    const res = await postForm(`/admin/customers/${c.id}`, validForm(overrides), { cookie: host.owner.cookie });
    expect(res.status).toBe(422);
    const page = await res.text();
    expect(page).toContain(`id="${field}-error"`);
    expect(page).toContain(message);
    expect(page).toContain('<h1>Edit Unchanged</h1>');
    const row = await db().select().from(customers).where(eq(customers.id, c.id)).get();
    expect(row).toMatchObject({ name: 'Unchanged', updatedAt: c.updatedAt });
    expect(await activityOf(host, c.id)).toHaveLength(1);

    const htmx = await postForm(`/admin/customers/${c.id}`, validForm(overrides), { cookie: host.owner.cookie, htmx: true });
    expect(htmx.status).toBe(422);
    const fragment = await htmx.text();
    expect(fragment.startsWith('<form id="customer-form"')).toBe(true);
    expect(fragment).toContain(message);
  });

  it('writes no activity for an edit that changes nothing', async () => {
    const host = await createHost();
    const c = await createTestCustomer(host, {
      name: 'Same Same',
      company_name: 'Same Co',
      contact_email: 'same@same.example',
      phone: '512 555 0100',
      billing_currency: 'EUR',
      notes: 'Same notes',
    });
    const res = await postForm(
      `/admin/customers/${c.id}`,
      formOf({
        name: '  Same Same  ',
        company_name: 'Same Co',
        contact_email: 'SAME@same.example',
        billing_email: '',
        phone: '512 555 0100',
        billing_currency: 'eur',
        notes: 'Same notes',
        active: true,
        portal_access: true,
      }),
      { cookie: host.owner.cookie },
    );
    expect(res.status).toBe(303);
    expect(await activityOf(host, c.id)).toHaveLength(1);
    const row = await db().select().from(customers).where(eq(customers.id, c.id)).get();
    expect(row!.updatedAt).toBe(c.updatedAt);
  });
});

// ---------------------------------------------------------------------------------------------

describe('activity tab', () => {
  it('shows an empty state when nothing was recorded', async () => {
    const host = await createHost();
    const c = await createTestCustomer(host);
    await db().delete(activityLog).where(eq(activityLog.customerId, c.id));
    const page = await html(`/admin/customers/${c.id}/activity`, host.owner.cookie);
    expect(page).toContain('No activity yet');
  });

  it('lists changes newest first with who did them and old → new values', async () => {
    const host = await createHost();
    const c = await createTestCustomer(host, { name: 'Original Name', phone: '512 555 0100' });
    const ok1 = await postForm(`/admin/customers/${c.id}`, validForm({ name: 'Renamed Customer', contact_email: 'ops@acme.example', company_name: '', notes: '', phone: '512 555 0100' }), {
      cookie: host.owner.cookie,
    });
    expect(ok1.status).toBe(303);
    const admin = await addMember(host, 'admin');
    const ok2 = await postForm(
      `/admin/customers/${c.id}`,
      validForm({ name: 'Renamed Customer', contact_email: 'ops@acme.example', company_name: '', notes: '', phone: '512 555 0199', portal_access: false }),
      { cookie: admin.cookie },
    );
    expect(ok2.status).toBe(303);

    const page = await html(`/admin/customers/${c.id}/activity`, host.owner.cookie);
    expect(page).toMatch(new RegExp(`href="/admin/customers/${c.id}/activity" aria-current="page"`));
    const list = page.slice(page.indexOf('data-testid="activity"'));
    const entries = list.split('<li class="activity-entry">').slice(1);
    expect(entries).toHaveLength(3);

    // Newest: the admin's phone and portal change.
    expect(entries[0]).toContain(admin.session.user.name);
    expect(entries[0]).toContain('changed the customer');
    expect(entries[0]).toMatch(/<td>Phone<\/td><td>512 555 0100<\/td><td>512 555 0199<\/td>/);
    expect(entries[0]).toMatch(/<td>Portal Access<\/td><td>On<\/td><td>Off<\/td>/);
    // Then the owner's rename (the blank-but-unchanged fields are not listed).
    expect(entries[1]).toContain(host.owner.session.user.name);
    expect(entries[1]).toMatch(/<td>Customer name<\/td><td>Original Name<\/td><td>Renamed Customer<\/td>/);
    expect(entries[1]).not.toContain('<td>Company name</td>');
    // Oldest: creation, from empty to the first values.
    expect(entries[2]).toContain('created the customer');
    expect(entries[2]).toMatch(/<td>Customer name<\/td><td><span class="muted">\(empty\)<\/span><\/td><td>Original Name<\/td>/);
  });

  it('pages older activity', async () => {
    const host = await createHost();
    const c = await createTestCustomer(host, { name: 'Busy 0' });
    const actor = staffActor(host.owner.session);
    const updates = ACTIVITY_PAGE_SIZE + 2;
    for (let i = 1; i <= updates; i++) await updateCustomer(db(), host.hostId, actor, c.id, { name: `Busy ${i}` });

    const first = await html(`/admin/customers/${c.id}/activity`, host.owner.cookie);
    const count = (page: string) => page.split('<li class="activity-entry">').length - 1;
    expect(count(first)).toBe(ACTIVITY_PAGE_SIZE);
    expect(first).toContain(`<td>Busy ${updates - 1}</td><td>Busy ${updates}</td>`);
    const older = first.match(new RegExp(`href="(/admin/customers/${c.id}/activity\\?before=\\d+)"`));
    expect(older).not.toBeNull();

    const second = await html(unescapeAttr(older![1]!), host.owner.cookie);
    expect(count(second)).toBe(updates + 1 - ACTIVITY_PAGE_SIZE);
    expect(second).toContain('created the customer');
    expect(second).not.toContain(`<td>Busy ${updates - 1}</td><td>Busy ${updates}</td>`);
    expect(second).not.toMatch(/activity\?before=\d+/);
  }, 30_000);
});
