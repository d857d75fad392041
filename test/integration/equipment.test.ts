import { env } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activityLog, miners } from '../../src/db/schema';
import { importMiners, parseCsv, previewImport } from '../../src/equipment/csv';
import { assignEquipment, listMiners, unassignEquipment, updateMiner } from '../../src/equipment/service';
import { staffActor } from '../../src/hosts/service';
import { AppError } from '../../src/lib/errors';
import { createHost, createTestCustomer, db, getPage, postForm, uniqueId, unescapeAttr, type TestHost } from '../helpers/fixtures';
import { csvUpload, customerActivity, fetchForm, hostActivity, makeMiner, makeSite, minerIdsIn, minerRow, postMultipart } from '../helpers/equipment';
import { EQUIPMENT_PREFS_COOKIE } from '../../src/routes/admin-equipment';

async function html(path: string, cookie: string, headers?: Record<string, string>) {
  const res = await getPage(path, { cookie, headers });
  expect(res.status, path).toBe(200);
  return res.text();
}

const minersOf = (host: TestHost) => db().select().from(miners).where(eq(miners.hostId, host.hostId)).all();
const actor = (host: TestHost) => staffActor(host.owner.session);

/** Many units at once, straight into D1 (for paging tests). */
async function bulkMiners(host: TestHost, n: number, fields: Partial<typeof miners.$inferInsert> = {}) {
  const now = Date.now();
  const rows = Array.from({ length: n }, (_, i) => ({
    id: crypto.randomUUID(),
    hostId: host.hostId,
    serial: `BULK-${String(i).padStart(4, '0')}`,
    status: 'unassigned' as const,
    createdAt: now + i,
    updatedAt: now + i,
    ...fields,
  }));
  for (let i = 0; i < rows.length; i += 5) await db().insert(miners).values(rows.slice(i, i + 5));
  return rows;
}

/** The page's next-page link (a `cursor` link). */
const nextLink = (page: string) => {
  const links = [...page.matchAll(/href="(\/admin\/equipment\?[^"]*)"/g)].map((m) => unescapeAttr(m[1]!));
  return links.find((link) => new URL(link, 'https://x.test').searchParams.has('cursor')) ?? null;
};

// ---------------------------------------------------------------------------------------------

describe('equipment list', () => {
  it('shows an empty state with add and import calls to action', async () => {
    const host = await createHost();
    const page = await html('/admin/equipment', host.owner.cookie);
    expect(page).toContain('0 units');
    expect(page).toContain('No equipment yet');
    expect(page).toContain('href="/admin/equipment/new"');
    expect(page).toContain('href="/admin/equipment/import"');
    expect(page).toMatch(/<a href="\/admin\/equipment" aria-current="page">Equipment<\/a>/);
  });

  it('lists only this host’s units, with status badges and “No data” for units never reported', async () => {
    const host = await createHost();
    const other = await createHost();
    const site = await makeSite(host, { name: 'Live site' });
    const a = await makeMiner(host, { serial: 'AAA-1', site_id: site.id, status: 'staged', nominal_hashrate_ths: '104' });
    const b = await makeMiner(host, { serial: 'BBB-2', status: 'retired' });
    const foreign = await makeMiner(other, { serial: 'FOREIGN-1' });
    const page = await html('/admin/equipment', host.owner.cookie);
    expect(minerIdsIn(page)).toEqual([a.id, b.id]);
    expect(page).not.toContain(foreign.id);
    expect(page).not.toContain('FOREIGN-1');
    expect(page).toContain('badge-miner-staged');
    expect(page).toContain('badge-miner-retired');
    expect(page).toContain('No data');
    expect(page).toContain('— / 104 TH/s');
    expect(page).toContain('Live site');
  });

  it('searches serial, IP, MAC (any spelling), model and rack location, case-insensitively', async () => {
    const host = await createHost();
    const bySerial = await makeMiner(host, { serial: 'JYZZ-ALPHA-01', mac: '02:00:00:00:00:01', model: 'Whatsminer M30S' });
    const byIp = await makeMiner(host, { serial: 'S-2', mac: '02:00:00:00:00:02', ip: '10.20.1.15', model: 'Whatsminer M30S' });
    const byMac = await makeMiner(host, { serial: 'S-3', mac: 'A0:B1:C2:D3:E4:F5', model: 'Whatsminer M30S' });
    const byModel = await makeMiner(host, { serial: 'S-4', mac: '02:00:00:00:00:04', model: 'Avalon A1246' });
    const byRack = await makeMiner(host, { serial: 'S-5', mac: '02:00:00:00:00:05', model: 'Whatsminer M30S', rack_location: 'Row Q / Rack 9' });
    const search = async (q: string) => minerIdsIn(await html(`/admin/equipment?q=${encodeURIComponent(q)}`, host.owner.cookie));
    expect(await search('jyzz-alpha')).toEqual([bySerial.id]);
    expect(await search('10.20.1.15')).toEqual([byIp.id]);
    expect(await search('A0-B1-C2')).toEqual([byMac.id]);
    expect(await search('d3:e4')).toEqual([byMac.id]);
    expect(await search('AVALON')).toEqual([byModel.id]);
    expect(await search('row q')).toEqual([byRack.id]);
    expect(await search('%')).toEqual([]);
    expect(await search('nothing-like-this')).toEqual([]);
    const none = await html('/admin/equipment?q=zzz-none', host.owner.cookie);
    expect(none).toContain('No units match');
    expect(none).toContain('href="/admin/equipment?reset=1"');
  });

  it('filters by site (or none), status, model and customer (or none)', async () => {
    const host = await createHost();
    const north = await makeSite(host, { name: 'North' });
    const customer = await createTestCustomer(host, { name: 'Filter Co' });
    const a = await makeMiner(host, { site_id: north.id, model: 'S19', status: 'staged' });
    const b = await makeMiner(host, { model: 'S21', status: 'unassigned' });
    const c = await makeMiner(host, { site_id: north.id, model: 'S21', status: 'unassigned' });
    await assignEquipment(db(), host.hostId, actor(host), customer.id, { miner_ids: [c.id] });
    const ids = async (query: string) => new Set(minerIdsIn(await html(`/admin/equipment?${query}`, host.owner.cookie)));
    expect(await ids(`site=${north.id}`)).toEqual(new Set([a.id, c.id]));
    expect(await ids('site=none')).toEqual(new Set([b.id]));
    expect(await ids('status=staged')).toEqual(new Set([a.id]));
    expect(await ids('status=assigned')).toEqual(new Set([c.id]));
    expect(await ids('model=S21')).toEqual(new Set([b.id, c.id]));
    expect(await ids(`customer=${customer.id}`)).toEqual(new Set([c.id]));
    expect(await ids('customer=none')).toEqual(new Set([a.id, b.id]));
    expect(await ids(`site=${north.id}&model=S21`)).toEqual(new Set([c.id]));
    // Each row names its own site and customer.
    const list = await html('/admin/equipment?sort=serial', host.owner.cookie);
    const rowOf = (id: string) => list.slice(list.indexOf(`<tr data-miner-id="${id}"`), list.indexOf('</tr>', list.indexOf(`<tr data-miner-id="${id}"`)));
    expect(rowOf(c.id)).toContain('North');
    // The name is cut to the column with its full text in a title (docs/ARCHITECTURE.md, UI rules).
    expect(rowOf(c.id)).toMatch(new RegExp(`<a href="/admin/customers/${customer.id}"[^>]*title="Filter Co"[^>]*>Filter Co</a>`));
    expect(rowOf(b.id)).not.toContain('North');
    expect(rowOf(b.id)).not.toContain('Filter Co');
    // The filter form offers the host's sites, models and customers holding units.
    const page = await html('/admin/equipment', host.owner.cookie);
    expect(page).toContain(`<option value="${north.id}">North</option>`);
    expect(page).toContain('<option value="S21">S21</option>');
    expect(page).toContain(`<option value="${customer.id}">Filter Co</option>`);
    // Junk filters fall back instead of failing.
    expect((await getPage('/admin/equipment?status=bogus&sort=drop&view=3d', { cookie: host.owner.cookie })).status).toBe(200);
  });

  it('sorts by serial, model and creation both ways, and pages with keyset cursors', async () => {
    const host = await createHost();
    const rows = await bulkMiners(host, 53);
    const first = await html('/admin/equipment?sort=serial', host.owner.cookie);
    expect(first).toContain('53 units');
    const firstIds = minerIdsIn(first);
    expect(firstIds).toEqual(rows.slice(0, 50).map((r) => r.id));
    const next = nextLink(first);
    expect(next).not.toBeNull();
    const second = await html(next!, host.owner.cookie);
    expect(minerIdsIn(second)).toEqual(rows.slice(50).map((r) => r.id));
    expect(nextLink(second)).toBeNull();
    const prev = [...second.matchAll(/href="(\/admin\/equipment\?[^"]*before=[^"]*)"/g)].map((m) => unescapeAttr(m[1]!))[0];
    expect(minerIdsIn(await html(prev!, host.owner.cookie))).toEqual(firstIds);

    expect(minerIdsIn(await html('/admin/equipment?sort=-serial', host.owner.cookie)).slice(0, 3)).toEqual([rows[52]!.id, rows[51]!.id, rows[50]!.id]);
    expect(minerIdsIn(await html('/admin/equipment?sort=-created', host.owner.cookie))[0]).toBe(rows[52]!.id);
    expect(minerIdsIn(await html('/admin/equipment?sort=created', host.owner.cookie))[0]).toBe(rows[0]!.id);
  });

  it('sorts by model case-insensitively', async () => {
    const host = await createHost();
    const b = await makeMiner(host, { model: 'beta' });
    const a = await makeMiner(host, { model: 'Alpha' });
    const c = await makeMiner(host, { model: 'Charlie' });
    expect(minerIdsIn(await html('/admin/equipment?sort=model', host.owner.cookie))).toEqual([a.id, b.id, c.id]);
    expect(minerIdsIn(await html('/admin/equipment?sort=-model', host.owner.cookie))).toEqual([c.id, b.id, a.id]);
  });

  it('sorts by live fields through SiteState (units without data last) and pages by offset', async () => {
    const host = await createHost();
    const site = await makeSite(host, { name: 'Live sort site' });
    const rows = await bulkMiners(host, 7, { siteId: site.id });
    for (const sort of ['-hashrate', 'hashrate', '-power', 'temperature', 'efficiency', '-uptime'] as const) {
      const page = await listMiners(db(), env, host.hostId, { sort, limit: 3 });
      expect(page.total).toBe(7);
      // No unit has live data yet, so every live sort falls back to serial order.
      expect(page.items.map((m) => m.id)).toEqual(rows.slice(0, 3).map((r) => r.id));
      expect(page.items.every((m) => m.live === null)).toBe(true);
      const second = await listMiners(db(), env, host.hostId, { sort, limit: 3, cursor: page.nextCursor! });
      expect(second.items.map((m) => m.id)).toEqual(rows.slice(3, 6).map((r) => r.id));
      expect(second.prevCursor).not.toBeNull();
      const third = await listMiners(db(), env, host.hostId, { sort, limit: 3, cursor: second.nextCursor! });
      expect(third.items.map((m) => m.id)).toEqual([rows[6]!.id]);
      expect(third.nextCursor).toBeNull();
    }
    const page = await html('/admin/equipment?sort=-hashrate', host.owner.cookie);
    expect(page).toContain('<option value="-hashrate" selected="">Hashrate: highest first</option>');
    expect(minerIdsIn(page)).toEqual(rows.map((r) => r.id));
  });

  it('renders table and grid views and answers htmx with the results fragment only', async () => {
    const host = await createHost();
    const unit = await makeMiner(host, { serial: 'GRID-1' });
    const table = await html('/admin/equipment?view=table', host.owner.cookie);
    expect(table).toContain('data-testid="miners"');
    expect(table).not.toContain('data-testid="miners-grid"');
    const grid = await html('/admin/equipment?view=grid', host.owner.cookie);
    expect(grid).toContain('data-testid="miners-grid"');
    expect(grid).toContain(`href="/admin/equipment/${unit.id}"`);
    const fragment = await html('/admin/equipment?view=grid&q=GRID', host.owner.cookie, { 'HX-Request': 'true', 'HX-Target': 'equipment-results' });
    expect(fragment).toMatch(/^<div id="equipment-results"[ >]/);
    expect(fragment).not.toContain('<html');
    expect(fragment).toContain('data-testid="miners-grid"');
  });

  it('remembers view, sort and filters between visits (not the search text), until reset', async () => {
    const host = await createHost();
    const staged = await makeMiner(host, { status: 'staged' });
    await makeMiner(host, { status: 'unassigned' });
    const res = await getPage('/admin/equipment?view=grid&sort=-created&status=staged&q=SN', { cookie: host.owner.cookie });
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('Set-Cookie') ?? '';
    expect(setCookie).toContain(`${EQUIPMENT_PREFS_COOKIE}=`);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/Secure/i);
    const prefs = /__Host-hy_equipment=([^;]*)/.exec(setCookie)![1]!;
    expect(decodeURIComponent(prefs)).not.toContain('q=');
    const cookie = `${host.owner.cookie}; ${EQUIPMENT_PREFS_COOKIE}=${prefs}`;

    const again = await html('/admin/equipment', cookie);
    expect(again).toContain('data-testid="miners-grid"');
    expect(again).toContain('<option value="-created" selected="">Newest first</option>');
    expect(again).toContain('<option value="staged" selected="">Staged</option>');
    expect(minerIdsIn(again)).toEqual([staged.id]);

    const reset = await getPage('/admin/equipment?reset=1', { cookie });
    expect(reset.headers.get('Set-Cookie') ?? '').toMatch(/__Host-hy_equipment=;.*Max-Age=0/i);
    const resetHtml = await reset.text();
    expect(resetHtml).toContain('data-testid="miners"');
    expect(minerIdsIn(resetHtml)).toHaveLength(2);
  });
});

// ---------------------------------------------------------------------------------------------

describe('adding and editing a unit', () => {
  it('adds a unit from the form: MAC normalised, TH/s stored as milli-TH/s, activity recorded', async () => {
    const host = await createHost();
    const site = await makeSite(host, { name: 'Form site' });
    const res = await postForm(
      '/admin/equipment',
      {
        serial: ' JYZZ-123 ',
        mac: 'A0-B1-C2-D3-E4-F5',
        ip: '10.0.1.15',
        vendor: 'Bitmain',
        model: 'Antminer S19j Pro',
        firmware: '2024.1',
        nominal_hashrate_ths: '98.5',
        nominal_power_w: '3050',
        site_id: site.id,
        rack_location: 'Row A / Rack 3',
        status: 'unassigned',
      },
      { cookie: host.owner.cookie },
    );
    expect(res.status).toBe(303);
    const id = res.headers.get('Location')!.split('/').pop()!;
    expect(await minerRow(id)).toMatchObject({
      serial: 'JYZZ-123',
      mac: 'a0:b1:c2:d3:e4:f5',
      ip: '10.0.1.15',
      nominalHashrateMths: 98_500,
      nominalPowerW: 3050,
      siteId: site.id,
      status: 'unassigned',
      customerId: null,
    });
    const [entry] = await hostActivity(host, 'miner.created');
    expect(JSON.parse(entry!.changes!)).toMatchObject({ serial: [null, 'JYZZ-123'], nominal_hashrate_ths: [null, '98.5 TH/s'], site: [null, 'Form site'], _miner_id: [id, id] });

    const detail = await html(`/admin/equipment/${id}`, host.owner.cookie);
    expect(detail).toContain('98.5 TH/s');
    expect(detail).toContain('a0:b1:c2:d3:e4:f5');
    expect(detail).toContain('No data');
    expect(detail).toContain('has not reported this unit yet');
    expect(detail).toContain('added the unit');
    expect(detail).not.toContain('_miner_id');
  });

  it('refuses bad input with field errors', async () => {
    const host = await createHost();
    const other = await createHost();
    const foreignSite = await makeSite(other);
    const res = await postForm('/admin/equipment', { serial: '', mac: '', ip: '10.0.1', nominal_hashrate_ths: '1e3', nominal_power_w: '-1', status: 'staged' }, { cookie: host.owner.cookie });
    expect(res.status).toBe(422);
    const page = await res.text();
    expect(page).toContain('Enter a serial number or a MAC address.');
    expect(page).toContain('Use an IPv4 address like 10.0.1.15.');
    expect(page).toContain('Enter TH/s like 104 or 98.5');
    expect(page).toContain('Nominal power must be a whole number');

    const badMac = await postForm('/admin/equipment', { serial: 'X-1', mac: 'a0:b1:c2', status: 'staged' }, { cookie: host.owner.cookie, htmx: true });
    expect(badMac.status).toBe(422);
    const fragment = await badMac.text();
    expect(fragment).toMatch(/^<form id="miner-form"/);
    expect(fragment).toContain('Use a MAC address like a0:b1:c2:d3:e4:f5.');

    const assigned = await postForm('/admin/equipment', { serial: 'X-2', status: 'assigned' }, { cookie: host.owner.cookie });
    expect(assigned.status).toBe(422);
    expect(await assigned.text()).toContain('Units are assigned from a customer’s Equipment tab');

    const foreign = await postForm('/admin/equipment', { serial: 'X-3', site_id: foreignSite.id, status: 'staged' }, { cookie: host.owner.cookie });
    expect(foreign.status).toBe(422);
    expect(await foreign.text()).toContain('Choose a site from the list.');
    expect(await minersOf(host)).toEqual([]);
  });

  it('refuses a MAC or serial already in the host’s inventory (another host’s is fine)', async () => {
    const host = await createHost();
    const other = await createHost();
    await makeMiner(host, { serial: 'DUP-1', mac: '02:00:00:00:aa:01' });
    await makeMiner(other, { serial: 'DUP-2', mac: '02:00:00:00:aa:02' });
    const dupMac = await postForm('/admin/equipment', { serial: 'NEW-1', mac: '02-00-00-00-AA-01', status: 'staged' }, { cookie: host.owner.cookie });
    expect(dupMac.status).toBe(422);
    expect(await dupMac.text()).toContain('Another unit (DUP-1) already has this MAC address.');
    const dupSerial = await postForm('/admin/equipment', { serial: 'DUP-1', status: 'staged' }, { cookie: host.owner.cookie });
    expect(dupSerial.status).toBe(422);
    expect(await dupSerial.text()).toContain('Another unit already has this serial number.');
    const fine = await postForm('/admin/equipment', { serial: 'DUP-2', mac: '02:00:00:00:aa:02', status: 'staged' }, { cookie: host.owner.cookie });
    expect(fine.status).toBe(303);
  });

  it('edits a unit, recording old → new; an assigned unit’s status changes only by unassigning', async () => {
    const host = await createHost();
    const siteA = await makeSite(host, { name: 'Site A' });
    const siteB = await makeSite(host, { name: 'Site B' });
    const unit = await makeMiner(host, { serial: 'EDIT-1', site_id: siteA.id, nominal_hashrate_ths: '100' });
    const form = await html(`/admin/equipment/${unit.id}/edit`, host.owner.cookie);
    expect(form).toContain('value="EDIT-1"');
    expect(form).toContain('value="100"');
    expect(form).toContain('name="status"');

    const res = await postForm(
      `/admin/equipment/${unit.id}`,
      // nominal_power_w as the form shows it: the catalogue filled 3,050 W for the S19j Pro when the unit was added.
      { serial: 'EDIT-1', mac: unit.mac!, ip: '', vendor: '', model: 'Antminer S19j Pro', firmware: '', nominal_hashrate_ths: '104.25', nominal_power_w: '3050', site_id: siteB.id, rack_location: 'R1', status: 'retired' },
      { cookie: host.owner.cookie },
    );
    expect(res.status).toBe(303);
    expect(await minerRow(unit.id)).toMatchObject({ nominalHashrateMths: 104_250, siteId: siteB.id, rackLocation: 'R1', status: 'retired' });
    const [entry] = await hostActivity(host, 'miner.updated');
    expect(JSON.parse(entry!.changes!)).toEqual({
      nominal_hashrate_ths: ['100 TH/s', '104.25 TH/s'],
      site: ['Site A', 'Site B'],
      rack_location: [null, 'R1'],
      status: ['unassigned', 'retired'],
      _miner_id: [unit.id, unit.id],
    });

    const customer = await createTestCustomer(host, { name: 'Holder' });
    const held = await makeMiner(host, { serial: 'HELD-1' });
    await assignEquipment(db(), host.hostId, actor(host), customer.id, { miner_ids: [held.id] });
    const heldForm = await html(`/admin/equipment/${held.id}/edit`, host.owner.cookie);
    expect(heldForm).not.toContain('name="status"');
    expect(heldForm).toContain('Assigned to');
    // A forged status field is ignored by the page…
    const forged = await postForm(`/admin/equipment/${held.id}`, { serial: 'HELD-1', mac: held.mac!, model: 'Antminer S19j Pro', rack_location: 'R9', status: 'retired' }, { cookie: host.owner.cookie });
    expect(forged.status).toBe(303);
    expect(await minerRow(held.id)).toMatchObject({ status: 'assigned', customerId: customer.id, rackLocation: 'R9' });
    // …and refused by the service (what the API uses).
    const error = await updateMiner(db(), host.hostId, actor(host), held.id, { status: 'unassigned' }).catch((e: unknown) => e);
    expect((error as AppError).code).toBe('validation_failed');
    expect((error as AppError).fields?.status).toContain('unassign it');
    // The edit of an assigned unit is in the customer's Activity too.
    const customerEntries = await customerActivity(host, customer.id);
    expect(customerEntries.map((e) => e.action)).toContain('miner.updated');
  });

  it('cannot clear both serial and MAC', async () => {
    const host = await createHost();
    const unit = await makeMiner(host, { serial: 'ID-1', mac: null });
    const error = await updateMiner(db(), host.hostId, actor(host), unit.id, { serial: '' }).catch((e: unknown) => e);
    expect((error as AppError).fields).toEqual({ serial: 'Enter a serial number or a MAC address.' });
  });
});

// ---------------------------------------------------------------------------------------------

describe('CSV import', () => {
  it('parses quoted fields, escaped quotes, CRLF, a BOM and blank lines', () => {
    expect(parseCsv('\uFEFFa,b\r\n"x, y","say ""hi"""\r\n\r\n"multi\nline",z\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['multi\nline', 'z'],
    ]);
  });

  it('previews a per-row error report, imports nothing until asked, then only the good rows', async () => {
    const host = await createHost();
    const site = await makeSite(host, { name: 'Import Site' });
    await makeMiner(host, { serial: 'EXISTING-1', mac: '02:00:00:00:ee:01' });
    const csv = [
      'Serial,MAC,IP,Model,Nominal TH/s,Site,Rack,Status',
      'IMP-1,a0:00:00:00:00:01,10.0.0.1,S19,104,import site,R1,',
      'IMP-2,not-a-mac,10.0.0.2,S19,104,Import Site,R2,staged',
      'IMP-3,a0:00:00:00:00:03,10.0.0.3,S19,104,Nowhere,R3,unassigned',
      'IMP-1,a0:00:00:00:00:04,10.0.0.4,S19,104,,R4,',
      'IMP-5,02:00:00:00:EE:01,10.0.0.5,S19,104,,R5,',
      'EXISTING-1,a0:00:00:00:00:06,10.0.0.6,S19,104,,R6,',
      'IMP-7,a0:00:00:00:00:07,10.0.0.7,S19,104,,R7,assigned',
      ',,10.0.0.8,S19,104,,R8,',
      'IMP-9,a0:00:00:00:00:09,10.0.0.9,S19,98.5,,R9,retired',
    ].join('\n');

    const preview = await postMultipart('/admin/equipment/import', csvUpload(csv), host.owner.cookie);
    expect(preview.status).toBe(200);
    const page = await preview.text();
    expect(page).toContain('9 rows checked: 2 ready, 7 with errors.');
    const errorRow = (line: number) => {
      const start = page.indexOf(`data-line="${line}"`);
      return page.slice(start, page.indexOf('</tr>', start));
    };
    expect(errorRow(3)).toContain('Use a MAC address like');
    expect(errorRow(4)).toContain('No site named “Nowhere”');
    expect(errorRow(5)).toContain('Same serial number as line 2.');
    expect(errorRow(6)).toContain('already in the inventory (EXISTING-1)');
    expect(errorRow(7)).toContain('A unit with this serial number is already in the inventory.');
    expect(errorRow(8)).toContain('Units are assigned from a customer’s Equipment tab');
    expect(errorRow(9)).toContain('Enter a serial number or a MAC address.');
    expect(page).toContain('Import the 2 good rows');
    expect(page).not.toContain('value="import_all"');
    expect(await minersOf(host)).toHaveLength(1);

    // "Import all" on a file with errors imports nothing.
    const all = await postForm('/admin/equipment/import', { csv, action: 'import_all', good_count: '2' }, { cookie: host.owner.cookie });
    expect(all.status).toBe(422);
    expect(await all.text()).toContain('Nothing was imported');
    expect(await minersOf(host)).toHaveLength(1);

    const good = await postForm('/admin/equipment/import', { csv, action: 'import_good', good_count: '2' }, { cookie: host.owner.cookie });
    expect(good.status).toBe(303);
    expect(good.headers.get('Location')).toBe('/admin/equipment/import?imported=2');
    expect(await html('/admin/equipment/import?imported=2', host.owner.cookie)).toContain('2 units imported.');
    const units = (await minersOf(host)).filter((m) => m.serial?.startsWith('IMP-'));
    expect(units.map((u) => [u.serial, u.mac, u.siteId, u.rackLocation, u.status, u.nominalHashrateMths]).sort()).toEqual([
      ['IMP-1', 'a0:00:00:00:00:01', site.id, 'R1', 'staged', 104_000],
      ['IMP-9', 'a0:00:00:00:00:09', null, 'R9', 'retired', 98_500],
    ]);
    const entries = await hostActivity(host, 'miner.imported');
    expect(entries).toHaveLength(2);
    expect(entries.map((e) => JSON.parse(e.changes!)._miner_id[0]).sort()).toEqual(units.map((u) => u.id).sort());
  });

  it('carries the checked file in the preview’s own confirm form (multipart), as a browser would post it', async () => {
    const host = await createHost();
    const csv = 'serial,model,rack_location\r\nRT-1,"S19, ""XP""",<b>Row 1</b>\r\nRT-2,S21,R & D\r\n';
    const preview = await (await postMultipart('/admin/equipment/import', csvUpload(csv), host.owner.cookie)).text();
    expect(preview).toContain('enctype="multipart/form-data" class="import-confirm"');
    const carried = /<textarea name="csv" hidden="" aria-hidden="true">([\s\S]*?)<\/textarea>/.exec(preview)![1]!;
    const text = carried.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
    expect(text).toBe(csv);
    const form = new FormData();
    form.set('csv', text);
    form.set('good_count', /name="good_count" value="(\d+)"/.exec(preview)![1]!);
    form.set('action', /name="action" value="(import_all|import_good)"/.exec(preview)![1]!);
    const res = await postMultipart('/admin/equipment/import', form, host.owner.cookie);
    expect(res.status).toBe(303);
    expect((await minersOf(host)).map((m) => [m.serial, m.model, m.rackLocation]).sort()).toEqual([
      ['RT-1', 'S19, "XP"', '<b>Row 1</b>'],
      ['RT-2', 'S21', 'R & D'],
    ]);
  });

  it('re-checks on confirm: a unit added since the preview is reported and nothing is imported', async () => {
    const host = await createHost();
    const csv = 'serial,mac\nRACE-1,a0:00:00:00:01:01\nRACE-2,a0:00:00:00:01:02\n';
    const preview = await previewImport(db(), host.hostId, csv);
    expect(preview.goodCount).toBe(2);
    await makeMiner(host, { serial: 'RACE-2', mac: '02:00:00:00:01:99' });
    const res = await postForm('/admin/equipment/import', { csv, action: 'import_all', good_count: '2' }, { cookie: host.owner.cookie });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('A unit with this serial number is already in the inventory.');
    expect((await minersOf(host)).map((m) => m.serial)).toEqual(['RACE-2']);
  });

  it('reports problems with the file itself', async () => {
    const host = await createHost();
    const check = async (csv: string, message: string) => {
      const res = await postMultipart('/admin/equipment/import', csvUpload(csv), host.owner.cookie);
      expect(res.status, csv).toBe(422);
      expect(await res.text(), csv).toContain(message);
    };
    await check('serial,colour\nA,red\n', 'Unknown column “colour”');
    await check('model,ip\nS19,10.0.0.1\n', 'The file needs a serial or a mac column');
    await check('serial\n', 'has a header line but no units');
    await check('serial\n"unterminated\n', 'is never closed');
    const empty = await postMultipart('/admin/equipment/import', csvUpload(''), host.owner.cookie);
    expect(empty.status).toBe(422);
    expect(await empty.text()).toContain('Choose a CSV file');
    expect(await minersOf(host)).toEqual([]);
  });

  it('imports large files all at once, in chunks within D1’s parameter limit, all or nothing', async () => {
    const host = await createHost();
    const lines = ['serial,mac,ip,vendor,model,firmware,nominal_hashrate_ths,nominal_power_w,rack_location'];
    for (let i = 0; i < 240; i++) {
      const hex = i.toString(16).padStart(4, '0');
      lines.push(`BIG-${i},b0:00:00:00:${hex.slice(0, 2)}:${hex.slice(2)},10.1.${Math.floor(i / 200)}.${i % 200},Bitmain,S19,fw,104,3050,R${i}`);
    }
    const csv = lines.join('\n');
    // Two imports of the same file at once: one lands whole, the other lands nothing.
    const results = await Promise.all([
      importMiners(db(), host.hostId, actor(host), csv, 'all'),
      importMiners(db(), host.hostId, actor(host), csv, 'all'),
    ]);
    expect(results.map((r) => r.imported).sort()).toEqual([0, 240]);
    expect(await minersOf(host)).toHaveLength(240);
    expect(await hostActivity(host, 'miner.imported')).toHaveLength(240);
  });

  it('exports the filtered list as CSV with formulas defused, and the export imports again', async () => {
    const host = await createHost();
    const site = await makeSite(host, { name: 'Export Site' });
    const customer = await createTestCustomer(host, { name: 'Export Co' });
    const danger = await makeMiner(host, { serial: 'EXP-1', model: '=HYPERLINK("http://evil.example","x")', rack_location: '+1 row', site_id: site.id, nominal_hashrate_ths: '104.5' });
    const plain = await makeMiner(host, { serial: 'EXP-2', model: 'S19, "XP"' });
    await makeMiner(host, { serial: 'EXP-3', status: 'retired' });
    await assignEquipment(db(), host.hostId, actor(host), customer.id, { miner_ids: [plain.id] });

    const res = await getPage('/admin/equipment/export.csv?status=unassigned&sort=serial', { cookie: host.owner.cookie });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toContain('text/csv');
    expect(res.headers.get('Content-Disposition')).toContain('equipment.csv');
    const csv = await res.text();
    const rows = parseCsv(csv);
    expect(rows[0]).toEqual([
      'id', 'serial', 'mac', 'ip', 'vendor', 'model', 'firmware', 'nominal_hashrate_ths', 'nominal_power_w', 'site', 'rack_location', 'status', 'customer', 'created_at',
      'live_status', 'live_hashrate_ths', 'live_temp_max_c', 'live_power_w', 'live_efficiency_jth', 'live_uptime_s', 'live_last_seen_at',
    ]);
    expect(rows).toHaveLength(2);
    expect(rows[1]!.slice(0, 12)).toEqual([danger.id, 'EXP-1', danger.mac, '', '', `'=HYPERLINK("http://evil.example","x")`, '', '104.5', '', 'Export Site', "'+1 row", 'unassigned']);
    expect(rows[1]!.slice(14)).toEqual(['', '', '', '', '', '', '']);

    const assigned = parseCsv(await (await getPage(`/admin/equipment/export.csv?customer=${customer.id}`, { cookie: host.owner.cookie })).text());
    expect(assigned.slice(1).map((r) => [r[1], r[5], r[12]])).toEqual([['EXP-2', 'S19, "XP"', 'Export Co']]);

    // The exported file imports into another host as-is (site by name, defused cells restored).
    const other = await createHost();
    await makeSite(other, { name: 'Export Site' });
    const outcome = await importMiners(db(), other.hostId, actor(other), csv, 'all');
    expect(outcome.imported).toBe(1);
    const [copy] = await minersOf(other);
    expect(copy).toMatchObject({ serial: 'EXP-1', model: '=HYPERLINK("http://evil.example","x")', rackLocation: '+1 row', nominalHashrateMths: 104_500 });
  });
});

// ---------------------------------------------------------------------------------------------

describe('assigning equipment', () => {
  async function setup() {
    const host = await createHost();
    const customer = await createTestCustomer(host, { name: 'Assignee Co' });
    const rival = await createTestCustomer(host, { name: 'Rival Co' });
    return { host, customer, rival };
  }

  it('shows the customer’s Equipment tab with an empty state, then the units with live columns', async () => {
    const { host, customer } = await setup();
    const empty = await html(`/admin/customers/${customer.id}/equipment`, host.owner.cookie);
    expect(empty).toContain('No equipment assigned');
    expect(empty).toContain(`href="/admin/customers/${customer.id}/equipment/assign"`);
    expect(empty).not.toContain('once equipment management is available');

    const site = await makeSite(host, { name: 'Tab site' });
    const unit = await makeMiner(host, { serial: 'TAB-1', site_id: site.id });
    await assignEquipment(db(), host.hostId, actor(host), customer.id, { miner_ids: [unit.id] });
    const tab = await html(`/admin/customers/${customer.id}/equipment`, host.owner.cookie);
    expect(minerIdsIn(tab)).toEqual([unit.id]);
    expect(tab).toContain('1 unit assigned');
    expect(tab).toContain('No data');
    expect(tab).toContain('Unassign selected');
    const overview = await html(`/admin/customers/${customer.id}`, host.owner.cookie);
    expect(overview).toMatch(/data-testid="assigned-units">\s*1\s*</);
  });

  it('offers only staged or unassigned units without a customer, filtered by site, model and status', async () => {
    const { host, customer, rival } = await setup();
    const east = await makeSite(host, { name: 'East' });
    const staged = await makeMiner(host, { status: 'staged', site_id: east.id, model: 'S19' });
    const free = await makeMiner(host, { status: 'unassigned', model: 'S21' });
    const retired = await makeMiner(host, { status: 'retired' });
    const taken = await makeMiner(host, { status: 'unassigned' });
    await assignEquipment(db(), host.hostId, actor(host), rival.id, { miner_ids: [taken.id] });
    const picker = async (query = '') => new Set(minerIdsIn(await html(`/admin/customers/${customer.id}/equipment/assign${query}`, host.owner.cookie)));
    expect(await picker()).toEqual(new Set([staged.id, free.id]));
    expect(await picker(`?site=${east.id}`)).toEqual(new Set([staged.id]));
    expect(await picker('?model=S21')).toEqual(new Set([free.id]));
    expect(await picker('?status=staged')).toEqual(new Set([staged.id]));
    expect(await picker('?status=retired')).toEqual(new Set([staged.id, free.id]));
    expect((await picker()).has(retired.id)).toBe(false);
  });

  it('assigns the checked units, reports the ones it could not, and records each in the customer’s Activity', async () => {
    const { host, customer, rival } = await setup();
    const other = await createHost();
    const a = await makeMiner(host, { serial: 'ASG-A', status: 'staged', model: 'S19' });
    const b = await makeMiner(host, { serial: 'ASG-B', status: 'unassigned' });
    const held = await makeMiner(host, { serial: 'ASG-HELD' });
    const retired = await makeMiner(host, { serial: 'ASG-RET', status: 'retired' });
    const foreign = await makeMiner(other, { serial: 'ASG-FOREIGN' });
    await assignEquipment(db(), host.hostId, actor(host), rival.id, { miner_ids: [held.id] });

    const body = new URLSearchParams();
    for (const id of [a.id, b.id, held.id, retired.id, foreign.id]) body.append('miner_ids', id);
    const res = await fetchForm(`/admin/customers/${customer.id}/equipment/assign`, body, host.owner.cookie);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('2 units assigned: ASG-A (S19), ASG-B (Antminer S19j Pro).');
    expect(page).toContain('3 units could not be assigned:');
    expect(page).toContain('ASG-HELD (Antminer S19j Pro): assigned to another customer');
    expect(page).toContain('ASG-RET (Antminer S19j Pro): retired');
    expect(page).toContain('Unknown unit: no such unit');
    expect(page).not.toContain('ASG-FOREIGN');

    expect(await minerRow(a.id)).toMatchObject({ status: 'assigned', customerId: customer.id });
    expect(await minerRow(b.id)).toMatchObject({ status: 'assigned', customerId: customer.id });
    expect(await minerRow(held.id)).toMatchObject({ status: 'assigned', customerId: rival.id });
    expect(await minerRow(retired.id)).toMatchObject({ status: 'retired', customerId: null });
    expect(await minerRow(foreign.id)).toMatchObject({ status: 'unassigned', customerId: null });

    const entries = (await customerActivity(host, customer.id)).filter((e) => e.action === 'equipment.assigned');
    expect(entries.map((e) => JSON.parse(e.changes!)).sort((x, y) => String(x.unit[1]).localeCompare(String(y.unit[1])))).toEqual([
      { unit: [null, 'ASG-A (S19)'], status: ['staged', 'assigned'], _miner_id: [a.id, a.id] },
      { unit: [null, 'ASG-B (Antminer S19j Pro)'], status: ['unassigned', 'assigned'], _miner_id: [b.id, b.id] },
    ]);
    const activityTab = await html(`/admin/customers/${customer.id}/activity`, host.owner.cookie);
    expect(activityTab).toContain('assigned equipment');
    expect(activityTab).toContain('ASG-A (S19)');
    expect(activityTab).not.toContain('_miner_id');
    expect(activityTab).not.toContain(a.id);

    // The unit's own page shows the assignment.
    const unitPage = await html(`/admin/equipment/${a.id}`, host.owner.cookie);
    expect(unitPage).toContain('assigned the unit to a customer');
    expect(unitPage).toContain(`href="/admin/customers/${customer.id}/equipment"`);

    const none = await fetchForm(`/admin/customers/${customer.id}/equipment/assign`, new URLSearchParams(), host.owner.cookie);
    expect(none.status).toBe(422);
    expect(await none.text()).toContain('Choose at least one unit.');
  });

  it('lets only one of two concurrent assignments of the same unit win: the UPDATE’s guard decides', async () => {
    const { host, customer, rival } = await setup();
    for (let round = 0; round < 5; round++) {
      const unit = await makeMiner(host, { serial: `RACE-${uniqueId()}` });
      const [x, y] = await Promise.all([
        assignEquipment(db(), host.hostId, actor(host), customer.id, { miner_ids: [unit.id] }),
        assignEquipment(db(), host.hostId, actor(host), rival.id, { miner_ids: [unit.id] }),
      ]);
      expect(x.changed.length + y.changed.length).toBe(1);
      const loser = x.changed.length ? y : x;
      expect(loser.failed).toEqual([expect.objectContaining({ id: unit.id })]);
      expect(['assigned_elsewhere', 'changed']).toContain(loser.failed[0]!.reason);
      const row = await minerRow(unit.id);
      expect(row!.customerId).toBe(x.changed.length ? customer.id : rival.id);
      const entries = await db()
        .select()
        .from(activityLog)
        .where(and(eq(activityLog.hostId, host.hostId), eq(activityLog.action, 'equipment.assigned')))
        .all();
      expect(entries.filter((e) => e.changes!.includes(unit.id))).toHaveLength(1);
    }
  });

  it('refuses to assign a unit the pre-read saw as free but another request took first', async () => {
    const { host, customer, rival } = await setup();
    const unit = await makeMiner(host, { serial: 'GUARD-1' });
    // The winner lands between our read and our write: simulate by assigning directly in D1 —
    // the service must still refuse, because the guard is in the UPDATE's WHERE.
    await db().update(miners).set({ status: 'assigned', customerId: rival.id }).where(eq(miners.id, unit.id));
    const result = await assignEquipment(db(), host.hostId, actor(host), customer.id, { miner_ids: [unit.id] });
    expect(result.changed).toEqual([]);
    expect(result.failed[0]).toMatchObject({ id: unit.id, reason: 'assigned_elsewhere' });
    expect((await customerActivity(host, customer.id)).filter((e) => e.action === 'equipment.assigned')).toEqual([]);
  });

  it('unassigns back to unassigned, only for units of this customer, and records it', async () => {
    const { host, customer, rival } = await setup();
    const mine = await makeMiner(host, { serial: 'UN-1' });
    const theirs = await makeMiner(host, { serial: 'UN-2' });
    await assignEquipment(db(), host.hostId, actor(host), customer.id, { miner_ids: [mine.id] });
    await assignEquipment(db(), host.hostId, actor(host), rival.id, { miner_ids: [theirs.id] });
    const body = new URLSearchParams();
    body.append('miner_ids', mine.id);
    body.append('miner_ids', theirs.id);
    const res = await fetchForm(`/admin/customers/${customer.id}/equipment/unassign`, body, host.owner.cookie);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('1 unit unassigned: UN-1');
    expect(page).toContain('UN-2 (Antminer S19j Pro): not assigned to this customer');
    expect(await minerRow(mine.id)).toMatchObject({ status: 'unassigned', customerId: null });
    expect(await minerRow(theirs.id)).toMatchObject({ status: 'assigned', customerId: rival.id });
    const [entry] = (await customerActivity(host, customer.id)).filter((e) => e.action === 'equipment.unassigned');
    expect(JSON.parse(entry!.changes!)).toEqual({ unit: ['UN-1 (Antminer S19j Pro)', null], status: ['assigned', 'unassigned'], _miner_id: [mine.id, mine.id] });
    expect((await customerActivity(host, rival.id)).filter((e) => e.action === 'equipment.unassigned')).toEqual([]);

    // Unassigned units can be assigned again (to anyone).
    const again = await assignEquipment(db(), host.hostId, actor(host), rival.id, { miner_ids: [mine.id] });
    expect(again.changed.map((u) => u.id)).toEqual([mine.id]);
    const undo = await unassignEquipment(db(), host.hostId, actor(host), rival.id, { miner_ids: [mine.id] });
    expect(undo.changed.map((u) => u.id)).toEqual([mine.id]);
  });
});

