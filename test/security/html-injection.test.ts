import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { updateCustomer } from '../../src/customers/service';
import { staffActor } from '../../src/hosts/service';
import {
  addMember,
  api,
  createApiKeyFor,
  createContract,
  createHost,
  createSite,
  createTestCustomer,
  db,
  formOf,
  getPage,
  openDefaultCase,
  ORIGIN,
  postForm,
  uniqueId,
} from '../helpers/fixtures';

const PAYLOADS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  '</textarea><script>alert(1)</script>',
  '</title><script>alert(1)</script>',
];

/** What the payload must look like in HTML text or a quoted attribute value. */
const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** The payload appears, escaped, and never as markup; the only script is the vendored htmx. */
function expectEscaped(html: string, value: string, where: string) {
  expect(html, `${where}: raw markup`).not.toContain(value);
  expect(html, `${where}: escaped text`).toContain(escapeHtml(value));
  expectNoInjectedMarkup(html, where);
}

function expectNoInjectedMarkup(html: string, where: string) {
  expect(html, `${where}: injected tags`).not.toMatch(/<(img|svg|iframe)\b/i);
  const scripts = [...html.matchAll(/<script\b[^>]*>/gi)].map((m) => m[0]);
  for (const tag of scripts) expect(tag, `${where}: inline script`).toMatch(/^<script src="\/vendor\//);
  // Attribute names only: quoted values are blanked first (hono escapes quotes inside them).
  for (const tag of html.match(/<[a-z][^>]*>/gi) ?? []) {
    expect(tag.replace(/"[^"]*"/g, '""'), `${where}: inline handler`).not.toMatch(/\son[a-z]+\s*=/i);
  }
}

async function page(path: string, cookie: string, headers?: Record<string, string>) {
  const res = await getPage(path, { cookie, headers });
  expect(res.status, path).toBe(200);
  return res.text();
}

describe.each(PAYLOADS)('the payload %j', (payload) => {
  it('is escaped wherever a customer’s name, company and notes are shown', async () => {
    const host = await createHost();
    const name = `name:${payload}`;
    const company = `company:${payload}`;
    const notes = `notes:${payload}\nsecond line`;
    const res = await postForm(
      '/admin/customers',
      formOf({ name, company_name: company, contact_email: 'xss@example.com', notes, active: true, portal_access: true }),
      { cookie: host.owner.cookie },
    );
    expect(res.status).toBe(303);
    const detailPath = res.headers.get('Location')!;
    const id = detailPath.split('/').pop()!;
    // A rename, so the activity tab shows the payload as both old and new value.
    const renamed = `renamed:${payload}`;
    await updateCustomer(db(), host.hostId, staffActor(host.owner.session), id, { name: renamed, notes: `${notes} more` });

    const list = await page('/admin/customers', host.owner.cookie);
    expectEscaped(list, renamed, 'list name');
    expectEscaped(list, company, 'list company');

    const fragment = await page('/admin/customers?q=renamed', host.owner.cookie, { 'HX-Request': 'true', 'HX-Target': 'customer-results' });
    expectEscaped(fragment, renamed, 'list fragment');

    const detail = await page(detailPath, host.owner.cookie);
    expectEscaped(detail, renamed, 'detail name');
    expectEscaped(detail, company, 'detail company');
    expectEscaped(detail, `${notes} more`, 'detail notes');

    const edit = await page(`${detailPath}/edit`, host.owner.cookie);
    expectEscaped(edit, renamed, 'edit name');
    expectEscaped(edit, company, 'edit company');
    expectEscaped(edit, `${notes} more`, 'edit notes');

    const activity = await page(`${detailPath}/activity`, host.owner.cookie);
    expectEscaped(activity, name, 'activity old name');
    expectEscaped(activity, renamed, 'activity new name');
    expectEscaped(activity, company, 'activity company');

    for (const tab of ['contracts', 'equipment', 'usage', 'financials', 'default-status', 'legal', 'team']) {
      expectEscaped(await page(`${detailPath}/${tab}`, host.owner.cookie), renamed, `${tab} tab`);
    }
  });

  it('is escaped when a refused customer form echoes what was typed', async () => {
    const host = await createHost();
    const fields = formOf({
      name: payload,
      company_name: payload,
      contact_email: `${payload}@example.com`,
      billing_email: payload,
      phone: `+1 ${payload}`,
      billing_currency: payload,
      notes: payload,
      active: true,
    });
    for (const htmx of [false, true]) {
      const res = await postForm('/admin/customers', fields, { cookie: host.owner.cookie, htmx });
      expect(res.status).toBe(422);
      const html = await res.text();
      expectEscaped(html, `${payload}@example.com`, 'echoed contact email');
      expectEscaped(html, `+1 ${payload}`, 'echoed phone');
      expect(html).not.toContain(payload);
      expectNoInjectedMarkup(html, 'echoed form');
    }
  });

  it('is escaped in an organisation name, a staff name and an API key name', async () => {
    const host = await createHost(`org:${payload}`);
    const staffName = `staff:${payload}`;
    // A staff name is the invitee's own, typed when they accept the invitation.
    await addMember(host, 'staff', { name: staffName });
    const keyName = `key:${payload}`;
    const created = await postForm('/admin/settings/api-keys', { name: keyName }, { cookie: host.owner.cookie });
    expect(created.status).toBe(201);
    expectEscaped(await created.text(), keyName, 'key reveal');

    for (const path of ['/admin/customers', '/admin/customers/new', '/admin/settings', '/admin/settings/api-keys', '/admin/settings/staff']) {
      const html = await page(path, host.owner.cookie);
      expectEscaped(html, `org:${payload}`, `${path} org name`);
    }
    expectEscaped(await page('/admin/settings/staff', host.owner.cookie), staffName, 'staff list');
    expectEscaped(await page('/admin/settings/api-keys', host.owner.cookie), keyName, 'key list');

    // The key's name and a staff member's name also appear as actors in a customer's activity.
    const member = await addMember(host, 'staff');
    const key = await createApiKeyFor(host, keyName);
    const viaApi = await api('/api/v1/customers', { key, method: 'POST', body: { name: 'Via API', contact_email: 'api@example.com' } });
    expect(viaApi.status).toBe(201);
    const { data } = (await viaApi.json()) as { data: { id: string } };
    await updateCustomer(db(), host.hostId, { kind: 'staff', id: member.userId, label: staffName }, data.id, { name: 'Via API 2' });
    const activity = await page(`/admin/customers/${data.id}/activity`, host.owner.cookie);
    expectEscaped(activity, keyName, 'activity API key actor');
    expectEscaped(activity, staffName, 'activity staff actor');
  });

  it('is escaped in a default reason and a site name from other features', async () => {
    const host = await createHost();
    const c = await createTestCustomer(host);
    await openDefaultCase(host, c.id, `reason:${payload}`);
    const site = await createSite(host, `site:${payload}`);
    await createContract(host, c.id, { kind: 'om', status: 'active', siteIds: [site] });
    const detail = await page(`/admin/customers/${c.id}`, host.owner.cookie);
    expectEscaped(detail, `reason:${payload}`, 'status bar reason');
    expectEscaped(detail, `site:${payload}`, 'O&M site');
  });

  it('is escaped when reflected from the URL or a refused sign-in or sign-up', async () => {
    const host = await createHost();
    const search = await page(`/admin/customers?q=${encodeURIComponent(payload)}`, host.owner.cookie);
    expectEscaped(search, payload, 'search box');

    const login = await (await getPage(`/login?next=${encodeURIComponent(`/admin/${payload}`)}`)).text();
    expectEscaped(login, `/admin/${payload}`, 'login next');

    const signIn = await postForm('/login', { email: payload, password: 'x' }, { headers: { 'CF-Connecting-IP': `xss-${uniqueId()}` } });
    expect(signIn.status).toBe(422);
    expectEscaped(await signIn.text(), payload, 'sign-in email echo');

    const signUp = await postForm(
      '/signup',
      { organisation_name: payload, main_slug: payload, owner_name: payload, email: payload, password: 'short' },
      { headers: { 'CF-Connecting-IP': `xss-${uniqueId()}` } },
    );
    expect(signUp.status).toBe(422);
    expectEscaped(await signUp.text(), payload, 'sign-up echo');

    // A request id taken from CF-Ray is shown on error pages.
    const notFound = await SELF.fetch(`${ORIGIN}/no-such-page`, { headers: { 'CF-Ray': payload } });
    expect(notFound.status).toBe(404);
    expectEscaped(await notFound.text(), payload, 'error page reference');
  });
});

it('escapes quotes in an email address the rules accept', async () => {
  // Apostrophes are legal in addresses: the mailto link and the text must both stay inert.
  const host = await createHost();
  const c = await createTestCustomer(host, { contact_email: "o'neil+x@example.com", billing_email: "ap'x@example.com" });
  const detail = await page(`/admin/customers/${c.id}`, host.owner.cookie);
  expect(detail).toContain('href="mailto:o&#39;neil+x@example.com"');
  expect(detail).toContain('ap&#39;x@example.com');
  expect(detail).not.toContain("o'neil");
  expectNoInjectedMarkup(detail, 'detail email');
  const edit = await page(`/admin/customers/${c.id}/edit`, host.owner.cookie);
  expect(edit).toContain('value="o&#39;neil+x@example.com"');
});

describe('CSV export', () => {
  it('defuses spreadsheet formulas in every text column', async () => {
    const host = await createHost();
    const formulas = ['=cmd()', '+SUM(A1:A9)', '-2+3', '@SUM(1)', '=HYPERLINK("http://evil.example","click")'];
    const made = [];
    for (const [i, formula] of formulas.entries()) {
      made.push(await createTestCustomer(host, { name: formula, company_name: formula, notes: formula, contact_email: `f${i}@example.com` }));
    }
    const res = await getPage('/admin/customers/export.csv', { cookie: host.owner.cookie });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^text\/csv/);
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    const csv = await res.text();
    const rows = csv.split('\r\n').slice(1).filter(Boolean);
    expect(rows).toHaveLength(formulas.length);
    const byId = new Map(rows.map((row) => [row.split(',')[0], row]));

    expect(byId.get(made[0]!.id)).toContain(",'=cmd(),'=cmd(),");
    expect(byId.get(made[1]!.id)).toContain(",'+SUM(A1:A9),'+SUM(A1:A9),");
    expect(byId.get(made[2]!.id)).toContain(",'-2+3,'-2+3,");
    expect(byId.get(made[3]!.id)).toContain(",'@SUM(1),'@SUM(1),");
    expect(byId.get(made[4]!.id)).toContain(`,"'=HYPERLINK(""http://evil.example"",""click"")","'=HYPERLINK(""http://evil.example"",""click"")",`);
    // No cell starts with a formula character once unquoted.
    for (const row of rows) {
      for (const cell of row.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)) {
        expect(cell.replace(/^"/, '')).not.toMatch(/^[=+\-@]/);
      }
    }
  });

  it('keeps HTML as plain CSV text (it is served as text/csv, not HTML)', async () => {
    const host = await createHost();
    await createTestCustomer(host, { name: '<script>alert(1)</script>' });
    const res = await getPage('/admin/customers/export.csv', { cookie: host.owner.cookie });
    expect(res.headers.get('Content-Type')).not.toContain('html');
    expect(res.headers.get('Content-Disposition')).toMatch(/^attachment;/);
    expect(await res.text()).toContain(',<script>alert(1)</script>,');
  });
});

describe('Content-Security-Policy', () => {
  const directives = (header: string | null) =>
    new Map(
      (header ?? '')
        .split(';')
        .map((part) => part.trim())
        .filter(Boolean)
        .map((part) => {
          const [name, ...values] = part.split(/\s+/);
          return [name!.toLowerCase(), values] as const;
        }),
    );

  it('allows only self-hosted scripts on every kind of response', async () => {
    const host = await createHost();
    const c = await createTestCustomer(host);
    const responses = [
      await getPage('/login'),
      await getPage('/signup'),
      await getPage('/admin/customers', { cookie: host.owner.cookie }),
      await getPage(`/admin/customers/${c.id}`, { cookie: host.owner.cookie }),
      await getPage(`/admin/customers/${c.id}/activity`, { cookie: host.owner.cookie }),
      await getPage('/admin/customers?q=a', { cookie: host.owner.cookie, htmx: true, headers: { 'HX-Target': 'customer-results' } }),
      await getPage('/admin/settings', { cookie: host.owner.cookie }),
      await getPage('/admin/settings/branding', { cookie: host.owner.cookie }),
      await getPage('/admin/settings/domains', { cookie: host.owner.cookie }),
      await getPage('/no-such-page'),
      await postForm('/admin/customers', { name: '' }, { cookie: host.owner.cookie }),
      await postForm('/admin/customers', { name: 'x' }, { cookie: host.owner.cookie, origin: 'https://evil.example' }),
    ];
    for (const res of responses) {
      const csp = directives(res.headers.get('Content-Security-Policy'));
      const scriptSrc = csp.get('script-src') ?? csp.get('default-src');
      expect(scriptSrc, res.url).toEqual(["'self'"]);
      expect(csp.get('default-src')).toEqual(["'self'"]);
      expect(csp.get('object-src')).toEqual(["'none'"]);
      expect(csp.get('base-uri')).toEqual(["'none'"]);
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
      expect(csp.get('form-action')).toEqual(["'self'"]);
      // Nothing anywhere re-opens inline code or arbitrary origins.
      for (const [name, values] of csp) {
        for (const value of values) expect(value, name).not.toMatch(/^'unsafe-(inline|eval|hashes)'$|^\*$|^https?:$/);
      }
      expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    }
  });

  it('matches pages that need no inline script or style', async () => {
    const host = await createHost();
    const c = await createTestCustomer(host, { notes: 'n' });
    for (const path of ['/admin/customers', `/admin/customers/${c.id}`, `/admin/customers/${c.id}/edit`, `/admin/customers/${c.id}/activity`, '/admin/settings', '/admin/settings/staff', '/admin/settings/api-keys', '/admin/settings/domains']) {
      const html = await page(path, host.owner.cookie);
      expectNoInjectedMarkup(html, path);
      expect(html, path).not.toMatch(/<style\b/i);
      expect(html, path).not.toMatch(/\sstyle="/i);
      expect(html, path).not.toMatch(/javascript:/i);
    }
    // Branding has its own preview image and script (both self-hosted); nothing inline either.
    const branding = await page('/admin/settings/branding', host.owner.cookie);
    const scripts = [...branding.matchAll(/<script\b[^>]*>/gi)].map((m) => m[0]);
    expect(scripts).toEqual(['<script src="/vendor/htmx.min.js" defer="">', '<script src="/js/brand-preview.js" defer="">']);
    expect(branding).not.toMatch(/<style\b/i);
    expect(branding).not.toMatch(/\sstyle="/i);
    expect(branding).not.toMatch(/javascript:/i);
    for (const tag of branding.match(/<[a-z][^>]*>/gi) ?? []) expect(tag.replace(/"[^"]*"/g, '""')).not.toMatch(/\son[a-z]+\s*=/i);
    for (const path of ['/login', '/signup']) {
      const html = await (await getPage(path)).text();
      expectNoInjectedMarkup(html, path);
      expect(html, path).not.toMatch(/<style\b/i);
    }
  });
});
