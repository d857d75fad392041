import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  activateContract,
  createContract,
  deleteDraft,
  extendLease,
  getContract,
  runContractLifecycle,
  setContractSites,
  setContractUnits,
  terminateContract,
  updateContract,
} from '../../src/contracts/service';
import { contracts } from '../../src/db/schema';
import { AppError, ValidationError } from '../../src/lib/errors';
import { createHost, createTestCustomer, db } from '../helpers/fixtures';
import { makeSite } from '../helpers/equipment';
import { actorOf, contractActivity, contractRow, contractsOf, contractUnitRows, customerUnit, minerRowOf, stockUnit, TERMS } from '../helpers/contracts';

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('contract terms', () => {
  it('stores money in minor units, rates in micro-units, and computes the end date', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const hosted = await createContract(db(), host.hostId, actorOf(host), customer.id, { ...TERMS.hostedMetered, setup_fee: '99.95', deposit: '1000' });
    expect(hosted).toMatchObject({ status: 'draft', currency: 'USD', energyRateMicrosPerKwh: 65_000, setupFeeMinor: 9995, depositMinor: 100_000, endDate: '2026-12-31' });
    const infinity = await createContract(db(), host.hostId, actorOf(host), customer.id, TERMS.infinity);
    expect(infinity).toMatchObject({ infinityMths: 250_500, priceMicrosPerThDay: 55_000, pricing: null, monthlyFeeMinor: null });
    const hashrate = await createContract(db(), host.hostId, actorOf(host), customer.id, { ...TERMS.hostedHashrate, start_date: '2026-01-31', term_months: '1' });
    expect(hashrate).toMatchObject({ efficiencyMjPerTh: 21_500, endDate: '2026-02-27' });
  });

  it('refuses bad terms with a field error each and stores nothing', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const cases: [Record<string, unknown>, string][] = [
      [{ ...TERMS.hostedMetered, energy_rate_per_kwh: '-0.05' }, 'energy_rate_per_kwh'],
      [{ ...TERMS.hostedMetered, energy_rate_per_kwh: '5000' }, 'energy_rate_per_kwh'],
      [{ ...TERMS.hostedFixed, monthly_fee: '-1' }, 'monthly_fee'],
      [{ ...TERMS.hostedFixed, monthly_fee: '1.005' }, 'monthly_fee'],
      [{ ...TERMS.lease, monthly_fee: '999999999' }, 'monthly_fee'],
      [{ ...TERMS.lease, end_date: '2025-12-31' }, 'end_date'],
      [{ ...TERMS.lease, currency: 'XYZ' }, 'currency'],
      [{ ...TERMS.lease, currency: 'EUR' }, 'currency'],
      [{ ...TERMS.lease, term_months: '0' }, 'term_months'],
      [{ ...TERMS.lease, term_months: '121' }, 'term_months'],
      [{ ...TERMS.lease, start_date: '2026-02-30' }, 'start_date'],
      [{ ...TERMS.hostedHashrate, efficiency_j_per_th: '' }, 'efficiency_j_per_th'],
      [{ ...TERMS.infinity, price_per_th_day: '2000' }, 'price_per_th_day'],
      [{ ...TERMS.hostedMetered, pricing: '' }, 'pricing'],
    ];
    for (const [input, field] of cases) {
      const error = await rejection(createContract(db(), host.hostId, actorOf(host), customer.id, input));
      expect(error, JSON.stringify(input)).toBeInstanceOf(ValidationError);
      expect(Object.keys(error.fields ?? {}), JSON.stringify(input)).toContain(field);
    }
    expect(await contractsOf(host)).toHaveLength(0);
  });
});

describe('contract lifecycle', () => {
  it('activates a hosted contract over the customer’s own units only, one active contract per unit', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const other = await createTestCustomer(host, { name: 'Other' });
    const mine = await customerUnit(host, customer.id);
    const theirs = await customerUnit(host, other.id);
    const draft = await createContract(db(), host.hostId, actorOf(host), customer.id, TERMS.hostedMetered);
    const refused = await rejection(setContractUnits(db(), host.hostId, actorOf(host), draft.id, { miner_ids: [mine.id, theirs.id] }));
    expect(refused.fields?.miner_ids).toContain('not assigned to this customer');
    expect(await contractUnitRows(draft.id)).toHaveLength(0);
    await setContractUnits(db(), host.hostId, actorOf(host), draft.id, { miner_ids: [mine.id] });
    const active = await activateContract(db(), host.hostId, actorOf(host), draft.id);
    expect(active).toMatchObject({ status: 'active', unitCount: 1 });
    expect((await contractUnitRows(draft.id))[0]?.active).toBe(true);

    const second = await createContract(db(), host.hostId, actorOf(host), customer.id, TERMS.hostedFixed);
    const taken = await rejection(setContractUnits(db(), host.hostId, actorOf(host), second.id, { miner_ids: [mine.id] }));
    expect(taken.fields?.miner_ids).toContain('already under the active contract');
  });

  it('lets only one of two racing activations take a unit', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const unit = await customerUnit(host, customer.id);
    const a = await createContract(db(), host.hostId, actorOf(host), customer.id, { ...TERMS.hostedMetered, miner_ids: [unit.id] });
    const b = await createContract(db(), host.hostId, actorOf(host), customer.id, { ...TERMS.hostedFixed, miner_ids: [unit.id] });
    const results = await Promise.allSettled([activateContract(db(), host.hostId, actorOf(host), a.id), activateContract(db(), host.hostId, actorOf(host), b.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failure = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(failure.reason).toBeInstanceOf(AppError);
    expect((failure.reason as AppError).status).toBe(409);
    const statuses = [(await contractRow(a.id))!.status, (await contractRow(b.id))!.status].sort();
    expect(statuses).toEqual(['active', 'draft']);
    expect(await contractActivity(host, 'contract.activated')).toHaveLength(1);
  });

  it('leases the host’s stock: activation assigns the units, three extensions at most, expiry returns them', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const units = [await stockUnit(host), await stockUnit(host)];
    const lease = await createContract(db(), host.hostId, actorOf(host), customer.id, TERMS.lease);
    await setContractUnits(db(), host.hostId, actorOf(host), lease.id, { miner_ids: units.map((u) => u.id) });
    await activateContract(db(), host.hostId, actorOf(host), lease.id);
    for (const unit of units) expect(await minerRowOf(unit.id)).toMatchObject({ customerId: customer.id, status: 'assigned' });
    expect((await extendLease(db(), host.hostId, actorOf(host), lease.id, {})).endDate).toBe('2026-12-31');
    expect((await extendLease(db(), host.hostId, actorOf(host), lease.id, { months: 2 })).endDate).toBe('2027-02-28');
    expect((await extendLease(db(), host.hostId, actorOf(host), lease.id, { months: '1' })).endDate).toBe('2027-03-31');
    const fourth = await rejection(extendLease(db(), host.hostId, actorOf(host), lease.id, {}));
    expect(fourth.status).toBe(409);
    expect(fourth.message).toContain('3 times');
    expect((await contractRow(lease.id))).toMatchObject({ extensions: 3, endDate: '2027-03-31' });

    const notYet = await runContractLifecycle(db(), Date.parse('2027-03-31T12:00:00Z'));
    expect(notYet.expired).not.toContain(lease.id);
    const report = await runContractLifecycle(db(), Date.parse('2027-04-01T12:00:00Z'));
    expect(report.expired).toContain(lease.id);
    expect(await contractRow(lease.id)).toMatchObject({ status: 'expired', endReason: 'Term ended' });
    for (const unit of units) expect(await minerRowOf(unit.id)).toMatchObject({ customerId: null, status: 'unassigned' });
    expect((await contractUnitRows(lease.id)).every((row) => !row.active)).toBe(true);
    const entry = (await contractActivity(host, 'contract.expired'))[0]!;
    expect(entry.actorKind).toBe('system');
    expect(JSON.parse(entry.changes!).returned_units[0]).toContain(units[0]!.serial);
  });

  it('renews auto-renewing contracts for another term instead of expiring them', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const contract = await createContract(db(), host.hostId, actorOf(host), customer.id, { ...TERMS.om, auto_renew: true, term_months: '12' }, {});
    await setContractSites(db(), host.hostId, actorOf(host), contract.id, { site_ids: [(await makeSite(host)).id] });
    await activateContract(db(), host.hostId, actorOf(host), contract.id);
    await runContractLifecycle(db(), Date.parse('2027-01-02T12:00:00Z'));
    expect(await contractRow(contract.id)).toMatchObject({ status: 'active', endDate: '2027-12-31' });
    expect(await contractActivity(host, 'contract.renewed')).toHaveLength(1);
  });

  it('terminates now or on a later date, releasing units', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const unit = await customerUnit(host, customer.id);
    const contract = await createContract(db(), host.hostId, actorOf(host), customer.id, { ...TERMS.hostedSpec, miner_ids: [unit.id] });
    await activateContract(db(), host.hostId, actorOf(host), contract.id);
    const now = Date.parse('2026-06-15T12:00:00Z');
    const scheduled = await terminateContract(db(), host.hostId, actorOf(host), contract.id, { end_date: '2026-06-30', reason: 'Moving out' }, { now });
    expect(scheduled).toMatchObject({ status: 'active', endDate: '2026-06-30', endReason: 'Moving out' });
    const report = await runContractLifecycle(db(), Date.parse('2026-07-01T12:00:00Z'));
    expect(report.terminated).toContain(contract.id);
    expect(await contractRow(contract.id)).toMatchObject({ status: 'terminated', endReason: 'Moving out' });
    expect((await contractUnitRows(contract.id))[0]?.active).toBe(false);
    // Released: the unit can go under a new contract.
    const next = await createContract(db(), host.hostId, actorOf(host), customer.id, { ...TERMS.hostedSpec, miner_ids: [unit.id] });
    expect((await activateContract(db(), host.hostId, actorOf(host), next.id)).status).toBe('active');
    const immediate = await terminateContract(db(), host.hostId, actorOf(host), next.id, { end_date: '2026-03-01', reason: 'Breach' }, { now });
    expect(immediate).toMatchObject({ status: 'terminated', endDate: '2026-03-01' });
  });

  it('edits and deletes drafts only; an active contract takes only notes and auto-renew', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const draft = await createContract(db(), host.hostId, actorOf(host), customer.id, TERMS.infinity);
    const edited = await updateContract(db(), host.hostId, actorOf(host), draft.id, { term_months: 6 });
    expect(edited.endDate).toBe('2026-06-30');
    await activateContract(db(), host.hostId, actorOf(host), draft.id);
    const refused = await rejection(updateContract(db(), host.hostId, actorOf(host), draft.id, { price_per_th_day: '1' }));
    expect(refused.fields?.price_per_th_day).toBeDefined();
    expect((await updateContract(db(), host.hostId, actorOf(host), draft.id, { notes: 'VIP', auto_renew: true })).autoRenew).toBe(true);
    expect((await rejection(deleteDraft(db(), host.hostId, actorOf(host), draft.id))).status).toBe(409);
    const other = await createContract(db(), host.hostId, actorOf(host), customer.id, TERMS.lease);
    await deleteDraft(db(), host.hostId, actorOf(host), other.id);
    expect(await db().select().from(contracts).where(eq(contracts.id, other.id)).get()).toBeUndefined();
    expect((await getContract(db(), host.hostId, draft.id)).notes).toBe('VIP');
  });
});
