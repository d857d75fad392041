import { env, SELF } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { recordPayment } from '../../src/billing/payments';
import { utcDay, zonedDate, addDays } from '../../src/billing/periods';
import { activityLog, credits, defaultCases, hashrateCreditDays, miners, poolRedirects, poolRedirectUnits, usageHourly } from '../../src/db/schema';
import { postHashrateCredits } from '../../src/default/credit';
import { runDefaultCron } from '../../src/default/cron';
import { autoCloseSettled, startRedirect, syncRedirects } from '../../src/default/service';
import { setHashprices } from '../../src/default/settings';
import { staffActor } from '../../src/hosts/service';
import { insertInvoice, invoiceRow } from '../helpers/billing';
import { defaultRedirectSetup } from '../helpers/default';
import { api, createHost, db, formOf, getPage, postForm, type TestHost } from '../helpers/fixtures';
import { batchOf, createSite, nextMac, postTelemetry, registeredAgent, report } from '../helpers/telemetry';

const HOLDING = 'stratum+tcp://holding.hashyard.example:3333';
const OWN = 'stratum+tcp://own.pool.example:3333';
const DAY_MS = 86_400_000;

const SETTINGS = {
  holding_pool_url: HOLDING,
  holding_account: 'hostacct',
  worker_rule: '{account}.{serial}',
  pool_password: 'x',
  grace_days: '15',
  auto_redirect_days: '',
  confirm_minutes: '30',
  pay_down: true,
  hashprice_source: 'manual',
  hashprice_url: '',
  notice_emails: true,
};

const FORM = formOf(SETTINGS);

const setup = (name: string, settings: Record<string, unknown> = {}) => defaultRedirectSetup(name, { ...SETTINGS, ...settings });

type Ctx = Awaited<ReturnType<typeof setup>>;

/** A unit that reports through the real agent API (staged by ingest), then assigned to a customer. */
async function unit(ctx: Pick<Ctx, 'agent' | 'host'>, customerId: string | null, opts: { serial?: string; powerW?: number; mths?: number; pool?: string | null; user?: string; report?: boolean } = {}) {
  const mac = nextMac();
  const serial = opts.serial ?? `SN${mac.replace(/:/g, '').toUpperCase()}`;
  if (opts.report !== false) {
    const res = await postTelemetry(ctx.agent.token, batchOf([report(mac, opts.pool === null ? {} : { pool_url: opts.pool ?? OWN, pool_user: opts.user ?? `cust.${serial}` })]));
    expect(res.status).toBe(200);
  }
  let row = await db().select().from(miners).where(and(eq(miners.hostId, ctx.host.hostId), eq(miners.mac, mac))).get();
  if (!row) {
    const id = crypto.randomUUID();
    const siteId = (await db().select({ siteId: miners.siteId }).from(miners).where(eq(miners.hostId, ctx.host.hostId)).get())?.siteId;
    await db().insert(miners).values({ id, hostId: ctx.host.hostId, siteId: siteId ?? null, mac, createdAt: Date.now(), updatedAt: Date.now() });
    row = (await db().select().from(miners).where(eq(miners.id, id)).get())!;
  }
  await db()
    .update(miners)
    .set({ customerId, status: customerId ? 'assigned' : 'unassigned', serial, nominalPowerW: opts.powerW ?? 3250, nominalHashrateMths: opts.mths ?? 100_000 })
    .where(eq(miners.id, row.id));
  return { id: row.id, mac, serial };
}

const report$ = (ctx: Ctx, mac: string, pool: string, user: string) => postTelemetry(ctx.agent.token, batchOf([report(mac, { pool_url: pool, pool_user: user })]));

const agentConfig = async (token: string) =>
  (await (await SELF.fetch('https://hashyard.test/api/agent/v1/config', { headers: { Authorization: `Bearer ${token}` } })).json()) as {
    miners: { mac?: string; pools: { url: string; user: string; password: string }[] }[];
  };

const poolOf = (config: Awaited<ReturnType<typeof agentConfig>>, mac: string) => config.miners.find((m) => m.mac === mac)?.pools[0] ?? null;

async function openByApi(ctx: Ctx, customerId: string, reason = 'Invoice overdue') {
  const res = await api(`/api/v1/customers/${customerId}/default-cases`, { key: ctx.key, method: 'POST', body: { reason } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { data: { id: string } }).data.id;
}

const unitsOf = async (ctx: Ctx, caseId: string) => {
  const res = await api(`/api/v1/default-cases/${caseId}/units`, { key: ctx.key });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { miner_id: string; phase: string; status: string; failure: string | null; previous_pool: { url: string; user: string } | null; target_pool: { url: string; user: string }; confirmed_at: string | null }[] }).data;
};

describe('Settings → Default and holding pool', () => {
  it('saves with an activity entry, refuses bad input with 422 and changes nothing, and is owner/admin only', async () => {
    const host = await createHost('Default Settings Host');
    const cookie = host.owner.cookie;
    const bad = await postForm('/admin/settings/default', { ...FORM, holding_pool_url: 'http://not-stratum', grace_days: 'soon' }, { cookie });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain('Enter a stratum URL');
    expect(html).toContain('Grace days must be a whole number');
    expect((await getPage('/admin/settings/default', { cookie })).status).toBe(200);
    const ok = await postForm('/admin/settings/default', { ...FORM }, { cookie });
    expect(ok.status).toBe(303);
    const entries = await db().select().from(activityLog).where(and(eq(activityLog.hostId, host.hostId), eq(activityLog.action, 'default_settings.updated')));
    expect(entries).toHaveLength(1);
    expect(JSON.parse(entries[0]!.changes!).holdingPoolUrl).toEqual([null, HOLDING]);
    const { addMember } = await import('../helpers/fixtures');
    const staff = await addMember(host, 'staff');
    expect((await postForm('/admin/settings/default', { ...FORM, grace_days: '3' }, { cookie: staff.cookie })).status).toBe(403);
  });

  it('imports a CSV of hashprices all or nothing', async () => {
    const host = await createHost('Hashprice Host');
    const cookie = host.owner.cookie;
    const bad = await postForm('/admin/settings/default/hashprice/import', { csv: 'date,usd\n2026-11-01,0.05\n2026-11-02,<img src=x onerror=alert(1)>' }, { cookie });
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain('Line 2');
    expect(badHtml).not.toContain('<img src=x');
    const ok = await postForm('/admin/settings/default/hashprice/import', { csv: 'date,usd\n2026-11-01,0.05\n2026-11-02,0.0521' }, { cookie });
    expect(ok.status).toBe(303);
    const page = await (await getPage('/admin/settings/default', { cookie })).text();
    expect(page).toContain('0.0521');
  });
});

describe('opening a default', () => {
  it('the cron opens one case after the grace days for the oldest overdue invoice, once, even run twice', async () => {
    const ctx = await setup('Grace Host');
    const today = zonedDate(Date.now(), 'UTC');
    const late = await insertInvoice(ctx.host, ctx.customer.id, { status: 'overdue', dueOn: addDays(today, -20), number: 'TM-2026-0042' });
    await insertInvoice(ctx.host, ctx.customer.id, { status: 'overdue', dueOn: addDays(today, -16) });
    await insertInvoice(ctx.host, ctx.other.id, { status: 'overdue', dueOn: addDays(today, -5) });
    await runDefaultCron(env);
    await runDefaultCron(env);
    const cases = await db().select().from(defaultCases).where(eq(defaultCases.hostId, ctx.host.hostId));
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ customerId: ctx.customer.id, invoiceId: late, reason: 'Invoice TM-2026-0042 overdue by 20 days', openedBy: 'System', closedAt: null });
    const opened = await db().select().from(activityLog).where(and(eq(activityLog.hostId, ctx.host.hostId), eq(activityLog.action, 'default.opened')));
    expect(opened).toHaveLength(1);
    // The customer list filter and status bar read the same case.
    const list = await (await getPage('/admin/customers?status=in_default', { cookie: ctx.host.owner.cookie })).text();
    expect(list).toContain('Grace Host Customer');
    expect(list).not.toContain('Grace Host Other');
  });

  it('the cron starts the redirect N days after opening, once, for the customer’s units', async () => {
    const ctx = await setup('Auto Redirect Host', { auto_redirect_days: '0' });
    const u = await unit(ctx, ctx.customer.id);
    await openByApi(ctx, ctx.customer.id);
    await runDefaultCron(env);
    await runDefaultCron(env);
    const redirects = await db().select().from(poolRedirects).where(eq(poolRedirects.hostId, ctx.host.hostId));
    expect(redirects).toHaveLength(1);
    expect(redirects[0]).toMatchObject({ customerId: ctx.customer.id, startedBy: 'System', scope: 'all' });
    expect(poolOf(await agentConfig(ctx.agent.token), u.mac)?.url).toBe(HOLDING);
  });

  it('a host with no grace days configured never opens one by itself', async () => {
    const ctx = await setup('No Grace Host', { grace_days: '' });
    await insertInvoice(ctx.host, ctx.customer.id, { status: 'overdue', dueOn: addDays(zonedDate(Date.now(), 'UTC'), -90) });
    await runDefaultCron(env);
    expect(await db().select().from(defaultCases).where(eq(defaultCases.hostId, ctx.host.hostId))).toHaveLength(0);
  });

  it('staff open one by hand with a reason (422 without, 409 when one is open), shown escaped on the tab', async () => {
    const ctx = await setup('Manual Host');
    const cookie = ctx.host.owner.cookie;
    const path = `/admin/customers/${ctx.customer.id}/default-status`;
    const empty = await postForm(`${path}/open`, { reason: '  ' }, { cookie });
    expect(empty.status).toBe(422);
    expect(await db().select().from(defaultCases).where(eq(defaultCases.customerId, ctx.customer.id))).toHaveLength(0);
    const ok = await postForm(`${path}/open`, { reason: '<script>alert(1)</script> refused to pay' }, { cookie });
    expect(ok.status).toBe(303);
    const again = await postForm(`${path}/open`, { reason: 'Twice' }, { cookie });
    expect(again.status).toBe(409);
    const page = await (await getPage(path, { cookie })).text();
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt; refused to pay');
    expect(page).not.toContain('<script>alert(1)</script>');
    const row = await db().select().from(defaultCases).where(eq(defaultCases.customerId, ctx.customer.id)).get();
    expect(row?.openedBy).toBe(ctx.host.owner.session.user.name);
  });
});

describe('redirect mechanics', () => {
  it('serves the holding pool to that site’s agent only, for the customer’s units only; confirms from telemetry; reports an unreachable unit', async () => {
    const ctx = await setup('Redirect Host');
    const a = await unit(ctx, ctx.customer.id, { user: 'cust.a' });
    const silent = await unit(ctx, ctx.customer.id, { report: false });
    const others = await unit(ctx, ctx.other.id, { user: 'other.1' });
    const otherSite = await createSite(ctx.host, 'Other site');
    const otherAgent = await registeredAgent(ctx.host, otherSite);
    const caseId = await openByApi(ctx, ctx.customer.id);

    const started = await api(`/api/v1/default-cases/${caseId}/redirect`, { key: ctx.key, method: 'POST', body: { scope: 'all' } });
    expect(started.status).toBe(201);
    const body = (await started.json()) as { data: { units: { miner_id: string; previous_pool: unknown; target_pool: { user: string } }[] } };
    expect(body.data.units.map((u) => u.miner_id).sort()).toEqual([a.id, silent.id].sort());
    expect(body.data.units.find((u) => u.miner_id === a.id)!.previous_pool).toEqual({ url: OWN, user: 'cust.a' });
    expect(body.data.units.find((u) => u.miner_id === silent.id)!.previous_pool).toBeNull();

    const config = await agentConfig(ctx.agent.token);
    expect(poolOf(config, a.mac)).toEqual({ url: HOLDING, user: `hostacct.${a.serial}`, password: 'x' });
    expect(poolOf(config, others.mac)).toBeNull();
    expect((await agentConfig(otherAgent.token)).miners).toEqual([]);

    // The unit reports the holding pool: confirmed. The silent one never reported: unreachable.
    expect((await report$(ctx, a.mac, HOLDING, `hostacct.${a.serial}`)).status).toBe(200);
    const units = await unitsOf(ctx, caseId);
    expect(units.find((u) => u.miner_id === a.id)).toMatchObject({ phase: 'redirect', status: 'confirmed' });
    expect(units.find((u) => u.miner_id === a.id)!.confirmed_at).not.toBeNull();
    expect(units.find((u) => u.miner_id === silent.id)).toMatchObject({ status: 'failed', failure: 'unreachable' });
    const statusPage = await (await getPage(`/admin/customers/${ctx.customer.id}/default-status`, { cookie: ctx.host.owner.cookie })).text();
    expect(statusPage).toContain('On the holding pool');
    expect(statusPage).toContain('Redirect failed: Unreachable');
    expect(await (await getPage(`/admin/customers?status=pool_redirected`, { cookie: ctx.host.owner.cookie })).text()).toContain('Redirect Host Customer');

    // Retry puts the failed unit back to pending.
    expect((await postForm(`/admin/customers/${ctx.customer.id}/default-status/cases/${caseId}/retry`, {}, { cookie: ctx.host.owner.cookie })).status).toBe(303);
    const retried = await db().select().from(poolRedirectUnits).where(eq(poolRedirectUnits.minerId, silent.id)).get();
    expect(retried).toMatchObject({ attempts: 2 });

    // Ending restores the exact recorded pool, confirmed by telemetry the same way.
    expect((await api(`/api/v1/default-cases/${caseId}/redirect`, { key: ctx.key, method: 'DELETE' })).status).toBe(200);
    expect(poolOf(await agentConfig(ctx.agent.token), a.mac)).toEqual({ url: OWN, user: 'cust.a', password: 'x' });
    await report$(ctx, a.mac, OWN, 'cust.a');
    const after = await unitsOf(ctx, caseId);
    expect(after.find((u) => u.miner_id === a.id)).toMatchObject({ phase: 'restore', status: 'confirmed' });
    // No pool was recorded for the silent unit: reported as not restored, never dropped.
    expect(after.find((u) => u.miner_id === silent.id)).toMatchObject({ phase: 'restore', status: 'failed', failure: 'no_previous_pool' });
    const page = await (await getPage(`/admin/customers/${ctx.customer.id}/default-status`, { cookie: ctx.host.owner.cookie })).text();
    expect(page).toContain('Units not restored');
    // Once restored, the agent is no longer told anything about it (no owner pool on record).
    expect(poolOf(await agentConfig(ctx.agent.token), a.mac)).toBeNull();
  });

  it('partial redirect picks the most efficient units first (count and percentage)', async () => {
    const ctx = await setup('Partial Host');
    const best = await unit(ctx, ctx.customer.id, { powerW: 3000, mths: 140_000 }); // 21.4 J/TH
    const mid = await unit(ctx, ctx.customer.id, { powerW: 3250, mths: 110_000 }); // 29.5
    const worst = await unit(ctx, ctx.customer.id, { powerW: 3400, mths: 95_000 }); // 35.8
    const noSpecs = await unit(ctx, ctx.customer.id, { powerW: 0, mths: 0 });
    const caseId = await openByApi(ctx, ctx.customer.id);
    const preview = await (await getPage(`/admin/customers/${ctx.customer.id}/default-status/preview?scope=percent&percent=50`, { cookie: ctx.host.owner.cookie })).text();
    expect(preview).toContain('2 of 4 units');
    expect(preview).toContain(`data-unit="${best.id}"`);
    expect(preview).toContain(`data-unit="${mid.id}"`);
    expect(preview).not.toContain(`data-unit="${worst.id}"`);
    const badCount = await api(`/api/v1/default-cases/${caseId}/redirect`, { key: ctx.key, method: 'POST', body: { scope: 'count', count: '0' } });
    expect(badCount.status).toBe(422);
    const res = await api(`/api/v1/default-cases/${caseId}/redirect`, { key: ctx.key, method: 'POST', body: { scope: 'count', count: 3 } });
    expect(res.status).toBe(201);
    const ids = (await db().select().from(poolRedirectUnits).where(eq(poolRedirectUnits.customerId, ctx.customer.id))).map((u) => u.minerId).sort();
    expect(ids).toEqual([best.id, mid.id, worst.id].sort());
    const config = await agentConfig(ctx.agent.token);
    expect(poolOf(config, noSpecs.mac)).toBeNull();
    expect(poolOf(config, worst.mac)?.url).toBe(HOLDING);
  });

  it('a unit assigned after the start joins; one unassigned leaves and is restored; the sync is idempotent', async () => {
    const ctx = await setup('Join Host');
    const first = await unit(ctx, ctx.customer.id, { user: 'cust.first' });
    const caseId = await openByApi(ctx, ctx.customer.id);
    await startRedirect(db(), env, ctx.host.hostId, staffActor(ctx.host.owner.session), caseId, { scope: 'all' });
    const late = await unit(ctx, ctx.customer.id, { user: 'cust.late' });
    // Before any sync, the config already sends the new unit to the holding pool.
    expect(poolOf(await agentConfig(ctx.agent.token), late.mac)?.url).toBe(HOLDING);
    await syncRedirects(db(), env, ctx.host.hostId);
    await syncRedirects(db(), env, ctx.host.hostId);
    const rows = await db().select().from(poolRedirectUnits).where(eq(poolRedirectUnits.customerId, ctx.customer.id));
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.minerId === late.id)).toMatchObject({ phase: 'redirect', previousPoolUser: 'cust.late' });
    await report$(ctx, first.mac, HOLDING, `hostacct.${first.serial}`);
    await syncRedirects(db(), env, ctx.host.hostId);
    await db().update(miners).set({ customerId: ctx.other.id }).where(eq(miners.id, first.id));
    await syncRedirects(db(), env, ctx.host.hostId);
    await syncRedirects(db(), env, ctx.host.hostId);
    const leftRow = await db().select().from(poolRedirectUnits).where(eq(poolRedirectUnits.minerId, first.id)).get();
    expect(leftRow).toMatchObject({ phase: 'restore', status: 'pending', previousPoolUrl: OWN });
    expect(poolOf(await agentConfig(ctx.agent.token), first.mac)).toEqual({ url: OWN, user: 'cust.first', password: 'x' });
    const joins = await db().select().from(activityLog).where(and(eq(activityLog.hostId, ctx.host.hostId), eq(activityLog.action, 'redirect.unit_joined')));
    expect(joins).toHaveLength(1);
    expect(JSON.parse(joins[0]!.changes!).unit).toEqual([null, late.serial]);
    const lefts = await db().select().from(activityLog).where(and(eq(activityLog.hostId, ctx.host.hostId), eq(activityLog.action, 'redirect.unit_left')));
    expect(lefts.map((entry) => JSON.parse(entry.changes!).unit)).toEqual([[null, first.serial]]);
  });
});

describe('paying the debt down with hashrate', () => {
  async function redirectedYesterday(name: string) {
    const ctx = await setup(name);
    const u1 = await unit(ctx, ctx.customer.id);
    const u2 = await unit(ctx, ctx.customer.id);
    const today = zonedDate(Date.now(), 'UTC');
    const invoiceA = await insertInvoice(ctx.host, ctx.customer.id, { status: 'overdue', dueOn: addDays(today, -40), totalMinor: 700 });
    const invoiceB = await insertInvoice(ctx.host, ctx.customer.id, { status: 'overdue', dueOn: addDays(today, -10), totalMinor: 50_000 });
    const caseId = await openByApi(ctx, ctx.customer.id);
    const redirect = await startRedirect(db(), env, ctx.host.hostId, staffActor(ctx.host.owner.session), caseId, { scope: 'all' });
    const yesterday = utcDay(Date.now() - DAY_MS - 3 * 3_600_000);
    const dayStart = Date.parse(`${yesterday}T00:00:00Z`);
    await db().update(poolRedirects).set({ startedAt: dayStart - DAY_MS }).where(eq(poolRedirects.id, redirect.id));
    await db().update(poolRedirectUnits).set({ status: 'confirmed', redirectedAt: dayStart - 1000, confirmedAt: dayStart - 1000 }).where(eq(poolRedirectUnits.redirectId, redirect.id));
    const hours = (minerId: string, mths: number, lastSeconds: number) =>
      Array.from({ length: 24 }, (_, h) => ({
        minerId,
        hourStart: dayStart + h * 3_600_000,
        hostId: ctx.host.hostId,
        siteId: ctx.siteId,
        customerId: ctx.customer.id,
        energyWh: 3000,
        energySource: 'miner' as const,
        avgHashrateMths: mths,
        onlineSeconds: h === 23 ? lastSeconds : 3600,
        samples: 120,
      }));
    for (const rows of [hours(u1.id, 100_000, 1800), hours(u2.id, 95_500, 3600)]) for (let i = 0; i < rows.length; i += 8) await db().insert(usageHourly).values(rows.slice(i, i + 8));
    await setHashprices(db(), ctx.host.hostId, staffActor(ctx.host.owner.session), [{ day: yesterday, priceMicros: 52_000 }], 'manual');
    return { ctx, caseId, yesterday, invoiceA, invoiceB, u1, u2 };
  }

  it('credits the day exactly, with evidence, against the oldest overdue invoice first, once even when run twice', async () => {
    const { ctx, caseId, yesterday, invoiceA, invoiceB } = await redirectedYesterday('Credit Host');
    expect(await postHashrateCredits(db(), env, ctx.host.hostId)).toBe(1);
    expect(await postHashrateCredits(db(), env, ctx.host.hostId)).toBe(0);
    await runDefaultCron(env);
    // (100,000 × 84,600 + 95,500 × 86,400) mTH·s × 52,000 µUSD × 100 ÷ (1000 × 86,400 × 10^6) = 1005.77… → 1006 cents.
    const rows = await db().select().from(credits).where(and(eq(credits.customerId, ctx.customer.id), eq(credits.kind, 'hashrate')));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ amountMinor: 1006, currency: 'USD', remainingMinor: 0 });
    const detail = JSON.parse(rows[0]!.detail!);
    expect(detail).toMatchObject({ default_case_id: caseId, day: yesterday, hashprice_usd_per_th_day: '0.052' });
    expect(detail.units.map((u: { hours: number; avg_ths: string }) => [u.hours, u.avg_ths]).sort()).toEqual([
      [24, '100'],
      [24, '95.5'],
    ]);
    expect(await db().select().from(hashrateCreditDays).where(eq(hashrateCreditDays.defaultCaseId, caseId))).toHaveLength(1);
    expect((await invoiceRow(invoiceA))).toMatchObject({ status: 'paid', paidMinor: 700 });
    expect((await invoiceRow(invoiceB))).toMatchObject({ status: 'overdue', paidMinor: 306 });
    const summary = (await (await api(`/api/v1/default-cases/${caseId}`, { key: ctx.key })).json()) as { data: { hashrate_credit: unknown[]; overdue: unknown[] } };
    expect(summary.data.hashrate_credit).toEqual([{ amount_minor: 1006, currency: 'USD' }]);
    expect(summary.data.overdue).toEqual([{ amount_minor: 49_694, currency: 'USD' }]);
  });

  it('closes the case by itself when the overdue balance reaches zero, ending the redirect (a payment counts too)', async () => {
    const { ctx, caseId, invoiceB } = await redirectedYesterday('Close Host');
    await postHashrateCredits(db(), env, ctx.host.hostId);
    expect(await autoCloseSettled(db(), env, ctx.host.hostId)).toBe(0);
    await recordPayment(db(), ctx.host.hostId, staffActor(ctx.host.owner.session), ctx.customer.id, { method: 'wire', received_on: zonedDate(Date.now(), 'UTC'), amount: '496.94', invoice_id: invoiceB });
    await runDefaultCron(env);
    await runDefaultCron(env);
    const row = await db().select().from(defaultCases).where(eq(defaultCases.id, caseId)).get();
    expect(row).toMatchObject({ closedBy: 'System', closeReason: 'Overdue balance cleared' });
    const redirect = await db().select().from(poolRedirects).where(eq(poolRedirects.defaultCaseId, caseId)).get();
    expect(redirect?.endedAt).not.toBeNull();
    const units = await db().select().from(poolRedirectUnits).where(eq(poolRedirectUnits.redirectId, redirect!.id));
    expect(units.every((u) => u.phase === 'restore')).toBe(true);
    const closes = await db().select().from(activityLog).where(and(eq(activityLog.hostId, ctx.host.hostId), eq(activityLog.action, 'default.closed')));
    expect(closes).toHaveLength(1);
  });
});

describe('a payment that clears the overdue balance', () => {
  it('closes the case at once through the payments API; a case opened by hand with nothing overdue stays open', async () => {
    const ctx = await setup('Pay Close Host');
    const invoice = await insertInvoice(ctx.host, ctx.customer.id, { status: 'overdue', dueOn: addDays(zonedDate(Date.now(), 'UTC'), -30), totalMinor: 2_500 });
    const caseId = await openByApi(ctx, ctx.customer.id);
    const manual = await openByApi(ctx, ctx.other.id, 'Broke the rules');
    const paid = await api('/api/v1/payments', { key: ctx.key, method: 'POST', body: { customer_id: ctx.customer.id, method: 'wire', received_on: zonedDate(Date.now(), 'UTC'), amount: '25.00', invoice_id: invoice } });
    expect(paid.status).toBe(201);
    expect((await db().select().from(defaultCases).where(eq(defaultCases.id, caseId)).get())?.closeReason).toBe('Overdue balance cleared');
    await runDefaultCron(env);
    expect((await db().select().from(defaultCases).where(eq(defaultCases.id, manual)).get())?.closedAt).toBeNull();
  });
});

describe('the customer’s side', () => {
  it('the portal shows the banner with the reason (escaped), amount due and what happens next; a notice email is queued', async () => {
    const ctx = await setup('Banner Host', { auto_redirect_days: '7' });
    const { portalCustomer } = await import('../helpers/alerts');
    const member = await portalCustomer(ctx.host, 'Banner Customer');
    const fine = await portalCustomer(ctx.host, 'Fine Customer');
    await insertInvoice(ctx.host, member.customer.id, { status: 'overdue', dueOn: addDays(zonedDate(Date.now(), 'UTC'), -30), totalMinor: 123_456 });
    await openByApi(ctx, member.customer.id, 'Invoice <b>late</b>');
    const page = await (await getPage(member.base, { cookie: member.cookie })).text();
    expect(page).toContain('data-testid="default-banner"');
    expect(page).toContain('In Default');
    expect(page).toContain('Invoice &lt;b&gt;late&lt;/b&gt;');
    expect(page).toContain('1,234.56 USD');
    expect(page).toContain('will be pointed at our holding pool');
    const other = await (await getPage(fine.base, { cookie: fine.cookie })).text();
    expect(other).not.toContain('default-banner');
    const { emailOutbox } = await import('../../src/db/schema');
    const mails = await db().select().from(emailOutbox).where(and(eq(emailOutbox.hostId, ctx.host.hostId), eq(emailOutbox.template, 'default_notice')));
    expect(mails.map((m) => JSON.parse(m.payload).kind)).toEqual(['opened']);
  });
});

describe('isolation and security', () => {
  it('another host’s key and another customer’s URL reach nothing', async () => {
    const ctx = await setup('Iso Host A');
    const intruder = await setup('Iso Host B');
    const caseId = await openByApi(ctx, ctx.customer.id);
    expect((await api(`/api/v1/default-cases/${caseId}`, { key: intruder.key })).status).toBe(404);
    expect((await api(`/api/v1/default-cases/${caseId}/units`, { key: intruder.key })).status).toBe(404);
    expect((await api(`/api/v1/default-cases/${caseId}/redirect`, { key: intruder.key, method: 'POST', body: {} })).status).toBe(404);
    expect((await api(`/api/v1/default-cases/${caseId}/close`, { key: intruder.key, method: 'POST', body: {} })).status).toBe(404);
    expect((await api(`/api/v1/customers/${ctx.customer.id}/default-cases`, { key: intruder.key })).status).toBe(404);
    expect((await api(`/api/v1/customers/${ctx.customer.id}/default-cases`, { key: intruder.key, method: 'POST', body: { reason: 'x' } })).status).toBe(404);
    // The case through the other customer's URL of the same host: 404, nothing closed.
    const wrong = await postForm(`/admin/customers/${ctx.other.id}/default-status/cases/${caseId}/close`, { reason: 'nope' }, { cookie: ctx.host.owner.cookie });
    expect(wrong.status).toBe(404);
    expect((await getPage(`/admin/customers/${ctx.customer.id}/default-status`, { cookie: intruder.host.owner.cookie })).status).toBe(404);
    expect((await db().select().from(defaultCases).where(eq(defaultCases.id, caseId)).get())?.closedAt).toBeNull();
  });

  it('refuses cross-site posts and posts without a session', async () => {
    const ctx = await setup('Csrf Host');
    const path = `/admin/customers/${ctx.customer.id}/default-status/open`;
    expect((await postForm(path, { reason: 'x' }, { cookie: ctx.host.owner.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await postForm('/admin/settings/default', { ...FORM }, { cookie: ctx.host.owner.cookie, origin: 'https://evil.example' })).status).toBe(403);
    const anonymous = await postForm(path, { reason: 'x' });
    expect([302, 303, 401]).toContain(anonymous.status);
    expect(await db().select().from(defaultCases).where(eq(defaultCases.customerId, ctx.customer.id))).toHaveLength(0);
  });
});

export type { TestHost };
