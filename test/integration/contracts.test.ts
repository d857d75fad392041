import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import worker from '../../src/index';
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
import { getDb } from '../../src/db/client';
import { contractMiners, contracts, miners } from '../../src/db/schema';
import { AppError, ValidationError } from '../../src/lib/errors';
import { createHost, createTestCustomer, db, getPage, postForm, type TestHost } from '../helpers/fixtures';
import { fetchForm, makeSite } from '../helpers/equipment';
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
    // 422 when the loser's pre-read already saw the winner, 409 when the index refused its batch
    // (the test below forces that path); the same words either way.
    expect([409, 422]).toContain((failure.reason as AppError).status);
    expect((failure.reason as AppError).fields?.miner_ids).toContain('already under the active contract');
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

// ---------------------------------------------------------------------------------------------
// The pages: the two-step wizard for every type, the list, the detail actions, the cron.

const base = (customerId: string) => `/admin/customers/${customerId}/contracts`;
const locationOf = (res: Response) => res.headers.get('Location') ?? '';
const contractIdFrom = (res: Response) => /contracts\/([0-9a-f-]{36})/.exec(locationOf(res))![1]!;

async function pageHtml(path: string, cookie: string) {
  const res = await getPage(path, { cookie });
  expect(res.status, path).toBe(200);
  return res.text();
}

/** Step 1 through the form; returns the new contract's id and where the wizard went next. */
async function step1(host: TestHost, customerId: string, terms: Record<string, string>, intent = 'next') {
  const res = await postForm(base(customerId), { ...terms, intent }, { cookie: host.owner.cookie });
  expect(res.status, (await res.clone().text()).match(/field-error[^<]*>([^<]*)/g)?.join(' | ')).toBe(303);
  return { id: contractIdFrom(res), location: locationOf(res) };
}

/** Step 2 through the form: ticks (as the page shows them), then Complete Setup or Save selection. */
function step2(host: TestHost, customerId: string, contractId: string, fields: [string, string][]) {
  return fetchForm(`${base(customerId)}/${contractId}/equipment`, new URLSearchParams(fields), host.owner.cookie);
}

describe('New Contract wizard', () => {
  it('takes a hosted per-kWh contract through both steps: draft first, active on Complete Setup', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const unit = await customerUnit(host, customer.id);
    const newPage = await pageHtml(`${base(customer.id)}/new`, host.owner.cookie);
    expect(newPage).toContain('Next: Assign Equipment');
    expect(newPage).toContain('for="f-energy_rate_per_kwh"');
    const { id, location } = await step1(host, customer.id, TERMS.hostedMetered);
    expect(location).toBe(`${base(customer.id)}/${id}/equipment`);
    expect(await contractRow(id)).toMatchObject({ status: 'draft', energyRateMicrosPerKwh: 65_000, endDate: '2026-12-31' });
    const stepPage = await pageHtml(location, host.owner.cookie);
    expect(stepPage).toContain(`data-miner-id="${unit.id}"`);
    expect(stepPage).toContain('Complete Setup');
    const res = await step2(host, customer.id, id, [['visible_ids', unit.id], ['miner_ids', unit.id], ['intent', 'complete']]);
    expect(res.status).toBe(303);
    expect(locationOf(res)).toBe(`${base(customer.id)}/${id}?done=activated`);
    expect(await contractRow(id)).toMatchObject({ status: 'active' });
    const detail = await pageHtml(`${base(customer.id)}/${id}`, host.owner.cookie);
    expect(detail).toContain(unit.serial!);
    expect(detail).toContain('completed setup (activated)');
    const list = await pageHtml(base(customer.id), host.owner.cookie);
    expect(list).toContain('Hosted metered');
    expect(list).toContain('badge-contract-active');
  });

  it('selects every unit a filter matches (hosted spec and fixed fee), keeping units outside the filter', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const site = await makeSite(host);
    const s19 = [await customerUnit(host, customer.id, { model: 'S19', site_id: site.id }), await customerUnit(host, customer.id, { model: 'S19', site_id: site.id })];
    const m30 = await customerUnit(host, customer.id, { model: 'M30S' });
    const spec = await step1(host, customer.id, TERMS.hostedSpec);
    const filtered = await pageHtml(`${spec.location}?model=S19&site=${site.id}`, host.owner.cookie);
    expect(filtered).not.toContain(`data-miner-id="${m30.id}"`);
    expect(filtered).toContain('Select all 2 available units');
    // Tick M30S on an unfiltered page first, then select all S19s under the filter.
    expect((await step2(host, customer.id, spec.id, [['visible_ids', m30.id], ['miner_ids', m30.id], ['intent', 'save']])).status).toBe(303);
    const res = await step2(host, customer.id, spec.id, [
      ['model', 'S19'],
      ['site', site.id],
      ...s19.map((u) => ['visible_ids', u.id] as [string, string]),
      ['all_filtered', 'on'],
      ['intent', 'complete'],
    ]);
    expect(res.status).toBe(303);
    expect((await contractUnitRows(spec.id)).map((r) => r.minerId).sort()).toEqual([...s19.map((u) => u.id), m30.id].sort());
    expect(await contractRow(spec.id)).toMatchObject({ status: 'active', kwhSource: 'spec' });

    // The units are taken: a fixed-fee contract cannot have them, and says so on the page.
    const fixed = await step1(host, customer.id, TERMS.hostedFixed);
    const refused = await step2(host, customer.id, fixed.id, [['visible_ids', m30.id], ['miner_ids', m30.id], ['intent', 'complete']]);
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('already under the active contract');
    expect(await contractRow(fixed.id)).toMatchObject({ status: 'draft' });
    expect(await contractUnitRows(fixed.id)).toHaveLength(0);
  });

  it('leases the host’s unassigned units and assigns them to the customer on Complete Setup', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const unit = await stockUnit(host);
    const { id, location } = await step1(host, customer.id, TERMS.lease);
    expect(await pageHtml(location, host.owner.cookie)).toContain(`data-miner-id="${unit.id}"`);
    const res = await step2(host, customer.id, id, [['visible_ids', unit.id], ['miner_ids', unit.id], ['intent', 'complete']]);
    expect(res.status).toBe(303);
    expect(await minerRowOf(unit.id)).toMatchObject({ customerId: customer.id, status: 'assigned' });
    // Extend three times through the page; the fourth is refused with a clear message.
    for (let i = 0; i < 3; i++) expect((await postForm(`${base(customer.id)}/${id}/extend`, { months: '' }, { cookie: host.owner.cookie })).status).toBe(303);
    const fourth = await postForm(`${base(customer.id)}/${id}/extend`, { months: '1' }, { cookie: host.owner.cookie });
    expect(fourth.status).toBe(409);
    expect(await fourth.text()).toContain('extended 3 times, the most allowed');
    expect(await contractRow(id)).toMatchObject({ extensions: 3, endDate: '2027-12-31' });
  });

  it('activates an Infinity contract at once, with no equipment step', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const { id, location } = await step1(host, customer.id, TERMS.infinity);
    expect(location).toBe(`${base(customer.id)}/${id}?done=activated`);
    expect(await contractRow(id)).toMatchObject({ status: 'active', infinityMths: 250_500 });
    expect(await pageHtml(location, host.owner.cookie)).toContain('250.5 TH/s');
  });

  it('covers sites for O&M, and the Overview counts only active contracts and shows the sites card', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const site = await makeSite(host, { name: 'Permian 7' });
    const draft = await step1(host, customer.id, TERMS.om);
    await step1(host, customer.id, TERMS.lease, 'draft');
    expect(await pageHtml(draft.location, host.owner.cookie)).toContain('Permian 7');
    const res = await step2(host, customer.id, draft.id, [['site_ids', site.id], ['intent', 'complete']]);
    expect(res.status).toBe(303);
    expect(await contractRow(draft.id)).toMatchObject({ status: 'active' });
    const overview = await pageHtml(`/admin/customers/${customer.id}`, host.owner.cookie);
    expect(overview).toMatch(/data-testid="active-contracts">\s*1\s*</);
    expect(overview).toContain('data-testid="om-sites"');
  });

  it('re-renders step 1 with field errors and stores nothing when the terms are wrong', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const res = await postForm(base(customer.id), { ...TERMS.hostedMetered, energy_rate_per_kwh: '-1', term_months: '200', end_date: '2025-01-01', intent: 'next' }, { cookie: host.owner.cookie });
    expect(res.status).toBe(422);
    const page = await res.text();
    expect(page).toContain('Enter a rate of zero or more.');
    expect(page).toContain('Term must be a whole number from 1 to 120.');
    expect(page).toContain('value="Hosted metered"');
    expect(await contractsOf(host)).toHaveLength(0);
    const htmx = await postForm(base(customer.id), { ...TERMS.lease, monthly_fee: 'abc', intent: 'next' }, { cookie: host.owner.cookie, htmx: true });
    expect(htmx.status).toBe(422);
    expect(await htmx.text()).toContain('id="contract-form"');
    expect(await contractsOf(host)).toHaveLength(0);
  });

  it('resumes, edits and deletes a draft', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const { id } = await step1(host, customer.id, TERMS.lease, 'draft');
    const edit = await pageHtml(`${base(customer.id)}/${id}/edit`, host.owner.cookie);
    expect(edit).toContain('value="250.00"');
    const saved = await postForm(`${base(customer.id)}/${id}`, { ...TERMS.lease, term_months: '3', monthly_fee: '300', intent: 'draft' }, { cookie: host.owner.cookie });
    expect(saved.status).toBe(303);
    expect(await contractRow(id)).toMatchObject({ termMonths: 3, endDate: '2026-03-31', monthlyFeeMinor: 30_000 });
    const list = await pageHtml(base(customer.id), host.owner.cookie);
    expect(list).toContain('Resume setup');
    expect(list).toContain('badge-contract-draft');
    const deleted = await postForm(`${base(customer.id)}/${id}/delete`, {}, { cookie: host.owner.cookie });
    expect(locationOf(deleted)).toBe(`${base(customer.id)}?done=deleted`);
    expect(await contractRow(id)).toBeUndefined();
    expect(await pageHtml(base(customer.id), host.owner.cookie)).toContain('No contracts yet');
  });

  it('terminates from the detail page with an end date and a reason', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const { id } = await step1(host, customer.id, TERMS.infinity);
    const missing = await postForm(`${base(customer.id)}/${id}/terminate`, { end_date: '2026-02-01', reason: '' }, { cookie: host.owner.cookie });
    expect(missing.status).toBe(422);
    expect(await missing.text()).toContain('Reason is required.');
    expect(await contractRow(id)).toMatchObject({ status: 'active' });
    const res = await postForm(`${base(customer.id)}/${id}/terminate`, { end_date: '2026-02-01', reason: 'Customer asked' }, { cookie: host.owner.cookie });
    expect(locationOf(res)).toBe(`${base(customer.id)}/${id}?done=terminated`);
    expect(await contractRow(id)).toMatchObject({ status: 'terminated', endDate: '2026-02-01', endReason: 'Customer asked' });
  });
});

describe('the scheduled handler', () => {
  it('runs the contract lifecycle: an expiring lease returns its units to the host', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const unit = await stockUnit(host);
    const lease = await createContract(db(), host.hostId, actorOf(host), customer.id, { ...TERMS.lease, miner_ids: [unit.id] });
    await activateContract(db(), host.hostId, actorOf(host), lease.id);
    const renewing = await createContract(db(), host.hostId, actorOf(host), customer.id, { ...TERMS.infinity, term_months: '6', auto_renew: true }, { activate: true });
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.parse('2026-07-02T12:00:00Z'), cron: '*/15 * * * *' }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await contractRow(lease.id)).toMatchObject({ status: 'expired' });
    expect(await minerRowOf(unit.id)).toMatchObject({ customerId: null, status: 'unassigned' });
    expect(await contractRow(renewing.id)).toMatchObject({ status: 'active', endDate: '2026-12-31' });
    expect((await contractActivity(host, 'contract.expired')).length).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Races decided by the database: a rival write lands between the service's pre-read and its
// batch (a D1 whose first write batch runs the rival first), so the pre-read passes and only the
// statements in the batch can refuse.

/** env.DB, except that the first batch of at least `minStatements` statements runs `rival` first. */
function d1WithRival(rival: () => Promise<unknown>, minStatements = 4): D1Database {
  let fired = false;
  return new Proxy(env.DB, {
    get(target, prop) {
      if (prop === 'batch') {
        return async (statements: D1PreparedStatement[]) => {
          if (!fired && statements.length >= minStatements) {
            fired = true;
            await rival();
          }
          return target.batch(statements);
        };
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('races the database settles', () => {
  it('refuses an activation whose unit another contract activated after the pre-read (partial unique index → 409)', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const unit = await customerUnit(host, customer.id);
    const mine = await createContract(db(), host.hostId, actorOf(host), customer.id, { ...TERMS.hostedMetered, miner_ids: [unit.id] });
    const rival = await createContract(db(), host.hostId, actorOf(host), customer.id, { ...TERMS.hostedFixed, miner_ids: [unit.id] });
    const racing = getDb(d1WithRival(() => activateContract(db(), host.hostId, actorOf(host), rival.id)));
    const error = await rejection(activateContract(racing, host.hostId, actorOf(host), mine.id));
    expect(error.status).toBe(409);
    expect(error.fields?.miner_ids).toContain('already under the active contract');
    expect(await contractRow(mine.id)).toMatchObject({ status: 'draft', activatedAt: null });
    expect((await contractUnitRows(mine.id))[0]?.active).toBe(false);
    expect(await contractRow(rival.id)).toMatchObject({ status: 'active' });
    expect(await contractActivity(host, 'contract.activated')).toHaveLength(1);
  });

  it('refuses a lease whose unit was assigned elsewhere after the pre-read, and assigns nothing', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const rivalCustomer = await createTestCustomer(host, { name: 'Rival' });
    const [taken, free] = [await stockUnit(host), await stockUnit(host)];
    const lease = await createContract(db(), host.hostId, actorOf(host), customer.id, { ...TERMS.lease, miner_ids: [taken.id, free.id] });
    const racing = getDb(d1WithRival(() => db().update(miners).set({ customerId: rivalCustomer.id, status: 'assigned' }).where(eq(miners.id, taken.id))));
    const error = await rejection(activateContract(racing, host.hostId, actorOf(host), lease.id));
    expect(error.status).toBe(409);
    expect(error.fields?.miner_ids).toContain('not in your unassigned stock');
    expect(await contractRow(lease.id)).toMatchObject({ status: 'draft' });
    expect(await minerRowOf(free.id)).toMatchObject({ customerId: null, status: 'unassigned' });
    expect(await minerRowOf(taken.id)).toMatchObject({ customerId: rivalCustomer.id });
  });

  it('keeps a unit in one active contract in the schema itself', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const unit = await customerUnit(host, customer.id);
    const a = await createContract(db(), host.hostId, actorOf(host), customer.id, { ...TERMS.hostedMetered, miner_ids: [unit.id] });
    const b = await createContract(db(), host.hostId, actorOf(host), customer.id, { ...TERMS.hostedFixed, miner_ids: [unit.id] });
    await db().update(contractMiners).set({ active: true }).where(eq(contractMiners.contractId, a.id));
    const error = await db()
      .update(contractMiners)
      .set({ active: true })
      .where(eq(contractMiners.contractId, b.id))
      .then(
        () => null,
        (e: unknown) => e as Error,
      );
    expect(String(error?.cause)).toMatch(/UNIQUE constraint failed: contract_miners\.miner_id/);
  });
});
