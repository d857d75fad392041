import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activityLog, pduOutlets, pdus } from '../../src/db/schema';
import { addMember, createHost, db, getPage, postForm, type TestHost } from '../helpers/fixtures';
import { makeMiner, makeSite, postMultipart } from '../helpers/equipment';

const V2C = { name: 'PDU A', address: '10.20.0.5', port: '161', family: 'apc', snmp_version: '2c', community: 'secret-community' };

async function fixture() {
  const host = await createHost();
  const site = await makeSite(host, { name: 'PDU site' });
  const unit = await makeMiner(host, { site_id: site.id, rack_location: 'R1-U1' });
  const spare = await makeMiner(host, { site_id: site.id, rack_location: 'R1-U2' });
  const res = await postForm(`/admin/sites/${site.id}/pdus`, V2C, { cookie: host.owner.cookie });
  const pduId = res.headers.get('Location')!.match(/pdus\/([0-9a-f-]{36})/)![1]!;
  await postForm(`/admin/sites/${site.id}/pdus/${pduId}/outlets`, { outlet: '1', unit: unit.serial! }, { cookie: host.owner.cookie });
  return { host, site, unit, spare, pduId };
}
type Fixture = Awaited<ReturnType<typeof fixture>>;

async function stateOf(host: TestHost) {
  return {
    pdus: await db().select().from(pdus).where(eq(pdus.hostId, host.hostId)).all(),
    outlets: await db().select().from(pduOutlets).where(eq(pduOutlets.hostId, host.hostId)).all(),
    activity: (await db().select().from(activityLog).where(eq(activityLog.hostId, host.hostId)).all()).length,
  };
}

const PAGES = (f: Fixture) => [
  `/admin/sites/${f.site.id}/pdus`,
  `/admin/sites/${f.site.id}/pdus/${f.pduId}`,
  `/admin/sites/${f.site.id}/pdus/${f.pduId}/live`,
  `/admin/sites/${f.site.id}/pdus/${f.pduId}/outlets.csv`,
];

const POSTS: [name: string, path: (f: Fixture) => string, fields: (f: Fixture) => Record<string, string>][] = [
  ['add PDU', (f) => `/admin/sites/${f.site.id}/pdus`, () => ({ ...V2C, address: '10.20.0.99', name: 'Forged' })],
  ['edit PDU', (f) => `/admin/sites/${f.site.id}/pdus/${f.pduId}`, () => ({ ...V2C, name: 'Forged name' })],
  ['remove PDU', (f) => `/admin/sites/${f.site.id}/pdus/${f.pduId}/delete`, () => ({})],
  ['map outlet', (f) => `/admin/sites/${f.site.id}/pdus/${f.pduId}/outlets`, (f) => ({ outlet: '2', unit: f.spare.serial! })],
  ['import outlets', (f) => `/admin/sites/${f.site.id}/pdus/${f.pduId}/outlets/import`, (f) => ({ csv: `outlet,unit\n3,${f.spare.serial}\n` })],
  ['unmap outlet', (f) => `/admin/sites/${f.site.id}/pdus/${f.pduId}/outlets/1/remove`, () => ({})],
];

describe('PDU pages: tenancy and site scope', () => {
  it('another host’s staff get 404 on every page and post, and change nothing', async () => {
    const f = await fixture();
    const intruder = await createHost('Intruder');
    const before = await stateOf(f.host);
    for (const path of PAGES(f)) expect((await getPage(path, { cookie: intruder.owner.cookie })).status, path).toBe(404);
    for (const [name, path, fields] of POSTS) {
      const res = await postForm(path(f), fields(f), { cookie: intruder.owner.cookie });
      expect(res.status, name).toBe(404);
    }
    expect(await stateOf(f.host)).toEqual(before);
  });

  it('a PDU id under another site of the same host is a 404', async () => {
    const f = await fixture();
    const other = await makeSite(f.host);
    for (const path of [`/admin/sites/${other.id}/pdus/${f.pduId}`, `/admin/sites/${other.id}/pdus/${f.pduId}/outlets.csv`]) {
      expect((await getPage(path, { cookie: f.host.owner.cookie })).status, path).toBe(404);
    }
    const before = await stateOf(f.host);
    const res = await postForm(`/admin/sites/${other.id}/pdus/${f.pduId}/delete`, {}, { cookie: f.host.owner.cookie });
    expect(res.status).toBe(404);
    expect(await stateOf(f.host)).toEqual(before);
  });

  it('staff limited to other sites get 404, and changes nothing', async () => {
    const f = await fixture();
    const elsewhere = await makeSite(f.host);
    const limited = await addMember(f.host, 'staff', { siteIds: [elsewhere.id] });
    const before = await stateOf(f.host);
    for (const path of PAGES(f)) expect((await getPage(path, { cookie: limited.cookie })).status, path).toBe(404);
    for (const [name, path, fields] of POSTS) expect((await postForm(path(f), fields(f), { cookie: limited.cookie })).status, name).toBe(404);
    expect(await stateOf(f.host)).toEqual(before);
  });

  it('without a session every page and post goes to sign-in, and changes nothing', async () => {
    const f = await fixture();
    const before = await stateOf(f.host);
    for (const path of PAGES(f)) {
      const res = await getPage(path);
      expect([302, 303], path).toContain(res.status);
      expect(res.headers.get('Location'), path).toMatch(/^\/login/);
    }
    for (const [name, path, fields] of POSTS) {
      const res = await postForm(path(f), fields(f));
      expect(res.status, name).toBe(303);
      expect(res.headers.get('Location'), name).toMatch(/^\/login/);
    }
    expect(await stateOf(f.host)).toEqual(before);
  });
});

describe.each(POSTS)('CSRF: %s', (_name, pathOf, fieldsOf) => {
  it('refuses a post from another origin, plain or htmx, and changes nothing', async () => {
    const f = await fixture();
    const before = await stateOf(f.host);
    for (const htmx of [false, true]) {
      const res = await postForm(pathOf(f), fieldsOf(f), { cookie: f.host.owner.cookie, origin: 'https://evil.example', htmx });
      expect(res.status).toBe(403);
    }
    const crossSite = await postForm(pathOf(f), fieldsOf(f), { cookie: f.host.owner.cookie, origin: null, headers: { 'Sec-Fetch-Site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    expect(await stateOf(f.host)).toEqual(before);
  });
});

describe('CSRF: multipart outlet CSV upload', () => {
  it('refuses a cross-origin upload', async () => {
    const f = await fixture();
    const before = await stateOf(f.host);
    const form = new FormData();
    form.set('file', new File([`outlet,unit\n5,${f.spare.serial}\n`], 'outlets.csv', { type: 'text/csv' }));
    const res = await postMultipart(`/admin/sites/${f.site.id}/pdus/${f.pduId}/outlets/import`, form, f.host.owner.cookie, 'https://evil.example');
    expect(res.status).toBe(403);
    expect(await stateOf(f.host)).toEqual(before);
  });
});

const PAYLOADS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '</textarea><script>alert(1)</script>'];
const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

function expectNoInjectedMarkup(html: string, where: string) {
  expect(html.match(/<(img|svg|iframe)\b[^>]*>/gi) ?? [], `${where}: injected tag`).toEqual([]);
  for (const tag of [...html.matchAll(/<script\b[^>]*>/gi)].map((m) => m[0])) expect(tag, `${where}: inline script`).toMatch(/^<script src="\/vendor\//);
  for (const tag of html.match(/<[a-z][^>]*>/gi) ?? []) expect(tag.replace(/"[^"]*"/g, '""'), `${where}: inline handler`).not.toMatch(/\son[a-z]+\s*=/i);
  expect(html.split('</textarea>').length, `${where}: textarea closed early`).toBeLessThanOrEqual(2);
}

describe.each(PAYLOADS)('HTML injection: %j', (payload) => {
  it('is escaped in the PDU name, unit identity and rack location, form re-renders and CSV errors', async () => {
    const host = await createHost();
    const site = await makeSite(host);
    const unit = await makeMiner(host, { site_id: site.id, serial: `SN-${crypto.randomUUID().slice(0, 8)}`, rack_location: payload.slice(0, 100) });
    const added = await postForm(`/admin/sites/${site.id}/pdus`, { ...V2C, name: payload }, { cookie: host.owner.cookie });
    expect(added.status).toBe(303);
    const pduId = added.headers.get('Location')!.match(/pdus\/([0-9a-f-]{36})/)![1]!;
    expect((await postForm(`/admin/sites/${site.id}/pdus/${pduId}/outlets`, { outlet: '4', unit: unit.serial! }, { cookie: host.owner.cookie })).status).toBe(303);
    for (const path of [`/admin/sites/${site.id}/pdus`, `/admin/sites/${site.id}/pdus/${pduId}`]) {
      const html = await (await getPage(path, { cookie: host.owner.cookie })).text();
      expect(html, path).not.toContain(payload);
      expect(html, path).toContain(escapeHtml(payload));
      expectNoInjectedMarkup(html, path);
    }
    // Re-rendered forms: an invalid PDU edit with the payload, a mapping to a unit named by it, a CSV quoting it.
    const edit = await postForm(`/admin/sites/${site.id}/pdus/${pduId}`, { ...V2C, name: payload, address: payload }, { cookie: host.owner.cookie });
    expect(edit.status).toBe(422);
    const map = await postForm(`/admin/sites/${site.id}/pdus/${pduId}/outlets`, { outlet: payload, unit: `${payload}-nobody` }, { cookie: host.owner.cookie });
    expect(map.status).toBe(422);
    const csv = await postForm(`/admin/sites/${site.id}/pdus/${pduId}/outlets/import`, { csv: `outlet,unit\n5,"${payload.replace(/"/g, '""')}-x"\n` }, { cookie: host.owner.cookie });
    expect(csv.status).toBe(422);
    for (const [where, res] of [
      ['edit', edit],
      ['map', map],
      ['csv', csv],
    ] as const) {
      const html = await res.text();
      expect(html, where).not.toContain(payload);
      expectNoInjectedMarkup(html, where);
    }
  });
});
