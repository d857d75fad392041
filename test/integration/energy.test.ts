import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { previewInvoice } from '../../src/billing/invoices';
import { hostModels, miners, usageHourly, usageSealDays } from '../../src/db/schema';
import { createHost, db, getPage, postForm, type TestHost } from '../helpers/fixtures';
import { csvUpload, makeMiner, makeSite, postMultipart } from '../helpers/equipment';
import { billedCustomer, billingContract, billingUnit, hour, unknownUsageRows } from '../helpers/invoicing';

/** Issue 17 through the pages and services: no silent zeros, the catalogue, Settings → Models. */

const unknownRows = (host: TestHost, minerId: string, siteId: string, customerId: string, hoursIso: string[], onlineSeconds = 3600) =>
  unknownUsageRows(host, minerId, siteId, customerId, hoursIso.map(hour), onlineSeconds);

describe('unknown energy and billing', () => {
  it('blocks an energy line from unknown hours, lists the unit and hours, and bills the other units', async () => {
    const host = await createHost();
    const { customer, siteId, units } = await billedCustomer(host);
    const bare = await billingUnit(host, customer.id, siteId, { nominalPowerW: null, serial: 'SN-NO-POWER' });
    await billingContract(host, customer.id, { minerIds: [...units, bare] });
    await db()
      .insert(usageHourly)
      .values(units.map((minerId) => ({ minerId, hourStart: hour('2026-03-02T00:00:00Z'), hostId: host.hostId, siteId, customerId: customer.id, energyWh: 3000, energySource: 'miner' as const, avgHashrateMths: 100_000, onlineSeconds: 3600, samples: 60 })));
    await unknownRows(host, bare, siteId, customer.id, ['2026-03-02T00:00:00Z', '2026-03-02T01:00:00Z']);

    const preview = await previewInvoice(db(), host.hostId, customer.id, '2026-03');
    const energy = preview.lines.filter((l) => l.kind === 'energy');
    // The known units are billed; the unknown one is not billed as 0: it blocks.
    expect(energy).toHaveLength(1);
    expect(energy[0]).toMatchObject({ energyWh: 6000, unitCount: 2 });
    expect(preview.blockers.join(' ')).toContain('Unit SN-NO-POWER has 2 hours with unknown energy');
    // The preview page says so too.
    const page = await (await getPage(`/admin/invoices/new?customer_id=${customer.id}&period=2026-03`, { cookie: host.owner.cookie })).text();
    expect(page).toContain('SN-NO-POWER has 2 hours with unknown energy');
  });

  it('re-computes unsealed unknown hours from the spec once set; sealed hours stay unknown and keep blocking', async () => {
    const host = await createHost();
    const { customer, siteId } = await billedCustomer(host);
    const bare = await billingUnit(host, customer.id, siteId, { nominalPowerW: null, serial: 'SN-FIX-ME' });
    await billingContract(host, customer.id, { minerIds: [bare] });
    await unknownRows(host, bare, siteId, customer.id, ['2026-03-02T00:00:00Z', '2026-03-03T00:00:00Z'], 1801);
    await db().insert(usageSealDays).values({ siteId, day: '2026-03-02', hostId: host.hostId, sealedAt: Date.now() });

    const detail = await (await getPage(`/admin/equipment/${bare}`, { cookie: host.owner.cookie })).text();
    expect(detail).toContain('2 hours of this unit have unknown energy (1 on days not yet sealed)');
    // Without a spec there is nothing to re-compute from: refused, nothing changes.
    const refused = await postForm(`/admin/equipment/${bare}/recompute-energy`, {}, { cookie: host.owner.cookie });
    expect(refused.status).toBe(422);

    await db().update(miners).set({ nominalPowerW: 3250 }).where(eq(miners.id, bare));
    const res = await postForm(`/admin/equipment/${bare}/recompute-energy`, {}, { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    const rows = (await db().select().from(usageHourly).where(eq(usageHourly.minerId, bare)).all()).sort((a, b) => a.hourStart - b.hourStart);
    // 3,250 W × 1,801 s / 3,600 = 1,625.9 → 1,626 Wh (half up); the sealed day is untouched.
    expect(rows.map((r) => [r.energyWh, r.energySource])).toEqual([
      [null, 'unknown'],
      [1626, 'spec'],
    ]);
    const preview = await previewInvoice(db(), host.hostId, customer.id, '2026-03');
    expect(preview.blockers.join(' ')).toContain('Unit SN-FIX-ME has 1 hour with unknown energy');
  });

  it('shows unknown hours on the customer’s Usage tab as such', async () => {
    const host = await createHost();
    const { customer, siteId } = await billedCustomer(host);
    const bare = await billingUnit(host, customer.id, siteId, { nominalPowerW: null, serial: 'SN-USAGE' });
    await billingContract(host, customer.id, { minerIds: [bare] });
    await unknownRows(host, bare, siteId, customer.id, ['2026-03-02T00:00:00Z', '2026-03-02T01:00:00Z', '2026-03-02T02:00:00Z']);
    const html = await (await getPage(`/admin/customers/${customer.id}/usage?month=2026-03`, { cookie: host.owner.cookie })).text();
    expect(html).toContain('3 h unknown energy (no power data)');
    expect(html).toContain('Cannot bill: some hours have unknown energy');
  });
});

describe('units without power data', () => {
  it('flags them on the site page and the Equipment list with a link, and clears once a spec is set', async () => {
    const host = await createHost();
    const site = await makeSite(host, { name: 'Hall A' });
    const unit = await makeMiner(host, { serial: 'NOPOWER-1', site_id: site.id, model: 'Mystery Miner 9000' });
    await makeMiner(host, { serial: 'HASPOWER-1', site_id: site.id, model: 'Antminer S19 Pro' });
    const sitePage = await (await getPage(`/admin/sites/${site.id}`, { cookie: host.owner.cookie })).text();
    expect(sitePage).toContain('1 unit without power data.');
    expect(sitePage).toContain(`/admin/equipment?site=${site.id}&amp;power=missing`);
    const list = await (await getPage('/admin/equipment', { cookie: host.owner.cookie })).text();
    expect(list).toContain('1 unit without power data.');
    const missing = await (await getPage('/admin/equipment?power=missing', { cookie: host.owner.cookie })).text();
    expect(missing).toContain('NOPOWER-1');
    expect(missing).not.toContain('HASPOWER-1');

    const res = await postForm(`/admin/equipment/${unit.id}`, { serial: 'NOPOWER-1', model: 'Mystery Miner 9000', nominal_power_w: '3100', nominal_hashrate_ths: '100', site_id: site.id, status: 'staged' }, { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    expect(await (await getPage(`/admin/sites/${site.id}`, { cookie: host.owner.cookie })).text()).not.toContain('without power data.');
    expect(await (await getPage('/admin/equipment', { cookie: host.owner.cookie })).text()).not.toContain('without power data.');
  });

  it('does not flag a unit without a spec that measures its own power', async () => {
    const host = await createHost();
    const site = await makeSite(host, { name: 'Hall B' });
    const unit = await makeMiner(host, { serial: 'WM-1', site_id: site.id });
    await db().insert(usageHourly).values({ minerId: unit.id, hourStart: Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000, hostId: host.hostId, siteId: site.id, customerId: null, energyWh: 3400, energySource: 'miner', avgHashrateMths: 100_000, onlineSeconds: 3600, samples: 60 });
    expect(await (await getPage(`/admin/sites/${site.id}`, { cookie: host.owner.cookie })).text()).not.toContain('without power data.');
  });
});

describe('nominal specs from the catalogue and the host’s models', () => {
  it('fills a unit added by hand or imported by CSV, keeps a per-unit override, and prefers the host’s entry', async () => {
    const host = await createHost();
    const added = await makeMiner(host, { serial: 'HAND-1', model: 'Antminer S19 Pro' });
    expect(added).toMatchObject({ nominalPowerW: 3250, nominalHashrateMths: 110_000 });
    const overridden = await makeMiner(host, { serial: 'HAND-2', model: 'Antminer S19 Pro', nominal_power_w: 3010 });
    // The unit's own power stays; the missing hashrate comes from the catalogue.
    expect(overridden).toMatchObject({ nominalPowerW: 3010, nominalHashrateMths: 110_000 });

    const saved = await postForm('/admin/settings/models', { name: 'Whatsminer M30S', nominal_hashrate_ths: '86.5', nominal_power_w: '3268' }, { cookie: host.owner.cookie });
    expect(saved.status).toBe(303);
    const upload = await postMultipart('/admin/equipment/import', csvUpload('serial,model\nCSV-1,Whatsminer M30S.VG20\nCSV-2,Avalon A1466\n', { action: 'import_all', good_count: '2' }), host.owner.cookie);
    expect(upload.status).toBeLessThan(400);
    const imported = await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all();
    expect(imported.find((m) => m.serial === 'CSV-1')).toMatchObject({ nominalHashrateMths: 86_500, nominalPowerW: 3268 });
    expect(imported.find((m) => m.serial === 'CSV-2')).toMatchObject({ nominalHashrateMths: 150_000, nominalPowerW: 3230 });
  });
});

describe('Settings → Models', () => {
  it('adds, edits and deletes a host model, with field errors (422) on bad input and nothing written', async () => {
    const host = await createHost();
    const cookie = host.owner.cookie;
    const page = await (await getPage('/admin/settings/models', { cookie })).text();
    expect(page).toContain('No models of your own');
    expect(page).toContain('Antminer S21 XP Hydro');

    const bad = await postForm('/admin/settings/models', { name: '', nominal_hashrate_ths: 'fast', nominal_power_w: '-3' }, { cookie });
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain('Enter the model name as the miner reports it.');
    expect(badHtml).toContain('Enter the hashrate in TH/s');
    expect(badHtml).toContain('Enter the power in whole watts');
    expect(await db().select().from(hostModels).where(eq(hostModels.hostId, host.hostId)).all()).toEqual([]);

    expect((await postForm('/admin/settings/models', { name: 'S19j Pro+', nominal_hashrate_ths: '117', nominal_power_w: '3300' }, { cookie })).status).toBe(303);
    // The same model under another spelling is a duplicate.
    const dup = await postForm('/admin/settings/models', { name: 'Antminer S19J PRO+', nominal_hashrate_ths: '120', nominal_power_w: '3300' }, { cookie });
    expect(dup.status).toBe(422);
    expect(await dup.text()).toContain('already matches this model');

    const [model] = await db().select().from(hostModels).where(eq(hostModels.hostId, host.hostId)).all();
    expect(model).toMatchObject({ matchKey: 's19jproplus', nominalHashrateMths: 117_000, nominalPowerW: 3300 });
    expect((await getPage(`/admin/settings/models/${model!.id}/edit`, { cookie })).status).toBe(200);
    expect((await postForm(`/admin/settings/models/${model!.id}`, { name: 'S19j Pro+', nominal_hashrate_ths: '118.25', nominal_power_w: '3310' }, { cookie })).status).toBe(303);
    expect(await db().select().from(hostModels).where(eq(hostModels.id, model!.id)).get()).toMatchObject({ nominalHashrateMths: 118_250, nominalPowerW: 3310 });
    expect((await postForm(`/admin/settings/models/${model!.id}/delete`, {}, { cookie })).status).toBe(303);
    expect(await db().select().from(hostModels).where(and(eq(hostModels.hostId, host.hostId))).all()).toEqual([]);
  });
});
