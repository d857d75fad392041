import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activityLog, hostModels, miners, usageHourly } from '../../src/db/schema';
import { createHost, db, getPage, postForm, type TestHost } from '../helpers/fixtures';
import { makeMiner, makeSite } from '../helpers/equipment';

/** Settings → Models and the unit re-compute: tenancy, missing session, CSRF, HTML injection. */

async function hostWithModel(name = 'Own S19') {
  const host = await createHost();
  const now = Date.now();
  const id = crypto.randomUUID();
  await db().insert(hostModels).values({ id, hostId: host.hostId, name, matchKey: `key${id.slice(0, 8)}`, nominalHashrateMths: 100_000, nominalPowerW: 3000, createdAt: now, updatedAt: now });
  return { host, modelId: id };
}

const modelsOf = (host: TestHost) => db().select().from(hostModels).where(eq(hostModels.hostId, host.hostId)).all();

describe('energy security', () => {
  it('never shows, edits or deletes another host’s model (404), nor re-computes another host’s unit', async () => {
    const a = await hostWithModel('Alpha Secret Model');
    const b = await createHost();
    const site = await makeSite(a.host, { name: 'A site' });
    const unit = await makeMiner(a.host, { serial: 'A-UNIT', site_id: site.id, nominal_power_w: 3000 });
    expect((await getPage(`/admin/settings/models/${a.modelId}/edit`, { cookie: b.owner.cookie })).status).toBe(404);
    expect((await postForm(`/admin/settings/models/${a.modelId}`, { name: 'Hijacked', nominal_hashrate_ths: '1', nominal_power_w: '1' }, { cookie: b.owner.cookie })).status).toBe(404);
    expect((await postForm(`/admin/settings/models/${a.modelId}/delete`, {}, { cookie: b.owner.cookie })).status).toBe(404);
    expect(await (await getPage('/admin/settings/models', { cookie: b.owner.cookie })).text()).not.toContain('Alpha Secret Model');
    expect((await postForm(`/admin/equipment/${unit.id}/recompute-energy`, {}, { cookie: b.owner.cookie })).status).toBe(404);
    expect(await modelsOf(a.host)).toMatchObject([{ name: 'Alpha Secret Model', nominalPowerW: 3000 }]);
  });

  it('counts only the host’s own units without power data', async () => {
    const a = await createHost();
    const b = await createHost();
    await makeMiner(a, { serial: 'A-NOPOWER', model: 'Mystery Miner 9000' });
    expect(await (await getPage('/admin/equipment', { cookie: a.owner.cookie })).text()).toContain('1 unit without power data.');
    expect(await (await getPage('/admin/equipment', { cookie: b.owner.cookie })).text()).not.toContain('without power data.');
  });

  it('sends a visitor without a session to sign in, and writes nothing', async () => {
    const { host, modelId } = await hostWithModel();
    for (const res of [
      await getPage('/admin/settings/models'),
      await postForm('/admin/settings/models', { name: 'X', nominal_hashrate_ths: '1', nominal_power_w: '1' }),
      await postForm(`/admin/settings/models/${modelId}/delete`, {}),
    ]) {
      expect([302, 303]).toContain(res.status);
      expect(res.headers.get('Location')).toMatch(/\/login|\/auth|\/signin/);
    }
    expect(await modelsOf(host)).toHaveLength(1);
  });

  it('refuses forged cross-site posts and changes nothing', async () => {
    const { host, modelId } = await hostWithModel();
    const site = await makeSite(host, { name: 'Forge site' });
    const unit = await makeMiner(host, { serial: 'FORGE-1', site_id: site.id, nominal_power_w: 3000 });
    const before = { models: await modelsOf(host), activity: (await db().select().from(activityLog).where(eq(activityLog.hostId, host.hostId)).all()).length };
    for (const [path, fields] of [
      ['/admin/settings/models', { name: 'Forged', nominal_hashrate_ths: '1', nominal_power_w: '1' }],
      [`/admin/settings/models/${modelId}`, { name: 'Forged', nominal_hashrate_ths: '1', nominal_power_w: '1' }],
      [`/admin/settings/models/${modelId}/delete`, {}],
      [`/admin/equipment/${unit.id}/recompute-energy`, {}],
    ] as const) {
      const res = await postForm(path, fields, { cookie: host.owner.cookie, origin: 'https://evil.example' });
      expect(res.status).toBe(403);
    }
    expect({ models: await modelsOf(host), activity: (await db().select().from(activityLog).where(eq(activityLog.hostId, host.hostId)).all()).length }).toEqual(before);
  });

  it('escapes a model name and a unit’s model on every page that shows them back', async () => {
    const evil = '<img src=x onerror=alert(1)>"S19';
    const host = await createHost();
    const saved = await postForm('/admin/settings/models', { name: evil, nominal_hashrate_ths: '100', nominal_power_w: '3000' }, { cookie: host.owner.cookie });
    expect(saved.status).toBe(303);
    const list = await (await getPage('/admin/settings/models', { cookie: host.owner.cookie })).text();
    expect(list).not.toContain('<img src=x');
    expect(list).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const [model] = await modelsOf(host);
    const edit = await (await getPage(`/admin/settings/models/${model!.id}/edit`, { cookie: host.owner.cookie })).text();
    expect(edit).not.toContain('<img src=x');
    // The refusal re-renders the typed name escaped too.
    const refused = await postForm('/admin/settings/models', { name: evil, nominal_hashrate_ths: 'x', nominal_power_w: '3000' }, { cookie: host.owner.cookie });
    expect(refused.status).toBe(422);
    expect(await refused.text()).not.toContain('<img src=x');
    // A unit staged with a hostile model string, with unknown hours, shown on its page.
    const site = await makeSite(host, { name: 'Esc site' });
    const unit = await makeMiner(host, { serial: 'ESC-1', site_id: site.id, model: '<script>alert(2)</script>' });
    await db().insert(usageHourly).values({ minerId: unit.id, hourStart: 1_767_225_600_000, hostId: host.hostId, siteId: site.id, customerId: null, energyWh: null, energySource: 'unknown', avgHashrateMths: 0, onlineSeconds: 3600, samples: 1 });
    const detail = await (await getPage(`/admin/equipment/${unit.id}`, { cookie: host.owner.cookie })).text();
    expect(detail).not.toContain('<script>alert(2)');
    expect(detail).toContain('1 hour of this unit have unknown energy');
    expect((await db().select().from(miners).where(eq(miners.id, unit.id)).get())!.nominalPowerW).toBeNull();
  });
});
