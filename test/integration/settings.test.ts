import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activityLog, apiKeys, hosts } from '../../src/db/schema';
import { API_KEY_PREFIX, portalSlugTaken } from '../../src/hosts/service';
import { sha256Hex } from '../../src/lib/ids';
import { addMember, api, createApiKeyFor, createHost, db, getPage, postForm, uniqueId, type TestHost } from '../helpers/fixtures';

const hostRow = (host: TestHost) => db().select().from(hosts).where(eq(hosts.id, host.hostId)).get();
const keysOf = (host: TestHost) => db().select().from(apiKeys).where(eq(apiKeys.hostId, host.hostId)).all();

const generalForm = (host: TestHost, overrides: Record<string, string> = {}) => ({
  name: 'Renamed Host',
  main_slug: host.slug,
  default_currency: 'USD',
  timezone: 'UTC',
  ...overrides,
});

// ---------------------------------------------------------------------------------------------

describe('general settings', () => {
  it('shows the owner an editable form with the current values', async () => {
    const host = await createHost('Settings Host');
    const res = await getPage('/admin/settings', { cookie: host.owner.cookie });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<form id="settings-form"');
    expect(page).toContain('value="Settings Host"');
    expect(page).toContain(`value="${host.slug}"`);
    expect(page).toMatch(/<option value="USD" selected/);
    expect(page).toMatch(/<option value="UTC" selected/);
    expect(page).not.toMatch(/<fieldset disabled/);
    expect(page).not.toContain('Only the owner can change these settings.');
  });

  it('lets the owner change name, slug, currency and timezone', async () => {
    const host = await createHost();
    const slug = `renamed-${uniqueId()}`;
    const res = await postForm('/admin/settings', generalForm(host, { main_slug: slug, default_currency: 'eur', timezone: 'America/Chicago' }), {
      cookie: host.owner.cookie,
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/admin/settings?saved=1');
    expect(await hostRow(host)).toMatchObject({ name: 'Renamed Host', mainSlug: slug, defaultCurrency: 'EUR', timezone: 'America/Chicago' });

    const page = await (await getPage('/admin/settings?saved=1', { cookie: host.owner.cookie })).text();
    expect(page).toContain('Settings saved.');
    expect(page).toContain('Renamed Host');
    // The new default currency is what a new customer form offers.
    const form = await (await getPage('/admin/customers/new', { cookie: host.owner.cookie })).text();
    expect(form).toContain('Host default (EUR)');
  });

  it('tells htmx to navigate after saving', async () => {
    const host = await createHost();
    const res = await postForm('/admin/settings', generalForm(host, { name: 'Htmx Host' }), { cookie: host.owner.cookie, htmx: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('HX-Redirect')).toBe('/admin/settings?saved=1');
    expect((await hostRow(host))!.name).toBe('Htmx Host');
  });

  it('keeps the slug when it is unchanged', async () => {
    const host = await createHost();
    const res = await postForm('/admin/settings', generalForm(host), { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    expect((await hostRow(host))!.mainSlug).toBe(host.slug);
  });

  it.each([
    ['main_slug', { main_slug: 'admin' }, 'That word is reserved; choose another slug.'],
    ['main_slug', { main_slug: 'Bad Slug!' }, 'Use lowercase letters, digits and hyphens only'],
    ['main_slug', { main_slug: '-edge' }, 'Start and end with a letter or digit.'],
    ['main_slug', { main_slug: '' }, 'Slug is required.'],
    ['name', { name: '' }, 'Organisation name is required.'],
    ['default_currency', { default_currency: 'XYZ' }, 'Choose a currency from the ISO 4217 list.'],
    ['timezone', { timezone: 'Mars/Olympus_Mons' }, 'Choose a timezone from the list.'],
  ])('refuses a bad %s (%j) with 422 and changes nothing', async (field, overrides, message) => {
    const host = await createHost('Unchanged Host');
    const before = await hostRow(host);
    const res = await postForm('/admin/settings', generalForm(host, overrides), { cookie: host.owner.cookie });
    expect(res.status).toBe(422);
    const page = await res.text();
    expect(page).toContain(`id="${field}-error"`);
    expect(page).toContain(message);
    expect(await hostRow(host)).toEqual(before);

    const htmx = await postForm('/admin/settings', generalForm(host, overrides), { cookie: host.owner.cookie, htmx: true });
    expect(htmx.status).toBe(422);
    expect((await htmx.text()).startsWith('<form id="settings-form"')).toBe(true);
  });

  it('refuses a slug another host already has', async () => {
    const host = await createHost();
    const other = await createHost();
    const res = await postForm('/admin/settings', generalForm(host, { main_slug: other.slug }), { cookie: host.owner.cookie });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('That slug is taken; choose another.');
    expect((await hostRow(host))!.mainSlug).toBe(host.slug);
    expect((await hostRow(other))!.mainSlug).toBe(other.slug);
  });

  it.each(['admin', 'staff'] as const)('shows %s a read-only form and refuses their changes (403)', async (role) => {
    const host = await createHost('Owner Only Host');
    const member = await addMember(host, role);
    const page = await (await getPage('/admin/settings', { cookie: member.cookie })).text();
    expect(page).toContain('Only the owner can change these settings.');
    expect(page).toMatch(/<fieldset disabled/);

    const before = await hostRow(host);
    const res = await postForm('/admin/settings', generalForm(host, { name: 'Taken Over' }), { cookie: member.cookie });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Only the owner can change these settings.');
    expect(await hostRow(host)).toEqual(before);
  });
});

// ---------------------------------------------------------------------------------------------

describe('API keys', () => {
  it('creates a key, shows it once and stores only its SHA-256', async () => {
    const host = await createHost();
    const res = await postForm('/admin/settings/api-keys', { name: 'Billing sync' }, { cookie: host.owner.cookie });
    expect(res.status).toBe(201);
    const page = await res.text();
    const secret = page.match(/data-testid="new-api-key">([^<]+)</)?.[1];
    expect(secret).toBeDefined();
    expect(secret!.startsWith(API_KEY_PREFIX)).toBe(true);
    expect(secret!.length).toBeGreaterThanOrEqual(API_KEY_PREFIX.length + 32);
    expect(page).toContain('it will not be shown again');

    const rows = await keysOf(host);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({ name: 'Billing sync', createdBy: host.owner.userId, revokedAt: null });
    expect(row.keyHash).toBe(await sha256Hex(secret!));
    expect(row.prefix).toBe(secret!.slice(0, API_KEY_PREFIX.length + 4));
    // The secret itself is in no column.
    for (const value of Object.values(row)) expect(String(value)).not.toContain(secret!.slice(API_KEY_PREFIX.length));

    // It works on the API at once.
    expect((await api('/api/v1/customers', { key: secret })).status).toBe(200);

    // Listing later shows the name and prefix, never the key again.
    const list = await (await getPage('/admin/settings/api-keys', { cookie: host.owner.cookie })).text();
    expect(list).toContain('Billing sync');
    expect(list).toContain(`${row.prefix}…`);
    expect(list).not.toContain(secret!);
    expect(list).not.toContain('data-testid="new-api-key"');
  });

  it('lists the host’s keys, newest first, and no other host’s', async () => {
    const host = await createHost();
    const other = await createHost();
    await createApiKeyFor(other, 'Other host key');
    await createApiKeyFor(host, 'First key');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await createApiKeyFor(host, 'Second key');
    const page = await (await getPage('/admin/settings/api-keys', { cookie: host.owner.cookie })).text();
    expect(page).toContain('First key');
    expect(page).toContain('Second key');
    expect(page.indexOf('Second key')).toBeLessThan(page.indexOf('First key'));
    expect(page).not.toContain('Other host key');
  });

  it('shows an empty state before any key exists', async () => {
    const host = await createHost();
    const page = await (await getPage('/admin/settings/api-keys', { cookie: host.owner.cookie })).text();
    expect(page).toContain('No API keys yet');
  });

  it('requires a key name', async () => {
    const host = await createHost();
    const res = await postForm('/admin/settings/api-keys', { name: '  ' }, { cookie: host.owner.cookie });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('Key name is required.');
    expect(await keysOf(host)).toEqual([]);
  });

  it('revokes a key: the API then answers 401', async () => {
    const host = await createHost();
    const secret = await createApiKeyFor(host, 'Doomed key');
    expect((await api('/api/v1/customers', { key: secret })).status).toBe(200);
    const [row] = await keysOf(host);

    const res = await postForm(`/admin/settings/api-keys/${row!.id}/revoke`, {}, { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/admin/settings/api-keys');
    expect((await keysOf(host))[0]!.revokedAt).not.toBeNull();
    expect((await api('/api/v1/customers', { key: secret })).status).toBe(401);

    const page = await (await getPage('/admin/settings/api-keys', { cookie: host.owner.cookie })).text();
    expect(page).toContain('Revoked');
    expect(page).not.toContain(`/admin/settings/api-keys/${row!.id}/revoke`);

    // Revoking again finds nothing to revoke.
    expect((await postForm(`/admin/settings/api-keys/${row!.id}/revoke`, {}, { cookie: host.owner.cookie })).status).toBe(404);
  });

  it('lets admins manage keys', async () => {
    const host = await createHost();
    const admin = await addMember(host, 'admin');
    const res = await postForm('/admin/settings/api-keys', { name: 'Admin key' }, { cookie: admin.cookie });
    expect(res.status).toBe(201);
    const [row] = await keysOf(host);
    expect(row).toMatchObject({ name: 'Admin key', createdBy: admin.userId });
    expect((await postForm(`/admin/settings/api-keys/${row!.id}/revoke`, {}, { cookie: admin.cookie })).status).toBe(303);
  });

  it('does not let staff create or revoke keys', async () => {
    const host = await createHost();
    const staff = await addMember(host, 'staff');
    const page = await (await getPage('/admin/settings/api-keys', { cookie: staff.cookie })).text();
    expect(page).not.toContain('Create API key');

    const res = await postForm('/admin/settings/api-keys', { name: 'Sneaky key' }, { cookie: staff.cookie });
    expect(res.status).toBe(403);
    expect(await keysOf(host)).toEqual([]);

    const secret = await createApiKeyFor(host, 'Owner key');
    const [row] = await keysOf(host);
    expect((await postForm(`/admin/settings/api-keys/${row!.id}/revoke`, {}, { cookie: staff.cookie })).status).toBe(403);
    expect((await keysOf(host))[0]!.revokedAt).toBeNull();
    expect((await api('/api/v1/customers', { key: secret })).status).toBe(200);
  });

  it('cannot revoke another host’s key', async () => {
    const host = await createHost();
    const other = await createHost();
    const secret = await createApiKeyFor(other, 'Their key');
    const [theirs] = await keysOf(other);
    const res = await postForm(`/admin/settings/api-keys/${theirs!.id}/revoke`, {}, { cookie: host.owner.cookie });
    expect(res.status).toBe(404);
    expect((await keysOf(other))[0]!.revokedAt).toBeNull();
    expect((await api('/api/v1/customers', { key: secret })).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------

describe('general settings: host slug', () => {
  const slugEntries = async (host: TestHost) =>
    (await db().select().from(activityLog).where(and(eq(activityLog.hostId, host.hostId), eq(activityLog.action, 'host.settings_updated'))).all()).map(
      (entry) => JSON.parse(entry.changes!) as Record<string, unknown>,
    );

  it('has none at first, and says what that means', async () => {
    const host = await createHost();
    expect((await hostRow(host))!.hostSlug).toBeNull();
    const page = await (await getPage('/admin/settings', { cookie: host.owner.cookie })).text();
    expect(page).toContain('id="f-host_slug" name="host_slug" type="text" value=""');
    expect(page).toContain('No host slug yet');
    expect(page).not.toContain('/auth</code>');
  });

  it('lets the owner set it, logs it and shows the branded sign-in URL', async () => {
    const host = await createHost();
    const slug = `brand-${uniqueId()}`;
    const res = await postForm('/admin/settings', generalForm(host, { name: 'Test Host', host_slug: `  ${slug}  ` }), { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    expect((await hostRow(host))!.hostSlug).toBe(slug);
    expect(await slugEntries(host)).toEqual([{ hostSlug: [null, slug] }]);

    const page = await (await getPage('/admin/settings?saved=1', { cookie: host.owner.cookie })).text();
    expect(page).toContain(`value="${slug}"`);
    expect(page).toContain(`<a href="https://hashyard.test/host/${slug}/auth"><code>https://hashyard.test/host/${slug}/auth</code></a>`);
    expect(page).not.toContain('No host slug yet');
  });

  it('clears it when blank, and leaves it alone when the field is absent', async () => {
    const host = await createHost();
    const slug = `clear-${uniqueId()}`;
    expect((await postForm('/admin/settings', generalForm(host, { host_slug: slug }), { cookie: host.owner.cookie })).status).toBe(303);
    expect((await postForm('/admin/settings', generalForm(host, { name: 'Renamed again' }), { cookie: host.owner.cookie })).status).toBe(303);
    expect((await hostRow(host))!.hostSlug).toBe(slug);
    expect((await postForm('/admin/settings', generalForm(host, { host_slug: '   ' }), { cookie: host.owner.cookie })).status).toBe(303);
    expect((await hostRow(host))!.hostSlug).toBeNull();
  });

  it('may equal its own main slug', async () => {
    const host = await createHost();
    expect((await postForm('/admin/settings', generalForm(host, { host_slug: host.slug }), { cookie: host.owner.cookie })).status).toBe(303);
    expect((await hostRow(host))!.hostSlug).toBe(host.slug);
  });

  it.each([
    [{ host_slug: 'portal' }, 'That word is reserved; choose another slug.'],
    [{ host_slug: 'Texas Mine' }, 'Use lowercase letters, digits and hyphens only'],
    [{ host_slug: 'ab' }, 'Use at least 3 characters.'],
    [{ host_slug: 'mine-' }, 'Start and end with a letter or digit.'],
    [{ host_slug: '<b>x</b>' }, 'Use lowercase letters, digits and hyphens only'],
  ])('refuses a bad host slug (%j) with 422 and changes nothing', async (overrides, message) => {
    const host = await createHost();
    const before = await hostRow(host);
    const res = await postForm('/admin/settings', generalForm(host, overrides), { cookie: host.owner.cookie });
    expect(res.status).toBe(422);
    const page = await res.text();
    expect(page).toContain('id="host_slug-error"');
    expect(page).toContain(message);
    expect(page).not.toContain('<b>x</b>');
    expect(await hostRow(host)).toEqual(before);
  });

  it("refuses a host slug that is another host's main slug or host slug", async () => {
    const host = await createHost();
    const other = await createHost();
    const otherHostSlug = `other-${uniqueId()}`;
    expect((await postForm('/admin/settings', generalForm(other, { host_slug: otherHostSlug }), { cookie: other.owner.cookie })).status).toBe(303);

    for (const taken of [other.slug, otherHostSlug]) {
      const res = await postForm('/admin/settings', generalForm(host, { host_slug: taken }), { cookie: host.owner.cookie });
      expect(res.status).toBe(422);
      const page = await res.text();
      expect(page).toContain('id="host_slug-error"');
      expect(page).toContain('That slug is taken; choose another.');
      expect((await hostRow(host))!.hostSlug).toBeNull();
    }
  });

  it("refuses a main slug that is another host's host slug", async () => {
    const host = await createHost();
    const other = await createHost();
    const otherHostSlug = `brand-${uniqueId()}`;
    expect((await postForm('/admin/settings', generalForm(other, { host_slug: otherHostSlug }), { cookie: other.owner.cookie })).status).toBe(303);

    const res = await postForm('/admin/settings', generalForm(host, { main_slug: otherHostSlug }), { cookie: host.owner.cookie });
    expect(res.status).toBe(422);
    const page = await res.text();
    expect(page).toContain('id="main_slug-error"');
    expect(page).toContain('That slug is taken; choose another.');
    expect((await hostRow(host))!.mainSlug).toBe(host.slug);
  });

  it("refuses a sign-up whose main slug is another host's host slug", async () => {
    const other = await createHost();
    const otherHostSlug = `signup-${uniqueId()}`;
    expect((await postForm('/admin/settings', generalForm(other, { host_slug: otherHostSlug }), { cookie: other.owner.cookie })).status).toBe(303);
    const res = await postForm(
      '/signup',
      { organisation_name: 'Copycat', main_slug: otherHostSlug, owner_name: 'Copy Cat', email: `copy-${uniqueId()}@example.com`, password: 'long enough password' },
      { headers: { 'CF-Connecting-IP': `signup-${uniqueId()}` } },
    );
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('That slug is taken; choose another.');
    expect(await db().select().from(hosts).where(eq(hosts.mainSlug, otherHostSlug)).get()).toBeUndefined();
  });

  it('answers portalSlugTaken across both columns, except for the asking host', async () => {
    const host = await createHost();
    const hostSlug = `pst-${uniqueId()}`;
    expect((await postForm('/admin/settings', generalForm(host, { host_slug: hostSlug }), { cookie: host.owner.cookie })).status).toBe(303);
    const other = await createHost();
    expect(await portalSlugTaken(db(), host.slug, other.hostId)).toBe(true);
    expect(await portalSlugTaken(db(), hostSlug, other.hostId)).toBe(true);
    expect(await portalSlugTaken(db(), hostSlug, null)).toBe(true);
    expect(await portalSlugTaken(db(), host.slug, host.hostId)).toBe(false);
    expect(await portalSlugTaken(db(), hostSlug, host.hostId)).toBe(false);
    expect(await portalSlugTaken(db(), `free-${uniqueId()}`, null)).toBe(false);
  });

  it.each(['admin', 'staff'] as const)('refuses a host slug change by %s (403)', async (role) => {
    const host = await createHost();
    const member = await addMember(host, role);
    const res = await postForm('/admin/settings', generalForm(host, { name: 'Test Host', host_slug: `nope-${uniqueId()}` }), { cookie: member.cookie });
    expect(res.status).toBe(403);
    expect((await hostRow(host))!.hostSlug).toBeNull();
  });
});
