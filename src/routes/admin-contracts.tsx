import { h } from '#jsx';
import { agreementsInForce } from '../legal/service';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { contractFormToInput, defaultEndDate } from '../contracts/schema';
import {
  activateContract,
  billingCurrencyOf,
  candidateFilterOptions,
  contractHistory,
  createContract,
  deleteDraft,
  extendLease,
  getContract,
  hostToday,
  listContracts,
  setContractSites,
  setContractUnits,
  termsAsInput,
  terminateContract,
  unitCandidates,
  updateContract,
  type ContractDetail,
  type UnitCandidateFilters,
} from '../contracts/service';
import { getCustomer, type CustomerDetail } from '../customers/service';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { staffActor } from '../hosts/service';
import { AppError, ValidationError, type FieldErrors } from '../lib/errors';
import { readForm, redirectAfterPost } from '../lib/http';
import { siteOptions } from '../sites/service';
import { CustomerShell } from '../../views/pages/customers/detail';
import { ContractListPanel } from '../../views/pages/contracts/list';
import { ContractTermsForm, EMPTY_CONTRACT_FORM, type ContractFormValues } from '../../views/pages/contracts/form';
import { ContractSitesStep, ContractUnitsStep } from '../../views/pages/contracts/equipment';
import { ContractDetailPanel } from '../../views/pages/contracts/detail';
import { ActiveContractForm } from '../../views/pages/contracts/active-form';
import { contractHref } from '../../views/pages/contracts/shared';

/** Every value of a repeated form field (checkboxes). */
async function formLists(c: Context<AppEnv>): Promise<{ fields: Record<string, string>; list: (name: string) => string[] }> {
  const body = await c.req.parseBody({ all: true });
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (typeof last === 'string') fields[key] = last;
  }
  const list = (name: string) => {
    const value = body[name];
    return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((v): v is string => typeof v === 'string');
  };
  return { fields, list };
}

function candidateFilters(query: Record<string, string>): UnitCandidateFilters {
  const availability = query.availability === 'available' || query.availability === 'in_contract' ? query.availability : undefined;
  return {
    q: (query.q ?? '').trim().slice(0, 200) || undefined,
    site: query.site || undefined,
    model: query.model || undefined,
    availability,
  };
}

/** The form's values for a stored draft; an end date that is just start + term shows blank. */
function formValuesOf(contract: ContractDetail): ContractFormValues {
  const input = termsAsInput(contract);
  const values = Object.fromEntries(Object.entries(input).map(([k, v]) => [k, typeof v === 'boolean' ? (v ? 'on' : '') : String(v ?? '')]));
  if (contract.endDate === defaultEndDate(contract.startDate, contract.termMonths)) values.end_date = '';
  return values;
}

const postedValues = (form: Record<string, string>): ContractFormValues => ({ ...EMPTY_CONTRACT_FORM, ...form, auto_renew: form.auto_renew === 'on' ? 'on' : '' });

interface Resolved {
  db: ReturnType<typeof getDb>;
  hostId: string;
  customer: CustomerDetail;
}

/** The customer, within the session's host: another host's id is a 404 before anything else. */
async function resolveCustomer(c: Context<AppEnv>): Promise<Resolved> {
  const session = c.get('staff');
  const db = getDb(c.env.DB);
  const customer = await getCustomer(db, session.host.id, c.req.param('id')!, session.siteIds);
  return { db, hostId: session.host.id, customer };
}

/** The contract, of this customer of this host (404 otherwise). */
async function resolveContract(c: Context<AppEnv>) {
  const resolved = await resolveCustomer(c);
  const contract = await getContract(resolved.db, resolved.hostId, c.req.param('contractId')!, resolved.customer.id);
  return { ...resolved, contract };
}

function shell(c: Context<AppEnv>, customer: CustomerDetail, panel: unknown, status: 200 | 404 | 409 | 422 = 200) {
  return c.html(
    <CustomerShell session={c.get('staff')} customer={customer} tab="contracts">
      {panel as never}
    </CustomerShell>,
    status,
  );
}

async function detailPanel(c: Context<AppEnv>, r: Resolved, contract: ContractDetail, extra: { errors?: FieldErrors; message?: string } = {}) {
  const session = c.get('staff');
  const [history, today, agreements] = await Promise.all([
    contractHistory(r.db, r.hostId, contract),
    hostToday(r.db, r.hostId),
    agreementsInForce(r.db, r.hostId, r.customer.id, contract.kind),
  ]);
  return (
    <ContractDetailPanel
      customerId={r.customer.id}
      contract={contract}
      history={history}
      agreements={agreements}
      timezone={session.host.timezone}
      today={today}
      notice={c.req.method === 'GET' ? c.req.query('done') : undefined}
      {...extra}
    />
  );
}

async function equipmentStep(c: Context<AppEnv>, r: Resolved, contract: ContractDetail, extra: { errors?: FieldErrors; message?: string; filters?: UnitCandidateFilters } = {}) {
  if (contract.kind === 'om') {
    const sites = await siteOptions(r.db, r.hostId);
    return <ContractSitesStep customerId={r.customer.id} contract={contract} sites={sites} errors={extra.errors} message={extra.message} />;
  }
  const filters = extra.filters ?? candidateFilters(c.req.query());
  const [candidates, options] = await Promise.all([unitCandidates(r.db, r.hostId, contract, filters), candidateFilterOptions(r.db, r.hostId, contract)]);
  return (
    <ContractUnitsStep customerId={r.customer.id} contract={contract} candidates={candidates} filters={filters} options={options} errors={extra.errors} message={extra.message} />
  );
}

/** Refusals a page shows in place (bad input 422, a lost race or a rule 409) rather than as an error page. */
function shownError(error: unknown): { errors?: FieldErrors; message: string; status: 409 | 422 } | null {
  if (error instanceof ValidationError) return { errors: error.fields, message: error.fields?.miner_ids ?? error.fields?.site_ids ?? error.message, status: 422 };
  if (error instanceof AppError && error.code === 'conflict') return { errors: error.fields, message: error.message, status: 409 };
  return null;
}

/**
 * Customer → Contracts, mounted on /admin/customers before the generic tab dispatcher, so it owns
 * `/:id/contracts` and everything below it. Each handler resolves the customer within the
 * session's host, and the contract within that customer, before anything else.
 */
export const adminContractRoutes = new Hono<AppEnv>()
  .get('/:id/contracts', async (c) => {
    const r = await resolveCustomer(c);
    const page = await listContracts(r.db, r.hostId, { customer: r.customer.id, limit: 200 });
    return shell(c, r.customer, <ContractListPanel customerId={r.customer.id} contracts={page.items} notice={c.req.query('done')} />);
  })
  .get('/:id/contracts/new', async (c) => {
    const r = await resolveCustomer(c);
    const today = await hostToday(r.db, r.hostId);
    const currency = await billingCurrencyOf(r.db, r.hostId, r.customer);
    return shell(
      c,
      r.customer,
      <ContractTermsForm
        action={`/admin/customers/${r.customer.id}/contracts`}
        values={{ ...EMPTY_CONTRACT_FORM, start_date: today }}
        currency={currency}
        cancelHref={`/admin/customers/${r.customer.id}/contracts`}
      />,
    );
  })
  .post('/:id/contracts', async (c) => {
    const r = await resolveCustomer(c);
    const session = c.get('staff');
    const form = await readForm(c);
    const intent = form.intent;
    try {
      const input = contractFormToInput(form);
      const contract = await createContract(r.db, r.hostId, staffActor(session), r.customer.id, input, { activate: intent === 'next' });
      if (contract.kind === 'infinity' && contract.status === 'active') return redirectAfterPost(c, contractHref(r.customer.id, contract.id, '?done=activated'));
      return redirectAfterPost(c, contractHref(r.customer.id, contract.id, intent === 'next' && contract.kind !== 'infinity' ? '/equipment' : '?done=saved'));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const currency = await billingCurrencyOf(r.db, r.hostId, r.customer);
      const form$ = (
        <ContractTermsForm
          action={`/admin/customers/${r.customer.id}/contracts`}
          values={postedValues(form)}
          currency={currency}
          errors={error.fields}
          cancelHref={`/admin/customers/${r.customer.id}/contracts`}
        />
      );
      if (c.req.header('HX-Request') === 'true') return c.html(form$, 422);
      return shell(c, r.customer, form$, 422);
    }
  })
  .get('/:id/contracts/:contractId', async (c) => {
    const r = await resolveContract(c);
    return shell(c, r.customer, await detailPanel(c, r, r.contract));
  })
  .get('/:id/contracts/:contractId/edit', async (c) => {
    const r = await resolveContract(c);
    const action = contractHref(r.customer.id, r.contract.id);
    if (r.contract.status === 'active') {
      return shell(c, r.customer, <ActiveContractForm action={action} contract={r.contract} cancelHref={action} />);
    }
    if (r.contract.status !== 'draft') return shell(c, r.customer, await detailPanel(c, r, r.contract, { message: `This contract is ${r.contract.status}; it can no longer be changed.` }), 409);
    return shell(c, r.customer, <ContractTermsForm action={action} values={formValuesOf(r.contract)} currency={r.contract.currency} editing cancelHref={action} />);
  })
  .post('/:id/contracts/:contractId', async (c) => {
    const r = await resolveContract(c);
    const session = c.get('staff');
    const form = await readForm(c);
    const action = contractHref(r.customer.id, r.contract.id);
    const activeInput = (): Record<string, unknown> => ({ notes: form.notes ?? '', auto_renew: form.auto_renew === 'on', renewal_notice_days: form.renewal_notice_days ?? '' });
    try {
      const updated = await updateContract(r.db, r.hostId, staffActor(session), r.contract.id, r.contract.status === 'active' ? activeInput() : contractFormToInput(form), r.customer.id);
      if (updated.status === 'draft' && form.intent === 'next') {
        if (updated.kind === 'infinity') {
          await activateContract(r.db, r.hostId, staffActor(session), updated.id, r.customer.id);
          return redirectAfterPost(c, contractHref(r.customer.id, updated.id, '?done=activated'));
        }
        return redirectAfterPost(c, contractHref(r.customer.id, updated.id, '/equipment'));
      }
      return redirectAfterPost(c, contractHref(r.customer.id, updated.id, '?done=saved'));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const form$ =
        r.contract.status === 'active' ? (
          <ActiveContractForm action={action} contract={{ ...r.contract, notes: form.notes ?? null, autoRenew: form.auto_renew === 'on' }} errors={error.fields} cancelHref={action} />
        ) : (
          <ContractTermsForm action={action} values={postedValues(form)} currency={r.contract.currency} errors={error.fields} editing cancelHref={action} />
        );
      if (c.req.header('HX-Request') === 'true') return c.html(form$, 422);
      return shell(c, r.customer, form$, 422);
    }
  })
  .get('/:id/contracts/:contractId/equipment', async (c) => {
    const r = await resolveContract(c);
    if (r.contract.status !== 'draft' || r.contract.kind === 'infinity') return c.redirect(contractHref(r.customer.id, r.contract.id), 303);
    return shell(c, r.customer, await equipmentStep(c, r, r.contract));
  })
  .post('/:id/contracts/:contractId/equipment', async (c) => {
    const r = await resolveContract(c);
    const actor = staffActor(c.get('staff'));
    const { fields, list } = await formLists(c);
    const filters = candidateFilters(fields);
    try {
      let contract = r.contract;
      if (contract.kind === 'om') {
        contract = await setContractSites(r.db, r.hostId, actor, contract.id, { site_ids: list('site_ids') }, r.customer.id);
      } else if (contract.kind === 'hosted' || contract.kind === 'lease') {
        // Units outside this page's filter keep their selection; ticks on the page replace the rest.
        const visible = new Set(list('visible_ids'));
        const keep = contract.units.map((u) => u.id).filter((id) => !visible.has(id));
        const chosen = new Set([...keep, ...list('miner_ids')]);
        if (fields.all_filtered === 'on') {
          for (const id of (await unitCandidates(r.db, r.hostId, contract, filters)).matchingIds) chosen.add(id);
        }
        contract = await setContractUnits(r.db, r.hostId, actor, contract.id, { miner_ids: [...chosen] }, r.customer.id);
      }
      if (fields.intent === 'complete') {
        await activateContract(r.db, r.hostId, actor, contract.id, r.customer.id);
        return redirectAfterPost(c, contractHref(r.customer.id, contract.id, '?done=activated'));
      }
      const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v) as [string, string][]).toString();
      return redirectAfterPost(c, contractHref(r.customer.id, contract.id, `/equipment${query ? `?${query}` : ''}`));
    } catch (error) {
      const shown = shownError(error);
      if (!shown) throw error;
      const fresh = await getContract(r.db, r.hostId, r.contract.id, r.customer.id);
      if (fresh.status !== 'draft') return shell(c, r.customer, await detailPanel(c, r, fresh, { message: shown.message }), shown.status);
      return shell(c, r.customer, await equipmentStep(c, r, fresh, { errors: shown.errors, message: shown.message, filters }), shown.status);
    }
  })
  .post('/:id/contracts/:contractId/activate', async (c) => {
    const r = await resolveContract(c);
    try {
      await activateContract(r.db, r.hostId, staffActor(c.get('staff')), r.contract.id, r.customer.id);
      return redirectAfterPost(c, contractHref(r.customer.id, r.contract.id, '?done=activated'));
    } catch (error) {
      const shown = shownError(error);
      if (!shown) throw error;
      const fresh = await getContract(r.db, r.hostId, r.contract.id, r.customer.id);
      return shell(c, r.customer, await detailPanel(c, r, fresh, { message: shown.message }), shown.status);
    }
  })
  .post('/:id/contracts/:contractId/extend', async (c) => {
    const r = await resolveContract(c);
    const form = await readForm(c);
    try {
      await extendLease(r.db, r.hostId, staffActor(c.get('staff')), r.contract.id, { months: form.months ?? '' }, r.customer.id);
      return redirectAfterPost(c, contractHref(r.customer.id, r.contract.id, '?done=extended'));
    } catch (error) {
      const shown = shownError(error);
      if (!shown) throw error;
      return shell(c, r.customer, await detailPanel(c, r, r.contract, { errors: shown.errors, message: shown.message }), shown.status);
    }
  })
  .post('/:id/contracts/:contractId/terminate', async (c) => {
    const r = await resolveContract(c);
    const form = await readForm(c);
    try {
      const ended = await terminateContract(r.db, r.hostId, staffActor(c.get('staff')), r.contract.id, { end_date: form.end_date ?? '', reason: form.reason ?? '' }, {
        customerId: r.customer.id,
      });
      return redirectAfterPost(c, contractHref(r.customer.id, r.contract.id, ended.status === 'terminated' ? '?done=terminated' : '?done=scheduled'));
    } catch (error) {
      const shown = shownError(error);
      if (!shown) throw error;
      return shell(c, r.customer, await detailPanel(c, r, r.contract, { errors: shown.errors, message: shown.message }), shown.status);
    }
  })
  .post('/:id/contracts/:contractId/delete', async (c) => {
    const r = await resolveContract(c);
    try {
      await deleteDraft(r.db, r.hostId, staffActor(c.get('staff')), r.contract.id, r.customer.id);
      return redirectAfterPost(c, `/admin/customers/${r.customer.id}/contracts?done=deleted`);
    } catch (error) {
      const shown = shownError(error);
      if (!shown) throw error;
      return shell(c, r.customer, await detailPanel(c, r, r.contract, { message: shown.message }), shown.status);
    }
  });
