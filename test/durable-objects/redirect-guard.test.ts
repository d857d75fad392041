import { env, runInDurableObject } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { alerts, miners } from '../../src/db/schema';
import { closeCase, endRedirect, openCase, startRedirect, syncRedirects } from '../../src/default/service';
import { staffActor } from '../../src/hosts/service';
import { POOL_GUARD_GRACE_MS } from '../../src/live/pool-guard';
import { insertMiner } from '../helpers/alerts';
import { setHoldingPool } from '../helpers/default';
import { createHost, createTestCustomer, db, type TestHost } from '../helpers/fixtures';
import { batchOf, createSite, report, stateOf } from '../helpers/telemetry';

/**
 * Issue 10: a redirect that starts, ends, or gains or loses units asks its sites' pool guards to
 * re-read their facts at once (src/default/service.ts → SiteState.refreshPoolFacts), so the guard
 * stands down or resumes without waiting for the object's own refresh (every few minutes).
 */

const OWN = 'stratum+tcp://own.pool.example:3333';
const HOLDING = 'stratum+tcp://holding.guard.example:3333';
const ELSEWHERE = 'stratum+tcp://elsewhere.example:3333';
const HOLDING_B = 'stratum+tcp://holding-b.guard.example:3333';
const HOLDING_C = 'stratum+ssl://holding-c.guard.example:443';

async function fixture(name: string) {
  const host = await createHost(name);
  const siteId = await createSite(host);
  await setHoldingPool(host, HOLDING);
  const customer = await createTestCustomer(host, { name: `${name} Customer` });
  const other = await createTestCustomer(host, { name: `${name} Other` });
  const unit = async (customerId: string | null, nominalPowerW = 3068) => {
    const u = await insertMiner(host, { siteId, customerId, nominalPowerW });
    await db().update(miners).set({ ownerPoolUrl: OWN, ownerPoolUser: `cust.${u.mac}` }).where(eq(miners.id, u.id));
    return u;
  };
  const stub = stateOf(siteId);
  const ctx = { hostId: host.hostId, siteId };
  const send = (mac: string, pool: string, user: string) => stub.ingest(ctx, batchOf([report(mac, { pool_url: pool, pool_user: user })]));
  const actor = staffActor(host.owner.session);
  const open = async (customerId: string) => (await openCase(db(), env, host.hostId, actor, customerId, { reason: 'Invoice overdue' })).id;
  return { host, siteId, customer, other, unit, stub, send, actor, open };
}

/** The guard's facts as the site's object holds them now: miner id → its redirect pool (null outside one). */
async function guardFacts(stub: ReturnType<typeof stateOf>): Promise<Map<string, string | null>> {
  return runInDurableObject(stub, (_instance, state) => {
    const rows = state.storage.sql.exec<{ miner_id: string; redirect_url: string | null }>('SELECT miner_id, redirect_url FROM pool_facts').toArray();
    return new Map(rows.map((r) => [r.miner_id, r.redirect_url]));
  });
}

/** As if every unit mining elsewhere had done so for longer than the guard's grace. */
async function ageMismatch(stub: ReturnType<typeof stateOf>) {
  await runInDurableObject(stub, (instance, state) => {
    state.storage.sql.exec('UPDATE pool_watch SET mismatch_since = ? WHERE mismatch_since IS NOT NULL', Date.now() - POOL_GUARD_GRACE_MS - 1_000);
    (instance as unknown as { poolGuard: { forget(): void } }).poolGuard.forget();
  });
}

const mismatches = (host: TestHost) =>
  db().select().from(alerts).where(and(eq(alerts.hostId, host.hostId), eq(alerts.kind, 'pool_mismatch'))).all();

describe('a redirect refreshes its sites’ pool guards at once', () => {
  it('start: the guard stands down for the customer’s units at once (no alert on the holding pool); end: it resumes at once', async () => {
    const f = await fixture('Guard Start Host');
    const mine = await f.unit(f.customer.id);
    const theirs = await f.unit(f.other.id);
    // The object learns its facts on its first ingest: no redirect yet.
    await f.send(mine.mac, OWN, `cust.${mine.mac}`);
    await f.send(theirs.mac, OWN, `cust.${theirs.mac}`);
    expect((await guardFacts(f.stub)).get(mine.id)).toBeNull();

    const caseId = await f.open(f.customer.id);
    await startRedirect(db(), env, f.host.hostId, f.actor, caseId, { scope: 'all' });
    const during = await guardFacts(f.stub);
    expect(during.get(mine.id)).toBe(HOLDING);
    expect(during.get(theirs.id)).toBeNull();

    // The unit moves to the holding pool and stays there past the grace: not an intrusion.
    await f.send(mine.mac, HOLDING, `hostacct.x`);
    await ageMismatch(f.stub);
    await f.send(mine.mac, HOLDING, `hostacct.x`);
    expect(await mismatches(f.host)).toHaveLength(0);

    await endRedirect(db(), env, f.host.hostId, f.actor, caseId);
    expect((await guardFacts(f.stub)).get(mine.id)).toBeNull();
    // Still on the holding pool long after the end (not restored): the guard speaks again.
    await f.send(mine.mac, HOLDING, `hostacct.x`);
    await ageMismatch(f.stub);
    await f.send(mine.mac, HOLDING, `hostacct.x`);
    const raised = await mismatches(f.host);
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ minerId: mine.id, customerId: f.customer.id });
  });

  it('a unit that failed over to a backup holding pool during a redirect raises no alert', async () => {
    const f = await fixture('Guard Backup Host');
    await setHoldingPool(f.host, HOLDING, { holding_pool2_url: HOLDING_B, holding_pool3_url: HOLDING_C });
    const mine = await f.unit(f.customer.id);
    await f.send(mine.mac, OWN, `cust.${mine.mac}`);
    const caseId = await f.open(f.customer.id);
    await startRedirect(db(), env, f.host.hostId, f.actor, caseId, { scope: 'all' });
    // The first holding pool is down: the unit mines on the 3rd, then the 2nd, past the grace.
    await f.send(mine.mac, HOLDING_C, `hostacct.x`);
    await ageMismatch(f.stub);
    await f.send(mine.mac, HOLDING_C, `hostacct.x`);
    await f.send(mine.mac, HOLDING_B, `hostacct.x`);
    await ageMismatch(f.stub);
    await f.send(mine.mac, HOLDING_B, `hostacct.x`);
    expect(await mismatches(f.host)).toHaveLength(0);
    // After the end, a unit left on a backup holding pool is guarded again.
    await endRedirect(db(), env, f.host.hostId, f.actor, caseId);
    await f.send(mine.mac, HOLDING_B, `hostacct.x`);
    await ageMismatch(f.stub);
    await f.send(mine.mac, HOLDING_B, `hostacct.x`);
    expect(await mismatches(f.host)).toHaveLength(1);
  });

  it('a share redirect covers only the units it chose: the others stay guarded', async () => {
    const f = await fixture('Guard Share Host');
    const efficient = await f.unit(f.customer.id, 2800);
    const thirsty = await f.unit(f.customer.id, 3400);
    await f.send(efficient.mac, OWN, `cust.${efficient.mac}`);
    await f.send(thirsty.mac, OWN, `cust.${thirsty.mac}`);

    const caseId = await f.open(f.customer.id);
    await startRedirect(db(), env, f.host.hostId, f.actor, caseId, { scope: 'count', count: '1' });
    const facts = await guardFacts(f.stub);
    expect(facts.get(efficient.id)).toBe(HOLDING);
    expect(facts.get(thirsty.id)).toBeNull();

    // The unit left out of the redirect, pointed elsewhere past the grace, is an intrusion.
    await f.send(thirsty.mac, ELSEWHERE, 'thief.1');
    await ageMismatch(f.stub);
    await f.send(thirsty.mac, ELSEWHERE, 'thief.1');
    expect((await mismatches(f.host)).map((a) => a.minerId)).toEqual([thirsty.id]);
  });

  it('a unit assigned after the start joins and one unassigned leaves at once; closing the case ends it at once', async () => {
    const f = await fixture('Guard Members Host');
    const first = await f.unit(f.customer.id);
    const late = await f.unit(null);
    await f.send(first.mac, OWN, `cust.${first.mac}`);
    await f.send(late.mac, OWN, `cust.${late.mac}`);
    const caseId = await f.open(f.customer.id);
    await startRedirect(db(), env, f.host.hostId, f.actor, caseId, { scope: 'all' });
    expect((await guardFacts(f.stub)).get(late.id)).toBeNull();

    await db().update(miners).set({ customerId: f.customer.id, status: 'assigned' }).where(eq(miners.id, late.id));
    expect((await syncRedirects(db(), env, f.host.hostId)).joined).toBe(1);
    expect((await guardFacts(f.stub)).get(late.id)).toBe(HOLDING);

    await db().update(miners).set({ customerId: f.other.id }).where(eq(miners.id, first.id));
    expect((await syncRedirects(db(), env, f.host.hostId)).left).toBe(1);
    expect((await guardFacts(f.stub)).get(first.id)).toBeNull();

    await closeCase(db(), env, f.host.hostId, f.actor, caseId, { reason: 'Paid' });
    expect((await guardFacts(f.stub)).get(late.id)).toBeNull();
  });
});
