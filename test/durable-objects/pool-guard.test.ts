import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { alerts, customers, emailOutbox, miners } from '../../src/db/schema';
import { POOL_GUARD_GRACE_MS } from '../../src/live/pool-guard';
import { insertMiner } from '../helpers/alerts';
import { createHost, createTestCustomer, db, startPoolRedirect, type TestHost } from '../helpers/fixtures';
import { batchOf, createSite, report, stateOf } from '../helpers/telemetry';

const OWN = 'stratum+tcp://own.pool.example:3333';
const HOLDING = 'stratum+tcp://holding.pool.example:3333'; // startPoolRedirect's holding pool
const ELSEWHERE = 'stratum+tcp://elsewhere.example:3333';

async function fixture(name: string, options: { notice?: boolean } = {}) {
  const host = await createHost(name);
  const siteId = await createSite(host);
  const customer = await createTestCustomer(host, { name: `${name} Customer`, contact_email: `ops-${crypto.randomUUID().slice(0, 8)}@customer.example` });
  if (options.notice) await db().update(customers).set({ poolChangeNotice: true }).where(eq(customers.id, customer.id));
  const unit = await insertMiner(host, { siteId, customerId: customer.id });
  await db().update(miners).set({ ownerPoolUrl: OWN, ownerPoolUser: 'cust.w1' }).where(eq(miners.id, unit.id));
  const stub = stateOf(siteId);
  const ctx = { hostId: host.hostId, siteId };
  const send = (pool: string, user: string, mac = unit.mac) => stub.ingest(ctx, batchOf([report(mac, { pool_url: pool, pool_user: user })]));
  return { host, siteId, customer, unit, stub, ctx, send };
}

const alertsOf = (host: TestHost, kind: 'pool_mismatch' | 'pool_change') =>
  db().select().from(alerts).where(and(eq(alerts.hostId, host.hostId), eq(alerts.kind, kind))).orderBy(alerts.openedAt).all();

/** Moves the guard's "mismatch since" back past the grace, as if the unit had mined elsewhere that long. */
async function ageMismatch(stub: ReturnType<typeof stateOf>) {
  await runInDurableObject(stub, (instance, state) => {
    state.storage.sql.exec('UPDATE pool_watch SET mismatch_since = ? WHERE mismatch_since IS NOT NULL', Date.now() - POOL_GUARD_GRACE_MS - 1_000);
    (instance as unknown as { poolGuard: { forget(): void } }).poolGuard.forget();
  });
}

describe('pool guard', () => {
  it('raises pool_mismatch for a unit mining elsewhere past the grace, for the unit’s customer, and closes it once back', async () => {
    const { host, customer, unit, stub, send } = await fixture('Guard Host');
    await send(OWN, 'cust.w1');
    expect(await alertsOf(host, 'pool_mismatch')).toHaveLength(0);

    // pointed elsewhere: within the grace nothing yet (a change may be being applied)
    await send(ELSEWHERE, 'thief.1');
    expect(await alertsOf(host, 'pool_mismatch')).toHaveLength(0);
    await ageMismatch(stub);
    await send(ELSEWHERE, 'thief.1');
    const [raised] = await alertsOf(host, 'pool_mismatch');
    expect(raised).toMatchObject({ minerId: unit.id, customerId: customer.id, closedAt: null });
    expect(JSON.parse(raised!.detail!)).toEqual({ pool_url: ELSEWHERE, pool_user: 'thief.1', desired_url: OWN, desired_user: 'cust.w1' });

    // still elsewhere, and the alarm running twice: still one alert
    await send(ELSEWHERE, 'thief.2');
    await runDurableObjectAlarm(stub);
    await runDurableObjectAlarm(stub);
    expect(await alertsOf(host, 'pool_mismatch')).toHaveLength(1);

    // the right pool but another worker is a mismatch too; the right worker closes it
    await send(OWN, 'cust.w1');
    const [closed] = await alertsOf(host, 'pool_mismatch');
    expect(closed!.closedAt).not.toBeNull();
    await send(OWN.toUpperCase().replace('STRATUM+TCP', 'stratum+tcp'), 'someone');
    await ageMismatch(stub);
    await send(OWN, 'someone');
    expect((await alertsOf(host, 'pool_mismatch')).filter((a) => a.closedAt === null)).toHaveLength(1);
  });

  it('is not raised during a redirect: the holding pool is then the desired one, and a unit not yet switched is the redirect’s business', async () => {
    const { host, customer, stub, send } = await fixture('Guard Redirect Host');
    await send(OWN, 'cust.w1');
    await startPoolRedirect(host, customer.id);
    await stub.refreshPoolFacts();
    await send(HOLDING, 'holding');
    await ageMismatch(stub);
    await send(HOLDING, 'holding');
    await send(OWN, 'cust.w1');
    await ageMismatch(stub);
    await send(OWN, 'cust.w1');
    expect(await alertsOf(host, 'pool_mismatch')).toHaveLength(0);
  });

  it('leaves alone a unit with no pool on record, and other hosts’ units entirely', async () => {
    const { host, siteId, customer, send } = await fixture('Guard Scope Host');
    const bare = await insertMiner(host, { siteId, customerId: customer.id });
    await send(ELSEWHERE, 'x', bare.mac);
    const other = await fixture('Guard Other Host');
    await other.send(ELSEWHERE, 'thief');
    await ageMismatch(other.stub);
    await other.send(ELSEWHERE, 'thief');
    expect(await alertsOf(host, 'pool_mismatch')).toHaveLength(0);
    expect(await alertsOf(other.host, 'pool_mismatch')).toHaveLength(1);
  });
});

describe('customer pool-change notice', () => {
  const emailsTo = async (to: string) => db().select().from(emailOutbox).where(eq(emailOutbox.toEmail, to)).all();

  it('one portal alert and one email per change, the host’s redirect included; never twice under re-run alarms', async () => {
    const { host, customer, unit, stub, send } = await fixture('Notice Host', { notice: true });
    const to = customer.contactEmail;
    await send(OWN, 'cust.w1');
    expect(await alertsOf(host, 'pool_change')).toHaveLength(0);

    // the host starts a redirect: the unit moves to the holding pool, the customer hears at once
    await startPoolRedirect(host, customer.id);
    await stub.refreshPoolFacts();
    await send(HOLDING, 'holding');
    let notices = await alertsOf(host, 'pool_change');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ minerId: unit.id, customerId: customer.id, closedAt: null });
    expect(notices[0]!.emailedAt).not.toBeNull();
    expect(JSON.parse(notices[0]!.detail!)).toEqual({ pool_url: HOLDING, pool_user: 'holding', record_url: OWN, record_user: 'cust.w1' });
    let mail = await emailsTo(to);
    expect(mail).toHaveLength(1);
    expect(mail[0]!.subject).toMatch(/^Alert: Pool changed on /);
    expect(mail[0]!.payload).toContain(HOLDING);

    // more samples on the same pool, and the alarm delivered more than once: nothing new
    await send(HOLDING, 'holding');
    await runDurableObjectAlarm(stub);
    await runDurableObjectAlarm(stub);
    await send(HOLDING, 'holding');
    expect(await alertsOf(host, 'pool_change')).toHaveLength(1);
    expect(await emailsTo(to)).toHaveLength(1);

    // a further change is a new notice
    await send(ELSEWHERE, 'thief');
    notices = await alertsOf(host, 'pool_change');
    expect(notices).toHaveLength(2);
    expect(notices[0]!.closedAt).not.toBeNull();
    expect(notices[1]!.closedAt).toBeNull();
    expect(await emailsTo(to)).toHaveLength(2);

    // back on record: the notice closes, no email for that
    await send(OWN, 'cust.w1');
    expect((await alertsOf(host, 'pool_change')).every((a) => a.closedAt !== null)).toBe(true);
    expect(await emailsTo(to)).toHaveLength(2);
  });

  it('without an owner pool on record, the first pool seen is the one on record', async () => {
    const { host, siteId, customer, stub, ctx } = await fixture('Notice Baseline Host', { notice: true });
    const bare = await insertMiner(host, { siteId, customerId: customer.id });
    await stub.ingest(ctx, batchOf([report(bare.mac, { pool_url: OWN, pool_user: 'a' })]));
    await stub.ingest(ctx, batchOf([report(bare.mac, { pool_url: OWN, pool_user: 'a' })]));
    expect(await alertsOf(host, 'pool_change')).toHaveLength(0);
    await stub.ingest(ctx, batchOf([report(bare.mac, { pool_url: OWN, pool_user: 'b' })]));
    expect(await alertsOf(host, 'pool_change')).toHaveLength(1);
  });

  it('only for customers who opted in, and only to them: another customer and another host hear nothing', async () => {
    const opted = await fixture('Notice Isolation Host', { notice: true });
  const quiet = await createTestCustomer(opted.host, { name: 'Quiet Customer', contact_email: `quiet-${crypto.randomUUID().slice(0, 8)}@customer.example` });
    const quietUnit = await insertMiner(opted.host, { siteId: opted.siteId, customerId: quiet.id });
    const otherHost = await fixture('Notice Other Host', { notice: true });
    await opted.send(OWN, 'cust.w1');
    await opted.send(OWN, 'cust.w1', quietUnit.mac);
    await otherHost.send(OWN, 'cust.w1');
    await opted.send(ELSEWHERE, 'x');
    await opted.send(ELSEWHERE, 'x', quietUnit.mac);

    const notices = await alertsOf(opted.host, 'pool_change');
    expect(notices.map((a) => [a.minerId, a.customerId])).toEqual([[opted.unit.id, opted.customer.id]]);
    expect(await alertsOf(otherHost.host, 'pool_change')).toHaveLength(0);
    expect(await emailsTo(quiet.contactEmail)).toHaveLength(0);
    expect(await emailsTo(otherHost.customer.contactEmail)).toHaveLength(0);
    expect(await emailsTo(opted.customer.contactEmail)).toHaveLength(1);
  });
});
