import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { revokeAgent } from '../../src/agents/service';
import { agents, networkSegments, sites } from '../../src/db/schema';
import { staffActor } from '../../src/hosts/service';
import { cidrsOverlap, decimalToMicros, microsToDecimal, parseCidr } from '../../src/sites/schema';
import { updateSite } from '../../src/sites/service';
import { addMember, createHost, db, getPage, postForm, type TestHost } from '../helpers/fixtures';
import { hostActivity, makeMiner, makeSite, registeredAgent } from '../helpers/equipment';

async function html(path: string, cookie: string, headers?: Record<string, string>) {
  const res = await getPage(path, { cookie, headers });
  expect(res.status, path).toBe(200);
  return res.text();
}

const siteRow = (id: string) => db().select().from(sites).where(eq(sites.id, id)).get();
const sitesOf = (host: TestHost) => db().select().from(sites).where(eq(sites.hostId, host.hostId)).all();

const validForm = (overrides: Record<string, string> = {}) => ({
  name: 'Permian Basin 1',
  city: 'Midland',
  region: 'Texas',
  country: 'United States',
  timezone: 'America/Chicago',
  capacity_kw: '12000',
  energy_cost_per_kwh: '0.0425',
  ...overrides,
});

const siteIdFrom = (res: Response) => res.headers.get('Location')!.split('/').pop()!.split('?')[0]!;

// ---------------------------------------------------------------------------------------------

describe('energy cost and CIDR rules', () => {
  it('stores energy cost as integer micro-units, rounding half-up at the seventh decimal', () => {
    expect(decimalToMicros('0.0425')).toBe(42_500);
    expect(decimalToMicros('0.1')).toBe(100_000);
    expect(decimalToMicros('.05')).toBe(50_000);
    expect(decimalToMicros('12')).toBe(12_000_000);
    expect(decimalToMicros('0.0000005')).toBe(1);
    expect(decimalToMicros('0.00000049')).toBe(0);
    expect(decimalToMicros('0.0000015')).toBe(2);
    expect(decimalToMicros('0.9999995')).toBe(1_000_000);
    for (const bad of ['', '.', '-0.1', '1e-3', '$0.05', '0,05', '1 000', 'abc']) expect(decimalToMicros(bad), bad).toBeNull();
    expect(microsToDecimal(42_500)).toBe('0.0425');
    expect(microsToDecimal(100_000)).toBe('0.10');
    expect(microsToDecimal(12_000_000)).toBe('12.00');
    expect(microsToDecimal(1)).toBe('0.000001');
  });

  it('accepts IPv4 CIDRs from /16 to /32 with host bits zero, and says what was meant otherwise', () => {
    expect(parseCidr('10.0.1.0/24')).toMatchObject({ ok: true, cidr: '10.0.1.0/24' });
    expect(parseCidr(' 192.168.0.0/16 ')).toMatchObject({ ok: true, cidr: '192.168.0.0/16' });
    expect(parseCidr('10.0.1.15/32')).toMatchObject({ ok: true, cidr: '10.0.1.15/32' });
    expect(parseCidr('10.0.1.5/24')).toEqual({ ok: false, message: 'Host bits are set: did you mean 10.0.1.0/24?' });
    expect(parseCidr('10.0.255.1/17')).toEqual({ ok: false, message: 'Host bits are set: did you mean 10.0.128.0/17?' });
    expect(parseCidr('10.0.0.0/8')).toMatchObject({ ok: false, message: expect.stringContaining('/16 to /32') });
    expect(parseCidr('10.0.0.0/33')).toMatchObject({ ok: false });
    expect(parseCidr('10.0.1.0')).toMatchObject({ ok: false, message: 'Add the prefix length, like 10.0.1.0/24.' });
    expect(parseCidr('10.0.256.0/24')).toMatchObject({ ok: false });
    expect(parseCidr('10.0.01.0/24')).toMatchObject({ ok: false, message: expect.stringContaining('leading zeros') });
    expect(parseCidr('fe80::/64')).toMatchObject({ ok: false });
    expect(parseCidr('')).toMatchObject({ ok: false });
    const a = parseCidr('10.0.0.0/16');
    const b = parseCidr('10.0.5.0/24');
    const c = parseCidr('10.1.0.0/24');
    if (!a.ok || !b.ok || !c.ok) throw new Error('unexpected');
    expect(cidrsOverlap(a, b)).toBe(true);
    expect(cidrsOverlap(b, a)).toBe(true);
    expect(cidrsOverlap(a, c)).toBe(false);
  });
});

describe('sites list and create', () => {
  it('shows an empty state and the Sites and Equipment areas in the navigation', async () => {
    const host = await createHost();
    const page = await html('/admin/sites', host.owner.cookie);
    expect(page).toContain('No sites yet');
    expect(page).toContain('href="/admin/sites/new"');
    expect(page).toMatch(/<a href="\/admin\/sites" aria-current="page">Sites<\/a>/);
    expect(page).toContain('<a href="/admin/equipment">Equipment</a>');
  });

  it('creates a site from the form, records it in activity, and lists it with “No agent”', async () => {
    const host = await createHost();
    const res = await postForm('/admin/sites', validForm(), { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    const id = siteIdFrom(res);
    const row = await siteRow(id);
    expect(row).toMatchObject({
      hostId: host.hostId,
      name: 'Permian Basin 1',
      city: 'Midland',
      region: 'Texas',
      country: 'United States',
      timezone: 'America/Chicago',
      capacityKw: 12000,
      energyCostMicrosPerKwh: 42_500,
    });
    const [entry] = await hostActivity(host, 'site.created');
    expect(entry!.customerId).toBeNull();
    expect(JSON.parse(entry!.changes!)).toMatchObject({ name: [null, 'Permian Basin 1'], energy_cost_per_kwh: [null, '0.0425'], capacity_kw: [null, 12000] });

    const list = await html('/admin/sites', host.owner.cookie);
    expect(list).toContain(`href="/admin/sites/${id}"`);
    expect(list).toContain('Midland, Texas, United States');
    expect(list).toContain('No agent');

    const detail = await html(`/admin/sites/${id}`, host.owner.cookie);
    expect(detail).toContain('0.0425 USD/kWh');
    expect(detail).toContain('12,000 kW');
    expect(detail).toContain('No data yet'); // the site's SiteState has no reports
    expect(detail).toContain('No agent');
  });

  it('defaults the timezone to the host’s and treats a blank energy cost as the host default', async () => {
    const host = await createHost();
    const res = await postForm('/admin/sites', { name: 'Bare site', timezone: '', energy_cost_per_kwh: '', capacity_kw: '' }, { cookie: host.owner.cookie });
    // A blank timezone from the form is not a timezone: the form always posts one.
    expect(res.status).toBe(422);
    const ok = await makeSite(host, { name: 'API-style site' });
    expect(ok.timezone).toBe('UTC');
    expect(ok.energyCostMicrosPerKwh).toBeNull();
    expect(ok.capacityKw).toBeNull();
    const form = await html('/admin/sites/new', host.owner.cookie);
    expect(form).toContain('<option value="UTC" selected="">UTC</option>');
  });

  it('refuses invalid input with field errors and keeps what was typed (page and htmx fragment)', async () => {
    const host = await createHost();
    const bad = validForm({ name: '  ', capacity_kw: '-5', energy_cost_per_kwh: '$0.05', timezone: 'Mars/Olympus' });
    const res = await postForm('/admin/sites', bad, { cookie: host.owner.cookie });
    expect(res.status).toBe(422);
    const page = await res.text();
    expect(page).toContain('4 fields need attention.');
    expect(page).toContain('Site name is required.');
    expect(page).toContain('Capacity must be a whole number');
    expect(page).toContain('Enter an amount like 0.045');
    expect(page).toContain('Choose a timezone from the list.');
    expect(page).toContain('value="$0.05"');
    expect(page).toContain('value="Midland"');
    expect(await sitesOf(host)).toEqual([]);

    const fragment = await postForm('/admin/sites', validForm({ capacity_kw: '1.5' }), { cookie: host.owner.cookie, htmx: true });
    expect(fragment.status).toBe(422);
    const body = await fragment.text();
    expect(body).toMatch(/^<form id="site-form"/);
    expect(body).toContain('Capacity must be a whole number');

    const tooDear = await postForm('/admin/sites', validForm({ energy_cost_per_kwh: '1000.5' }), { cookie: host.owner.cookie });
    expect(tooDear.status).toBe(422);
    expect(await tooDear.text()).toContain('Enter at most 1000 per kWh.');
  });

  it('succeeds with htmx by answering HX-Redirect', async () => {
    const host = await createHost();
    const res = await postForm('/admin/sites', validForm(), { cookie: host.owner.cookie, htmx: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('HX-Redirect')).toMatch(/^\/admin\/sites\/[0-9a-f-]{36}$/);
  });
});

describe('editing a site', () => {
  it('records old → new for changed fields only; a no-op writes nothing', async () => {
    const host = await createHost();
    const site = await makeSite(host, { name: 'Old name', energy_cost_per_kwh: '0.05', timezone: 'UTC' });
    const edit = await html(`/admin/sites/${site.id}/edit`, host.owner.cookie);
    expect(edit).toContain('value="0.05"');
    expect(edit).toContain('value="Old name"');

    const res = await postForm(`/admin/sites/${site.id}`, { name: 'New name', city: '', region: '', country: 'Paraguay', timezone: 'UTC', capacity_kw: '', energy_cost_per_kwh: '0.0600001' }, { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/admin/sites/${site.id}?done=saved`);
    expect(await siteRow(site.id)).toMatchObject({ name: 'New name', country: 'Paraguay', energyCostMicrosPerKwh: 60_000 });
    const updates = await hostActivity(host, 'site.updated');
    expect(updates).toHaveLength(1);
    expect(JSON.parse(updates[0]!.changes!)).toEqual({
      site: ['Old name', 'New name'],
      name: ['Old name', 'New name'],
      country: [null, 'Paraguay'],
      energy_cost_per_kwh: ['0.05', '0.06'],
    });

    await updateSite(db(), host.hostId, staffActor(host.owner.session), site.id, { name: 'New name', country: 'Paraguay' });
    expect(await hostActivity(host, 'site.updated')).toHaveLength(1);

    // Clearing the energy cost returns the site to the host default.
    await updateSite(db(), host.hostId, staffActor(host.owner.session), site.id, { energy_cost_per_kwh: '' });
    expect((await siteRow(site.id))!.energyCostMicrosPerKwh).toBeNull();
  });
});

describe('network segments', () => {
  it('adds, validates and removes segments, each in activity', async () => {
    const host = await createHost();
    const site = await makeSite(host, { name: 'Seg site' });
    const add = (cidr: string, label = '') => postForm(`/admin/sites/${site.id}/segments`, { cidr, label }, { cookie: host.owner.cookie });

    const ok = await add('10.0.1.0/24', 'Row A');
    expect(ok.status).toBe(303);
    expect(ok.headers.get('Location')).toBe(`/admin/sites/${site.id}?done=segment-added#segments`);

    const hostBits = await add('10.0.2.7/24');
    expect(hostBits.status).toBe(422);
    const hostBitsPage = await hostBits.text();
    expect(hostBitsPage).toContain('Host bits are set: did you mean 10.0.2.0/24?');
    expect(hostBitsPage).toContain('value="10.0.2.7/24"');

    const wide = await add('10.0.0.0/8');
    expect(wide.status).toBe(422);
    expect(await wide.text()).toContain('/16 to /32');

    const duplicate = await add('10.0.1.0/24');
    expect(duplicate.status).toBe(422);
    expect(await duplicate.text()).toContain('10.0.1.0/24 is already listed for this site.');

    const overlap = await add('10.0.0.0/16');
    expect(overlap.status).toBe(422);
    expect(await overlap.text()).toContain('10.0.0.0/16 overlaps 10.0.1.0/24');

    // The same CIDR on another site is fine.
    const other = await makeSite(host, { name: 'Other site' });
    expect((await postForm(`/admin/sites/${other.id}/segments`, { cidr: '10.0.1.0/24' }, { cookie: host.owner.cookie })).status).toBe(303);

    const segments = await db().select().from(networkSegments).where(eq(networkSegments.siteId, site.id)).all();
    expect(segments.map((s) => [s.cidr, s.label])).toEqual([['10.0.1.0/24', 'Row A']]);
    const detail = await html(`/admin/sites/${site.id}`, host.owner.cookie);
    expect(detail).toContain('<code>10.0.1.0/24</code>');
    expect(detail).toContain('Row A');

    const removed = await postForm(`/admin/sites/${site.id}/segments/${segments[0]!.id}/remove`, {}, { cookie: host.owner.cookie });
    expect(removed.status).toBe(303);
    expect(await db().select().from(networkSegments).where(eq(networkSegments.siteId, site.id)).all()).toEqual([]);
    expect((await hostActivity(host, 'segment.added')).length).toBe(2);
    const [removal] = await hostActivity(host, 'segment.removed');
    expect(JSON.parse(removal!.changes!)).toMatchObject({ cidr: ['10.0.1.0/24', null] });

    // Removing again: 404, and no second activity entry.
    const again = await postForm(`/admin/sites/${site.id}/segments/${segments[0]!.id}/remove`, {}, { cookie: host.owner.cookie });
    expect(again.status).toBe(404);
    expect((await hostActivity(host, 'segment.removed')).length).toBe(1);
  });
});

describe('site list: miners and agent status', () => {
  it('counts the site’s units (not retired ones) and follows the agent: none, online, offline, revoked', async () => {
    const host = await createHost();
    const site = await makeSite(host, { name: 'Status site' });
    await makeMiner(host, { site_id: site.id });
    await makeMiner(host, { site_id: site.id });
    await makeMiner(host, { site_id: site.id, status: 'retired' });
    await makeMiner(host); // no site

    const row = (page: string) => page.slice(page.indexOf(`href="/admin/sites/${site.id}"`), page.indexOf('</tr>', page.indexOf(`href="/admin/sites/${site.id}"`)));
    let list = await html('/admin/sites', host.owner.cookie);
    expect(row(list)).toContain(`>2</a>`);
    expect(row(list)).toContain('No agent');

    // An agent that only has a code is still "No agent".
    const { agentId } = await registeredAgent(host, site.id);
    list = await html('/admin/sites', host.owner.cookie);
    expect(row(list)).toContain('Agent online');
    expect(row(list)).toContain('last seen');

    await db().update(agents).set({ lastSeenAt: Date.now() - 10 * 60 * 1000 }).where(eq(agents.id, agentId));
    list = await html('/admin/sites', host.owner.cookie);
    expect(row(list)).toContain('Agent offline');

    await revokeAgent(db(), host.hostId, staffActor(host.owner.session), { role: 'owner' }, site.id, agentId);
    list = await html('/admin/sites', host.owner.cookie);
    expect(row(list)).toContain('No agent');
  });

  it('lets every staff role work with sites', async () => {
    const host = await createHost();
    const staff = await addMember(host, 'staff');
    const res = await postForm('/admin/sites', validForm({ name: 'Staff site' }), { cookie: staff.cookie });
    expect(res.status).toBe(303);
    expect((await html('/admin/sites', staff.cookie))).toContain('Staff site');
  });
});
