import { SELF } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activityLog, defaultSettings, miners, poolRedirects } from '../../src/db/schema';
import { getDefaultSettings, updateDefaultSettings } from '../../src/default/settings';
import { staffActor } from '../../src/hosts/service';
import { defaultRedirectSetup } from '../helpers/default';
import { api, createHost, db, formOf, getPage, postForm } from '../helpers/fixtures';
import { batchOf, createSite, nextMac, postTelemetry, registeredAgent, report } from '../helpers/telemetry';

/**
 * Holding pools (issue 10, "Holding pool(s)"): up to three in priority order. A redirect serves
 * all of them to the unit's site agent, a unit reporting a backup holding pool is confirmed
 * (it failed over, it still mines for the host), and the restore is unchanged.
 */

const FIRST = 'stratum+tcp://holding.hashyard.example:3333';
const SECOND = 'stratum+tcp://holding-b.hashyard.example:3333';
const THIRD = 'stratum+ssl://holding.other-pool.example:443';
const OWN = 'stratum+tcp://own.pool.example:3333';

const SETTINGS = {
  holding_pool_url: FIRST,
  holding_account: 'hostacct',
  holding_pool2_url: SECOND,
  holding_account2: '',
  holding_pool3_url: THIRD,
  holding_account3: 'otheracct',
  worker_rule: '{account}.{serial}',
  pool_password: 'secretpw',
  grace_days: '',
  auto_redirect_days: '',
  confirm_minutes: '30',
  pay_down: false,
  hashprice_source: 'manual',
  hashprice_url: '',
  notice_emails: false,
};
const FORM = formOf(SETTINGS);

const setup = (name: string) => defaultRedirectSetup(name, SETTINGS);
type Ctx = Awaited<ReturnType<typeof setup>>;

/** A unit that has reported through the agent API (of the setup's site, unless another agent's token is given), then assigned to a customer. */
async function unit(ctx: Ctx, customerId: string, user: string, token = ctx.agent.token) {
  const mac = nextMac();
  expect((await postTelemetry(token, batchOf([report(mac, { pool_url: OWN, pool_user: user })]))).status).toBe(200);
  const row = (await db().select().from(miners).where(and(eq(miners.hostId, ctx.host.hostId), eq(miners.mac, mac))).get())!;
  const serial = `SN${mac.replace(/:/g, '').toUpperCase()}`;
  await db().update(miners).set({ customerId, status: 'assigned', serial, nominalPowerW: 3250, nominalHashrateMths: 100_000 }).where(eq(miners.id, row.id));
  return { id: row.id, mac, serial };
}

const agentConfig = async (token: string) =>
  (await (await SELF.fetch('https://hashyard.test/api/agent/v1/config', { headers: { Authorization: `Bearer ${token}` } })).json()) as {
    miners: { mac?: string; pools: { url: string; user: string; password: string }[]; remove_pools?: { url: string; user: string }[] }[];
  };
const poolsOf = (config: Awaited<ReturnType<typeof agentConfig>>, mac: string) => config.miners.find((m) => m.mac === mac)?.pools ?? null;

async function openCase(ctx: Ctx) {
  const res = await api(`/api/v1/customers/${ctx.customer.id}/default-cases`, { key: ctx.key, method: 'POST', body: { reason: 'Invoice overdue' } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { data: { id: string } }).data.id;
}

type ApiUnit = { miner_id: string; phase: string; status: string; failure?: string | null; failure_message?: string | null; target_pool: { url: string; user: string }; target_backup_pools: { url: string; user: string }[] };
const unitsOf = async (ctx: Ctx, caseId: string) => ((await (await api(`/api/v1/default-cases/${caseId}/units`, { key: ctx.key })).json()) as { data: ApiUnit[] }).data;

describe('Settings → Default and holding pool: three holding pools', () => {
  it('saves them in order with one activity entry; a bad 2nd URL is 422 and saves nothing; gaps and repeats are refused', async () => {
    const host = await createHost('Pools Settings Host');
    const cookie = host.owner.cookie;
    expect((await postForm('/admin/settings/default', FORM, { cookie })).status).toBe(303);
    const saved = await getDefaultSettings(db(), host.hostId);
    expect([saved.holdingPoolUrl, saved.holdingPool2Url, saved.holdingPool3Url]).toEqual([FIRST, SECOND, THIRD]);
    expect([saved.holdingAccount, saved.holdingAccount2, saved.holdingAccount3]).toEqual(['hostacct', null, 'otheracct']);
    const entries = await db().select().from(activityLog).where(and(eq(activityLog.hostId, host.hostId), eq(activityLog.action, 'default_settings.updated')));
    expect(entries).toHaveLength(1);
    const changes = JSON.parse(entries[0]!.changes!);
    expect(changes.holdingPool2Url).toEqual([null, SECOND]);
    expect(changes.holdingPool3Url).toEqual([null, THIRD]);
    expect(JSON.stringify(changes)).not.toContain('secretpw');
    const page = await (await getPage('/admin/settings/default', { cookie })).text();
    expect(page.indexOf(FIRST)).toBeLessThan(page.indexOf(SECOND));
    expect(page.indexOf(SECOND)).toBeLessThan(page.indexOf(THIRD));

    // A bad 2nd URL: 422 with the field's error, nothing saved (the 3rd, changed too, stays as it was).
    const bad = await postForm('/admin/settings/default', { ...FORM, holding_pool2_url: 'http://not-stratum.example', holding_pool3_url: 'stratum+tcp://new.example:3333' }, { cookie });
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain('Enter a stratum URL');
    expect(badHtml).toContain('value="http://not-stratum.example"');
    const after = await db().select().from(defaultSettings).where(eq(defaultSettings.hostId, host.hostId)).get();
    expect([after!.holdingPool2Url, after!.holdingPool3Url]).toEqual([SECOND, THIRD]);

    // A 3rd without a 2nd, backups without a first, a repeated pool, an account without its URL.
    const gap = await postForm('/admin/settings/default', { ...FORM, holding_pool2_url: '' }, { cookie });
    expect(gap.status).toBe(422);
    expect(await gap.text()).toContain('Enter the 2nd holding pool before the 3rd');
    const noFirst = await postForm('/admin/settings/default', { ...FORM, holding_pool_url: '', holding_account: '', worker_rule: '{serial}' }, { cookie });
    expect(noFirst.status).toBe(422);
    expect(await noFirst.text()).toContain('Enter the first holding pool');
    const repeat = await postForm('/admin/settings/default', { ...FORM, holding_pool2_url: 'stratum+tcp://HOLDING.hashyard.example:3333/' }, { cookie });
    expect(repeat.status).toBe(422);
    expect(await repeat.text()).toContain('This is the first holding pool again');
    const orphan = await postForm('/admin/settings/default', { ...FORM, holding_pool3_url: '', holding_account3: 'x' }, { cookie });
    expect(orphan.status).toBe(422);
    expect(await db().select().from(activityLog).where(and(eq(activityLog.hostId, host.hostId), eq(activityLog.action, 'default_settings.updated')))).toHaveLength(1);
  });

  it('a host with only the existing single pool keeps working: no backups, one pool served', async () => {
    const ctx = await setup('Single Pool Host');
    await updateDefaultSettings(db(), ctx.host.hostId, staffActor(ctx.host.owner.session), { ...SETTINGS, holding_pool2_url: '', holding_pool3_url: '', holding_account3: '' });
    const a = await unit(ctx, ctx.customer.id, 'cust.a');
    const caseId = await openCase(ctx);
    const res = await api(`/api/v1/default-cases/${caseId}/redirect`, { key: ctx.key, method: 'POST', body: { scope: 'all' } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { data: { pools: unknown[] } };
    expect(body.data.pools).toEqual([{ priority: 0, url: FIRST, worker_rule: 'hostacct.{serial}' }]);
    expect(poolsOf(await agentConfig(ctx.agent.token), a.mac)).toEqual([{ url: FIRST, user: `hostacct.${a.serial}`, password: 'secretpw' }]);
  });
});

describe('a redirect with three holding pools', () => {
  it('serves all of them in order to that site’s agent only, for the customer’s units only; the preview and the API list them', async () => {
    const ctx = await setup('Three Pools Host');
    const a = await unit(ctx, ctx.customer.id, 'cust.a');
    const theirs = await unit(ctx, ctx.other.id, 'other.1');
    const otherSite = await createSite(ctx.host, 'Other site');
    const otherAgent = await registeredAgent(ctx.host, otherSite);
    const caseId = await openCase(ctx);

    const preview = await (await getPage(`/admin/customers/${ctx.customer.id}/default-status/preview?scope=all`, { cookie: ctx.host.owner.cookie })).text();
    const list = preview.slice(preview.indexOf('data-testid="holding-pools"'), preview.indexOf('</ol>', preview.indexOf('data-testid="holding-pools"')));
    expect(list.indexOf(FIRST)).toBeGreaterThan(0);
    expect(list.indexOf(FIRST)).toBeLessThan(list.indexOf(SECOND));
    expect(list.indexOf(SECOND)).toBeLessThan(list.indexOf(THIRD));
    expect(list).toContain('otheracct.{serial}');
    expect(preview).toContain(`Backup 3: ${THIRD} (otheracct.${a.serial})`);

    const res = await api(`/api/v1/default-cases/${caseId}/redirect`, { key: ctx.key, method: 'POST', body: { scope: 'all' } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { data: { pool_url: string; pools: unknown[]; units: ApiUnit[] } };
    expect(body.data.pool_url).toBe(FIRST);
    expect(body.data.pools).toEqual([
      { priority: 0, url: FIRST, worker_rule: 'hostacct.{serial}' },
      { priority: 1, url: SECOND, worker_rule: 'hostacct.{serial}' },
      { priority: 2, url: THIRD, worker_rule: 'otheracct.{serial}' },
    ]);
    expect(body.data.units.map((u) => u.miner_id)).toEqual([a.id]);
    expect(body.data.units[0]!.target_backup_pools).toEqual([
      { url: SECOND, user: `hostacct.${a.serial}` },
      { url: THIRD, user: `otheracct.${a.serial}` },
    ]);
    const started = await db().select().from(activityLog).where(and(eq(activityLog.hostId, ctx.host.hostId), eq(activityLog.action, 'redirect.started'))).get();
    expect(JSON.parse(started!.changes!).backup_pools).toEqual([null, `${SECOND}, ${THIRD}`]);

    const config = await agentConfig(ctx.agent.token);
    expect(poolsOf(config, a.mac)).toEqual([
      { url: FIRST, user: `hostacct.${a.serial}`, password: 'secretpw' },
      { url: SECOND, user: `hostacct.${a.serial}`, password: 'secretpw' },
      { url: THIRD, user: `otheracct.${a.serial}`, password: 'secretpw' },
    ]);
    expect(poolsOf(config, theirs.mac)).toBeNull();
    expect((await agentConfig(otherAgent.token)).miners).toEqual([]);

    const tab = await (await getPage(`/admin/customers/${ctx.customer.id}/default-status`, { cookie: ctx.host.owner.cookie })).text();
    const running = tab.slice(tab.indexOf('data-testid="redirect-holding-pools"'), tab.indexOf('</ol>', tab.indexOf('data-testid="redirect-holding-pools"')));
    expect(running.indexOf(FIRST)).toBeGreaterThan(0);
    expect(running.indexOf(FIRST)).toBeLessThan(running.indexOf(SECOND));
    expect(running.indexOf(SECOND)).toBeLessThan(running.indexOf(THIRD));

    // Settings changed during the redirect do not move it: it keeps the pools it started with.
    await updateDefaultSettings(db(), ctx.host.hostId, staffActor(ctx.host.owner.session), { ...SETTINGS, holding_pool3_url: '', holding_account3: '' });
    expect(poolsOf(await agentConfig(ctx.agent.token), a.mac)).toHaveLength(3);
    const redirect = await db().select().from(poolRedirects).where(eq(poolRedirects.customerId, ctx.customer.id)).get();
    expect(redirect!.backupPools).toHaveLength(2);
  });

  it('a unit on a backup holding pool is confirmed (it failed over); a unit joining later gets all three; the restore is the recorded pool only', async () => {
    const ctx = await setup('Backup Confirm Host');
    const a = await unit(ctx, ctx.customer.id, 'cust.a');
    const b = await unit(ctx, ctx.customer.id, 'cust.b');
    const caseId = await openCase(ctx);
    expect((await api(`/api/v1/default-cases/${caseId}/redirect`, { key: ctx.key, method: 'POST', body: { scope: 'all' } })).status).toBe(201);

    // a fails over to the 3rd pool; b reports the 2nd pool's URL under a worker that is not its own: not confirmed
    await postTelemetry(ctx.agent.token, batchOf([report(a.mac, { pool_url: THIRD, pool_user: `otheracct.${a.serial}` }), report(b.mac, { pool_url: SECOND, pool_user: 'someone.else' })]));
    const units = await unitsOf(ctx, caseId);
    expect(units.find((u) => u.miner_id === a.id)).toMatchObject({ phase: 'redirect', status: 'confirmed' });
    expect(units.find((u) => u.miner_id === b.id)).toMatchObject({ phase: 'redirect', status: 'pending' });
    const confirmed = await db().select().from(activityLog).where(and(eq(activityLog.hostId, ctx.host.hostId), eq(activityLog.action, 'redirect.unit_confirmed'))).get();
    expect(JSON.parse(confirmed!.changes!).pool).toEqual([null, THIRD]);
    // Named as every page names the unit (its serial), not by its id.
    expect(JSON.parse(confirmed!.changes!).unit).toEqual([null, a.serial]);

    // A unit assigned after the start joins with all three pools.
    const late = await unit(ctx, ctx.customer.id, 'cust.late');
    expect(poolsOf(await agentConfig(ctx.agent.token), late.mac)?.map((p) => p.url)).toEqual([FIRST, SECOND, THIRD]);
    await unitsOf(ctx, caseId); // the sync records it
    expect(poolsOf(await agentConfig(ctx.agent.token), late.mac)?.map((p) => p.url)).toEqual([FIRST, SECOND, THIRD]);
    expect((await unitsOf(ctx, caseId)).find((u) => u.miner_id === late.id)!.target_backup_pools.map((p) => p.url)).toEqual([SECOND, THIRD]);

    // The restore: exactly the recorded pool, confirmed the same way.
    expect((await api(`/api/v1/default-cases/${caseId}/redirect`, { key: ctx.key, method: 'DELETE' })).status).toBe(200);
    expect(poolsOf(await agentConfig(ctx.agent.token), a.mac)).toEqual([{ url: OWN, user: 'cust.a', password: 'x' }]);
    await postTelemetry(ctx.agent.token, batchOf([report(a.mac, { pool_url: OWN, pool_user: 'cust.a' })]));
    expect((await unitsOf(ctx, caseId)).find((u) => u.miner_id === a.id)).toMatchObject({ phase: 'restore', status: 'confirmed' });
  });
});

describe('the restore takes the holding pools off the miner', () => {
  it('the restore config names that redirect’s holding pools to remove: that site’s agent only, the customer’s units only; a refused removal fails the restore until it goes through', async () => {
    const ctx = await setup('Restore Remove Host');
    const siteTwo = await createSite(ctx.host, 'Site Two');
    const agentTwo = await registeredAgent(ctx.host, siteTwo);
    const a = await unit(ctx, ctx.customer.id, 'cust.a');
    const b = await unit(ctx, ctx.customer.id, 'cust.b');
    const far = await unit(ctx, ctx.customer.id, 'cust.far', agentTwo.token);
    // another customer's unit on the same site, with its pool on record (so it has a config entry)
    const theirs = await unit(ctx, ctx.other.id, 'other.c');
    await db().update(miners).set({ ownerPoolUrl: OWN, ownerPoolUser: 'other.c' }).where(eq(miners.id, theirs.id));
    const caseId = await openCase(ctx);
    expect((await api(`/api/v1/default-cases/${caseId}/redirect`, { key: ctx.key, method: 'POST', body: { scope: 'all' } })).status).toBe(201);
    // while redirected nothing is to be removed
    expect((await agentConfig(ctx.agent.token)).miners.some((m) => m.remove_pools)).toBe(false);
    // b's firmware refused the redirect (it never left its pool): that refusal must not hold its restore back
    const before = new Date(Date.now() - 5000).toISOString();
    await postTelemetry(ctx.agent.token, batchOf([report(b.mac, { pool_url: OWN, pool_user: 'cust.b', pool_apply: { status: 'refused', message: "addpool: Access denied to 'addpool' command", at: before } })]));

    expect((await api(`/api/v1/default-cases/${caseId}/redirect`, { key: ctx.key, method: 'DELETE' })).status).toBe(200);
    const holdingOf = (serial: string) => [
      { url: FIRST, user: `hostacct.${serial}` },
      { url: SECOND, user: `hostacct.${serial}` },
      { url: THIRD, user: `otheracct.${serial}` },
    ];
    const one = await agentConfig(ctx.agent.token);
    const entry = (config: typeof one, mac: string) => config.miners.find((m) => m.mac === mac);
    expect(entry(one, a.mac)).toMatchObject({ pools: [{ url: OWN, user: 'cust.a', password: 'x' }], remove_pools: holdingOf(a.serial) });
    expect(entry(one, b.mac)?.remove_pools).toEqual(holdingOf(b.serial));
    expect(entry(one, theirs.mac)).toMatchObject({ pools: [{ url: OWN, user: 'other.c' }] });
    expect(entry(one, theirs.mac)?.remove_pools).toBeUndefined();
    expect(entry(one, far.mac)).toBeUndefined();
    const two = await agentConfig(agentTwo.token);
    expect(two.miners.map((m) => m.mac)).toEqual([far.mac]);
    expect(entry(two, far.mac)?.remove_pools).toEqual(holdingOf(far.serial));
    // another host's agent sees none of it
    const stranger = await defaultRedirectSetup('Restore Remove Stranger', SETTINGS);
    expect(JSON.stringify(await agentConfig(stranger.agent.token))).not.toContain(FIRST);

    // a is back on its pool but the agent could not take the holding pools off: not restored (refused);
    // b is back with nothing refused: restored
    const soon = new Date(Date.now() + 1000).toISOString();
    const refused = { status: 'refused' as const, message: `3 pool(s) to remove stay enabled: ${FIRST.toLowerCase()} hostacct.${a.serial}`, at: soon };
    await postTelemetry(ctx.agent.token, batchOf([report(a.mac, { pool_url: OWN, pool_user: 'cust.a', pool_apply: refused }), report(b.mac, { pool_url: OWN, pool_user: 'cust.b' })]));
    let units = await unitsOf(ctx, caseId);
    expect(units.find((u) => u.miner_id === a.id)).toMatchObject({ phase: 'restore', status: 'failed', failure: 'refused', failure_message: refused.message });
    expect(units.find((u) => u.miner_id === b.id)).toMatchObject({ phase: 'restore', status: 'confirmed' });
    // the failed restore is still served, so the agent keeps trying; the confirmed one is not
    const again = await agentConfig(ctx.agent.token);
    expect(entry(again, a.mac)?.remove_pools).toEqual(holdingOf(a.serial));
    expect(entry(again, b.mac)).toBeUndefined();

    // the agent's next attempt goes through (removed or disabled): restored, and no longer named
    const later = new Date(Date.now() + 2000).toISOString();
    await postTelemetry(ctx.agent.token, batchOf([report(a.mac, { pool_url: OWN, pool_user: 'cust.a', pool_apply: { status: 'applied', message: `now on ${OWN}`, at: later } })]));
    units = await unitsOf(ctx, caseId);
    expect(units.find((u) => u.miner_id === a.id)).toMatchObject({ phase: 'restore', status: 'confirmed' });
    expect(entry(await agentConfig(ctx.agent.token), a.mac)).toBeUndefined();
  });
});

describe('holding pools: isolation and escaping', () => {
  it('another host can neither read nor change a host’s holding pools; staff can read but not change them', async () => {
    const a = await createHost('Pools Iso A');
    const b = await createHost('Pools Iso B');
    expect((await postForm('/admin/settings/default', FORM, { cookie: a.owner.cookie })).status).toBe(303);
    const bPage = await (await getPage('/admin/settings/default', { cookie: b.owner.cookie })).text();
    expect(bPage).not.toContain(SECOND);
    expect(bPage).not.toContain(THIRD);
    // B's own save changes only B's row.
    const mine = { ...FORM, holding_pool_url: 'stratum+tcp://b.example:3333', holding_pool2_url: 'stratum+tcp://b2.example:3333', holding_pool3_url: '', holding_account3: '' };
    expect((await postForm('/admin/settings/default', mine, { cookie: b.owner.cookie })).status).toBe(303);
    const aRow = await getDefaultSettings(db(), a.hostId);
    expect([aRow.holdingPoolUrl, aRow.holdingPool2Url, aRow.holdingPool3Url]).toEqual([FIRST, SECOND, THIRD]);
    const { addMember } = await import('../helpers/fixtures');
    const staff = await addMember(a, 'staff');
    expect(await (await getPage('/admin/settings/default', { cookie: staff.cookie })).text()).toContain(SECOND);
    expect((await postForm('/admin/settings/default', { ...FORM, holding_pool2_url: '' , holding_pool3_url: '', holding_account3: '' }, { cookie: staff.cookie })).status).toBe(403);
    expect((await postForm('/admin/settings/default', FORM, { cookie: a.owner.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await getDefaultSettings(db(), a.hostId)).holdingPool2Url).toBe(SECOND);
  });

  it('HTML in a holding pool URL is escaped on the refused form, and in the preview for a URL the path allows', async () => {
    const ctx = await setup('Pools Escape Host');
    const evil = '"><script>alert(1)</script>';
    const refused = await postForm('/admin/settings/default', { ...FORM, holding_pool2_url: `stratum+tcp://x${evil}`, holding_account2: `<b>acct</b>` }, { cookie: ctx.host.owner.cookie });
    expect(refused.status).toBe(422);
    const html = await refused.text();
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).not.toContain('<b>acct</b>');
    expect(html).toContain('&lt;script&gt;');
    // A stratum URL may carry a path: markup there is saved as text and shown escaped.
    const pathy = `stratum+tcp://pool.example:3333/<img src=x onerror=alert(1)>`;
    await updateDefaultSettings(db(), ctx.host.hostId, staffActor(ctx.host.owner.session), { ...SETTINGS, holding_pool3_url: pathy });
    await unit(ctx, ctx.customer.id, 'cust.a');
    await openCase(ctx);
    const settingsPage = await (await getPage('/admin/settings/default', { cookie: ctx.host.owner.cookie })).text();
    const preview = await (await getPage(`/admin/customers/${ctx.customer.id}/default-status/preview?scope=all`, { cookie: ctx.host.owner.cookie })).text();
    for (const page of [settingsPage, preview]) {
      expect(page).not.toContain('<img src=x');
      expect(page).toContain('&lt;img src=x');
    }
  });
});
