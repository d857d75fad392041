import { describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agents/service';
import { assignEquipment } from '../../src/equipment/service';
import { staffActor } from '../../src/hosts/service';
import { createHost, createTestCustomer, db, getPage, postForm } from '../helpers/fixtures';
import { csvUpload, makeMiner, makeSite, postMultipart } from '../helpers/equipment';

const PAYLOADS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  '</textarea><script>alert(1)</script>',
  '</title><script>alert(1)</script>',
];

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** The only embedded-content tags pages render themselves: the 24-hour chart's <svg>. */
const APP_EMBEDS = /^<svg class="chart-svg" viewBox="[\d .]+" width="\d+" height="\d+" role="img" aria-labelledby="[\w -]+" preserveAspectRatio="xMidYMid meet">$/;

function expectNoInjectedMarkup(html: string, where: string) {
  for (const tag of html.match(/<(img|svg|iframe)\b[^>]*>/gi) ?? []) expect(tag, `${where}: injected tag`).toMatch(APP_EMBEDS);
  const scripts = [...html.matchAll(/<script\b[^>]*>/gi)].map((m) => m[0]);
  for (const tag of scripts) expect(tag, `${where}: inline script`).toMatch(/^<script src="\/vendor\//);
  for (const tag of html.match(/<[a-z][^>]*>/gi) ?? []) {
    expect(tag.replace(/"[^"]*"/g, '""'), `${where}: inline handler`).not.toMatch(/\son[a-z]+\s*=/i);
  }
  // Nothing closes the hidden CSV textarea early.
  expect(html.split('</textarea>').length, `${where}: textarea closed early`).toBeLessThanOrEqual(2);
}

function expectEscaped(html: string, value: string, where: string) {
  expect(html, `${where}: raw markup`).not.toContain(value);
  expect(html, `${where}: escaped text`).toContain(escapeHtml(value));
  expectNoInjectedMarkup(html, where);
}

async function page(path: string, cookie: string, headers?: Record<string, string>) {
  const res = await getPage(path, { cookie, headers });
  expect(res.status, path).toBe(200);
  return res.text();
}

/** CSV-quoted, so commas, quotes and newlines survive. */
const q = (value: string) => `"${value.replace(/"/g, '""')}"`;

describe.each(PAYLOADS)('the payload %j', (payload) => {
  it('is escaped wherever a site’s name, location, segment label and agent name are shown', async () => {
    const host = await createHost();
    const name = `site:${payload}`;
    const res = await postForm('/admin/sites', { name, city: `city:${payload}`, region: '', country: `country:${payload}`, timezone: 'UTC' }, { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    const id = res.headers.get('Location')!.split('/').pop()!;
    expect((await postForm(`/admin/sites/${id}/segments`, { cidr: '10.5.0.0/24', label: `label:${payload}` }, { cookie: host.owner.cookie })).status).toBe(303);
    await createAgent(db(), host.hostId, staffActor(host.owner.session), { role: 'owner' }, id, { name: `agent:${payload}` });

    const list = await page('/admin/sites', host.owner.cookie);
    expectEscaped(list, name, 'sites list');
    expectEscaped(list, `city:${payload}`, 'sites list city');
    const detail = await page(`/admin/sites/${id}`, host.owner.cookie);
    expectEscaped(detail, name, 'site page');
    expectEscaped(detail, `label:${payload}`, 'segment label');
    expectEscaped(detail, `agent:${payload}`, 'agent name');
    expectEscaped(await page(`/admin/sites/${id}/edit`, host.owner.cookie), name, 'site edit form');
    // A refused form echoes what was typed, escaped.
    const refused = await postForm('/admin/sites', { name, timezone: 'UTC', capacity_kw: payload }, { cookie: host.owner.cookie });
    expect(refused.status).toBe(422);
    expectEscaped(await refused.text(), payload, 'refused site form');
    const refusedSegment = await postForm(`/admin/sites/${id}/segments`, { cidr: payload }, { cookie: host.owner.cookie });
    expect(refusedSegment.status).toBe(422);
    expectEscaped(await refusedSegment.text(), payload, 'refused segment');
    // The unit list's site filter and cells.
    await makeMiner(host, { site_id: id });
    expectEscaped(await page('/admin/equipment', host.owner.cookie), name, 'equipment list site');
  });

  it('is escaped wherever a unit’s model, rack location, serial and other text are shown', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host, { name: 'Injection Co' });
    const model = `model:${payload}`;
    const rack = `rack:${payload}`;
    const serial = `sn:${payload}`.slice(0, 64);
    const unit = await makeMiner(host, { serial, model, rack_location: rack, vendor: `vendor:${payload}`, firmware: `fw:${payload}` });

    const list = await page('/admin/equipment', host.owner.cookie);
    expectEscaped(list, model, 'list model');
    expectEscaped(list, rack, 'list rack');
    expectEscaped(list, serial, 'list serial');
    expectEscaped(await page('/admin/equipment?view=grid', host.owner.cookie), model, 'grid model');
    expectEscaped(await page(`/admin/equipment?q=${encodeURIComponent(payload)}`, host.owner.cookie), payload, 'search box echo');
    const fragment = await page('/admin/equipment?q=model', host.owner.cookie, { 'HX-Request': 'true', 'HX-Target': 'equipment-results' });
    expectEscaped(fragment, model, 'list fragment');

    const detail = await page(`/admin/equipment/${unit.id}`, host.owner.cookie);
    for (const value of [model, rack, serial, `vendor:${payload}`, `fw:${payload}`]) expectEscaped(detail, value, `unit page ${value.slice(0, 6)}`);
    expectEscaped(await page(`/admin/equipment/${unit.id}/edit`, host.owner.cookie), model, 'unit edit form');

    await assignEquipment(db(), host.hostId, staffActor(host.owner.session), customer.id, { miner_ids: [unit.id] });
    expectEscaped(await page(`/admin/customers/${customer.id}/equipment`, host.owner.cookie), model, 'customer equipment tab');
    expectEscaped(await page(`/admin/customers/${customer.id}/activity`, host.owner.cookie), serial, 'customer activity');
    const again = await postForm(`/admin/customers/${customer.id}/equipment/assign`, { miner_ids: unit.id }, { cookie: host.owner.cookie });
    expectEscaped(await again.text(), serial, 'assignment report');

    const free = await makeMiner(host, { model: `free:${payload}` });
    expectEscaped(await page(`/admin/customers/${customer.id}/equipment/assign`, host.owner.cookie), `free:${payload}`, 'assign picker');
    expect(free.id).toBeTruthy();

    const refused = await postForm('/admin/equipment', { serial: '', mac: payload, ip: payload, status: 'staged' }, { cookie: host.owner.cookie });
    expect(refused.status).toBe(422);
    expectEscaped(await refused.text(), payload, 'refused unit form');
  });

  it('is escaped in the CSV import preview (good rows, error rows, messages and the hidden file) and after import', async () => {
    const host = await createHost();
    const csv = [
      'serial,mac,model,site,rack_location',
      `${q(`csv-sn:${payload}`.slice(0, 64))},,${q(`csv-model:${payload}`)},,${q(`csv-rack:${payload}`)}`,
      `BAD-1,${q(payload)},S19,${q(`site:${payload}`)},R1`,
    ].join('\n');
    const res = await postMultipart('/admin/equipment/import', csvUpload(csv), host.owner.cookie);
    expect(res.status).toBe(200);
    const preview = await res.text();
    expectEscaped(preview, `csv-sn:${payload}`.slice(0, 64), 'preview good serial');
    expectEscaped(preview, `csv-model:${payload}`, 'preview good model');
    expectEscaped(preview, `csv-rack:${payload}`, 'preview good rack');
    expectEscaped(preview, `site:${payload}`, 'preview error site');
    expect(preview).toContain('No site named');

    const imported = await postForm('/admin/equipment/import', { csv, action: 'import_good', good_count: '1' }, { cookie: host.owner.cookie });
    expect(imported.status).toBe(303);
    const list = await page('/admin/equipment', host.owner.cookie);
    expectEscaped(list, `csv-model:${payload}`, 'imported model in list');
    expectEscaped(list, `csv-rack:${payload}`, 'imported rack in list');
    const unitId = /data-miner-id="([0-9a-f-]{36})"/.exec(list)![1]!;
    expectEscaped(await page(`/admin/equipment/${unitId}`, host.owner.cookie), `csv-model:${payload}`, 'imported unit page');

    // A header that is itself a payload is reported escaped.
    const badHeader = await postMultipart('/admin/equipment/import', csvUpload(`serial,${q(payload)}\nA,B\n`), host.owner.cookie);
    expect(badHeader.status).toBe(422);
    expectEscaped(await badHeader.text(), payload, 'unknown column message');
  });
});
