import { and, asc, desc, eq, getTableColumns, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { activityInsert, activityInsertIfChanged, type Actor, type Changes } from '../activity/service';
import { addDays, addMonths, parseIsoDate, zonedDate } from '../billing/periods';
import { microsTimesMilliAmountMinor, minorToDecimalText } from '../billing/money';
import { getCustomer } from '../customers/service';
import type { Db } from '../db/client';
import { activityLog, contractMiners, contracts, contractSites, customers, hosts, miners, sites } from '../db/schema';
import { inIds } from '../db/sql';
import { unitIdent } from '../equipment/naming';
import { openHost } from '../hosts/open';
import { decodeCursor, encodeCursor, keysetPage } from '../lib/cursor';
import { AppError, notFound, ValidationError } from '../lib/errors';
import { formatScaledDecimal } from '../lib/decimal';
import { newId } from '../lib/ids';
import { parseInput } from '../lib/validation';
import { microsToDecimal } from '../sites/schema';
import {
  ACTIVE_EDITABLE_FIELDS,
  activeContractPatchSchema,
  contractTermsSchema,
  contractScopeSchema,
  createContractSchema,
  defaultEndDate,
  extendSchema,
  MAX_LEASE_EXTENSIONS,
  siteSelectionSchema,
  TERM_FIELD_NAMES,
  terminateSchema,
  unitSelectionSchema,
  type ContractKind,
  type ContractRow,
  type ContractTerms,
} from './schema';

/**
 * Contracts (docs/billing/contracts.md). Every state change is one guarded statement (its WHERE
 * names the status it expects) in one db.batch with its activity entry, so two people (or a
 * person and the cron) acting at once cannot both win, and a refused change leaves no trace.
 * Activity entries carry `_contract_id` so a contract's history is a lookup in the log.
 */

export type { ContractRow };
export type ContractStatus = ContractRow['status'];

export interface ContractSummary extends ContractRow {
  customerName: string;
  unitCount: number;
  siteCount: number;
  /** Fixed monthly value in minor units; null for per-kWh contracts (it depends on usage). */
  monthlyValueMinor: number | null;
}

export interface ContractUnit {
  id: string;
  label: string;
  model: string | null;
  siteName: string | null;
  status: string;
  nominalPowerW: number | null;
  nominalHashrateMths: number | null;
  active: boolean;
}

export interface ContractDetail extends ContractSummary {
  units: ContractUnit[];
  sites: { id: string; name: string }[];
}

/** An infinity contract's monthly value is quoted on a 30-day month (invoices prorate by day). */
export const INFINITY_VALUE_DAYS = 30;

export function monthlyValueMinor(contract: Pick<ContractRow, 'kind' | 'pricing' | 'monthlyFeeMinor' | 'infinityMths' | 'priceMicrosPerThDay' | 'currency'>, unitCount: number): number | null {
  switch (contract.kind) {
    case 'hosted':
      return contract.pricing === 'fixed_per_unit' && contract.monthlyFeeMinor !== null ? contract.monthlyFeeMinor * unitCount : null;
    case 'lease':
      return contract.monthlyFeeMinor === null ? null : contract.monthlyFeeMinor * unitCount;
    case 'om':
      return contract.monthlyFeeMinor;
    case 'infinity':
      if (contract.infinityMths === null || contract.priceMicrosPerThDay === null) return null;
      return microsTimesMilliAmountMinor(contract.priceMicrosPerThDay, contract.infinityMths * INFINITY_VALUE_DAYS, contract.currency);
  }
}

const CONTRACT_ID = sql.raw('"contracts"."id"');
const CONTRACT_STATUS = sql.raw('"contracts"."status"');

/** Units: every row of the contract while a draft or ended (what it covered); the active ones while active. */
function summaryColumns() {
  return {
    ...getTableColumns(contracts),
    // Aliased: D1 returns rows as arrays keyed by name, and two "name" columns would collide.
    customerName: sql<string>`${customers.name}`.as('customer_name'),
    unitCount: sql<number>`(SELECT count(*) FROM contract_miners cm WHERE cm.contract_id = ${CONTRACT_ID}
      AND (cm.active = 1 OR ${CONTRACT_STATUS} <> 'active'))`.as('unit_count'),
    siteCount: sql<number>`(SELECT count(*) FROM contract_sites cs WHERE cs.contract_id = ${CONTRACT_ID})`.as('site_count'),
  };
}

type SummaryRow = ContractRow & { customerName: string; unitCount: number; siteCount: number };

const toSummary = (row: SummaryRow): ContractSummary => ({ ...row, monthlyValueMinor: monthlyValueMinor(row, row.unitCount) });

// ---------------------------------------------------------------------------------------------
// Reading.

export interface ContractListQuery {
  customer?: string;
  status?: ContractStatus;
  kind?: ContractKind;
  limit?: number;
  cursor?: string;
}

export const CONTRACT_PAGE_SIZE = 50;

/** Newest first, keyset-paged on (created_at, id). */
export async function listContracts(db: Db, hostId: string, query: ContractListQuery = {}) {
  const limit = query.limit ?? CONTRACT_PAGE_SIZE;
  const conditions: (SQL | undefined)[] = [
    eq(contracts.hostId, hostId),
    query.customer ? eq(contracts.customerId, query.customer) : undefined,
    query.status ? eq(contracts.status, query.status) : undefined,
    query.kind ? eq(contracts.kind, query.kind) : undefined,
  ];
  if (query.cursor) {
    const [createdAt, id] = decodeCursor(query.cursor, 'cursor');
    conditions.push(or(lt(contracts.createdAt, Number(createdAt)), and(eq(contracts.createdAt, Number(createdAt)), lt(contracts.id, id))));
  }
  const rows = await db
    .select(summaryColumns())
    .from(contracts)
    .innerJoin(customers, eq(customers.id, contracts.customerId))
    .where(and(...conditions))
    .orderBy(desc(contracts.createdAt), desc(contracts.id))
    .limit(limit + 1)
    .all();
  const { page, nextCursor } = keysetPage(rows, limit, { goingBack: false, fromCursor: Boolean(query.cursor) }, (row) =>
    encodeCursor([row.createdAt, row.id]),
  );
  return { items: page.map(toSummary), nextCursor };
}

/** A contract of this host (and of this customer when given), with its units and sites. */
export async function getContract(db: Db, hostId: string, contractId: string, customerId?: string): Promise<ContractDetail> {
  const [rows, unitRows, siteRows] = await db.batch([
    db
      .select(summaryColumns())
      .from(contracts)
      .innerJoin(customers, eq(customers.id, contracts.customerId))
      .where(and(eq(contracts.hostId, hostId), eq(contracts.id, contractId), customerId ? eq(contracts.customerId, customerId) : undefined)),
    db
      .select({
        id: miners.id,
        serial: miners.serial,
        mac: miners.mac,
        model: miners.model,
        siteName: sites.name,
        status: miners.status,
        nominalPowerW: miners.nominalPowerW,
        nominalHashrateMths: miners.nominalHashrateMths,
        active: contractMiners.active,
      })
      .from(contractMiners)
      .innerJoin(miners, eq(miners.id, contractMiners.minerId))
      .leftJoin(sites, eq(sites.id, miners.siteId))
      .where(and(eq(contractMiners.hostId, hostId), eq(contractMiners.contractId, contractId)))
      .orderBy(asc(sql`lower(coalesce(${miners.serial}, ${miners.mac}, ''))`), asc(miners.id)),
    db
      .select({ id: sites.id, name: sites.name })
      .from(contractSites)
      .innerJoin(sites, eq(sites.id, contractSites.siteId))
      .where(and(eq(contractSites.hostId, hostId), eq(contractSites.contractId, contractId)))
      .orderBy(asc(sql`lower(${sites.name})`)),
  ]);
  const row = rows[0];
  if (!row) throw notFound('Contract');
  return {
    ...toSummary(row),
    units: unitRows.map((u) => ({
      id: u.id,
      label: unitIdent(u),
      model: u.model,
      siteName: u.siteName,
      status: u.status,
      nominalPowerW: u.nominalPowerW,
      nominalHashrateMths: u.nominalHashrateMths,
      active: u.active,
    })),
    sites: siteRows,
  };
}

export interface ContractHistoryEntry {
  id: string;
  actorKind: string;
  actorLabel: string;
  action: string;
  changes: Changes | null;
  createdAt: number;
}

/** The contract's activity entries, newest first (bounded: a contract has a short life story). */
export async function contractHistory(db: Db, hostId: string, contract: Pick<ContractRow, 'id' | 'customerId'>): Promise<ContractHistoryEntry[]> {
  const rows = await db
    .select({
      id: activityLog.id,
      actorKind: activityLog.actorKind,
      actorLabel: activityLog.actorLabel,
      action: activityLog.action,
      changes: activityLog.changes,
      createdAt: activityLog.createdAt,
    })
    .from(activityLog)
    .where(
      and(
        eq(activityLog.hostId, hostId),
        eq(activityLog.customerId, contract.customerId),
        sql`instr(${activityLog.changes}, ${`"_contract_id":${JSON.stringify([contract.id, contract.id])}`}) > 0`,
      ),
    )
    .orderBy(desc(sql`${activityLog}.rowid`))
    .limit(100)
    .all();
  return rows.map((row) => ({ ...row, changes: row.changes ? (JSON.parse(row.changes) as Changes) : null }));
}

// ---------------------------------------------------------------------------------------------
// Units a contract may take.

/** Lease stock: the host's units with no customer, not retired (the same pool Equipment assigns from). */
const LEASE_STOCK_STATUSES = ['staged', 'unassigned'] as const;

export interface UnitCandidateFilters {
  site?: string;
  model?: string;
  /** available = under no other active contract; in_contract = under one. */
  availability?: 'available' | 'in_contract';
  q?: string;
}

export interface UnitCandidate extends ContractUnit {
  /** The other active contract holding it, if any. */
  otherContract: { id: string; name: string } | null;
}

export const CANDIDATE_LIMIT = 500;

function candidateScope(hostId: string, contract: Pick<ContractRow, 'kind' | 'customerId'>): SQL {
  return contract.kind === 'lease'
    ? and(eq(miners.hostId, hostId), isNull(miners.customerId), inArray(miners.status, [...LEASE_STOCK_STATUSES]))!
    : and(eq(miners.hostId, hostId), eq(miners.customerId, contract.customerId), eq(miners.status, 'assigned'))!;
}

const OTHER_ACTIVE = (contractId: string) =>
  sql`(SELECT c.id || char(31) || c.name FROM contract_miners ocm JOIN contracts c ON c.id = ocm.contract_id
    WHERE ocm.miner_id = ${miners.id} AND ocm.active = 1 AND ocm.contract_id <> ${contractId} LIMIT 1)`;

/**
 * Units the contract could cover (hosted: the customer's own assigned units; lease: the host's
 * unassigned stock), filtered, at most CANDIDATE_LIMIT shown; `total` counts every match.
 */
export async function unitCandidates(
  db: Db,
  hostId: string,
  contract: Pick<ContractRow, 'id' | 'kind' | 'customerId'>,
  filters: UnitCandidateFilters,
): Promise<{ items: UnitCandidate[]; total: number; matchingIds: string[] }> {
  const q = filters.q?.trim().toLowerCase();
  const other = OTHER_ACTIVE(contract.id);
  const where = and(
    candidateScope(hostId, contract),
    filters.site ? eq(miners.siteId, filters.site) : undefined,
    filters.model ? eq(miners.model, filters.model) : undefined,
    filters.availability === 'available' ? sql`${other} IS NULL` : filters.availability === 'in_contract' ? sql`${other} IS NOT NULL` : undefined,
    q
      ? sql`(instr(lower(coalesce(${miners.serial}, '')), ${q}) > 0 OR instr(lower(coalesce(${miners.mac}, '')), ${q}) > 0
          OR instr(lower(coalesce(${miners.ip}, '')), ${q}) > 0 OR instr(lower(coalesce(${miners.model}, '')), ${q}) > 0
          OR instr(lower(coalesce(${miners.rackLocation}, '')), ${q}) > 0)`
      : undefined,
  );
  const rows = await db
    .select({
      id: miners.id,
      serial: miners.serial,
      mac: miners.mac,
      model: miners.model,
      siteName: sites.name,
      status: miners.status,
      nominalPowerW: miners.nominalPowerW,
      nominalHashrateMths: miners.nominalHashrateMths,
      other: sql<string | null>`${other}`.as('other_contract'),
      selected: sql<number>`EXISTS (SELECT 1 FROM contract_miners s WHERE s.contract_id = ${contract.id} AND s.miner_id = ${miners.id})`.as('selected'),
    })
    .from(miners)
    .leftJoin(sites, eq(sites.id, miners.siteId))
    .where(where)
    .orderBy(asc(sql`lower(coalesce(${miners.serial}, ${miners.mac}, ''))`), asc(miners.id))
    .all();
  return {
    total: rows.length,
    matchingIds: rows.filter((r) => r.other === null).map((r) => r.id),
    items: rows.slice(0, CANDIDATE_LIMIT).map((r) => {
      const [otherId, otherName] = r.other ? r.other.split('\u001f') : [];
      return {
        id: r.id,
        label: unitIdent(r),
        model: r.model,
        siteName: r.siteName,
        status: r.status,
        nominalPowerW: r.nominalPowerW,
        nominalHashrateMths: r.nominalHashrateMths,
        active: Boolean(r.selected),
        otherContract: otherId ? { id: otherId, name: otherName ?? '' } : null,
      };
    }),
  };
}

/** The models and sites among a contract's candidate units, for the step-2 filters. */
export async function candidateFilterOptions(db: Db, hostId: string, contract: Pick<ContractRow, 'kind' | 'customerId'>) {
  const rows = await db
    .selectDistinct({ siteId: miners.siteId, siteName: sites.name, model: miners.model })
    .from(miners)
    .leftJoin(sites, eq(sites.id, miners.siteId))
    .where(candidateScope(hostId, contract))
    .all();
  const siteMap = new Map<string, string>();
  const models = new Set<string>();
  for (const row of rows) {
    if (row.siteId && row.siteName) siteMap.set(row.siteId, row.siteName);
    if (row.model) models.add(row.model);
  }
  return {
    sites: [...siteMap].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name)),
    models: [...models].sort((a, b) => a.localeCompare(b)),
  };
}

/**
 * Why each unit cannot go under this contract, in one message for the `miner_ids` field (empty
 * when all can). Read before writing, for a clear message; the guarded batch is what enforces it.
 */
async function unitProblems(db: Db, hostId: string, contract: Pick<ContractRow, 'id' | 'kind' | 'customerId'>, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select({
      id: miners.id,
      serial: miners.serial,
      mac: miners.mac,
      customerId: miners.customerId,
      status: miners.status,
      other: sql<string | null>`${OTHER_ACTIVE(contract.id)}`.as('other_contract'),
    })
    .from(miners)
    .where(and(eq(miners.hostId, hostId), inIds(miners.id, ids)))
    .all();
  const byId = new Map(rows.map((row) => [row.id, row]));
  const problems: string[] = [];
  for (const id of ids) {
    const row = byId.get(id);
    if (!row) {
      problems.push(`Unit ${id} is not one of your units.`);
      continue;
    }
    const label = unitIdent(row);
    if (contract.kind === 'lease') {
      if (row.customerId !== null || !(LEASE_STOCK_STATUSES as readonly string[]).includes(row.status)) {
        problems.push(`${label} is not in your unassigned stock (a lease covers your own units).`);
        continue;
      }
    } else if (row.customerId !== contract.customerId || row.status !== 'assigned') {
      problems.push(`${label} is not assigned to this customer.`);
      continue;
    }
    if (row.other) problems.push(`${label} is already under the active contract “${row.other.split('\u001f')[1] ?? ''}”.`);
  }
  return problems;
}

const problemsMessage = (problems: string[]) =>
  problems.length <= 3 ? problems.join(' ') : `${problems.slice(0, 3).join(' ')} And ${problems.length - 3} more units cannot be added.`;

// ---------------------------------------------------------------------------------------------
// Writing: drafts.

const changesOfTerms = (before: Partial<ContractRow>, after: ContractTerms): Changes => {
  const show = (column: keyof ContractTerms, value: unknown, currency: string): unknown => {
    if (value === null || value === undefined) return null;
    if (column === 'monthlyFeeMinor' || column === 'setupFeeMinor' || column === 'depositMinor') return `${minorToDecimalText(value as number, currency)} ${currency}`;
    if (column === 'energyRateMicrosPerKwh' || column === 'priceMicrosPerThDay') return microsToDecimal(value as number);
    if (column === 'infinityMths' || column === 'efficiencyMjPerTh') return (value as number) / 1000;
    return value;
  };
  const names: Record<keyof ContractTerms, string> = {
    kind: 'kind',
    name: 'name',
    currency: 'currency',
    startDate: 'start_date',
    termMonths: 'term_months',
    endDate: 'end_date',
    autoRenew: 'auto_renew',
    renewalNoticeDays: 'renewal_notice_days',
    pricing: 'pricing',
    kwhSource: 'kwh_source',
    energyRateMicrosPerKwh: 'energy_rate_per_kwh',
    efficiencyMjPerTh: 'efficiency_j_per_th',
    monthlyFeeMinor: 'monthly_fee',
    infinityMths: 'infinity_ths',
    priceMicrosPerThDay: 'price_per_th_day',
    setupFeeMinor: 'setup_fee',
    depositMinor: 'deposit',
    notes: 'notes',
  };
  const changes: Changes = {};
  for (const column of Object.keys(names) as (keyof ContractTerms)[]) {
    const was = show(column, before[column], before.currency ?? after.currency);
    const now = show(column, after[column], after.currency);
    if (was !== now && !(was === null && now === null)) changes[names[column]] = [was ?? null, now];
  }
  return changes;
};

const contractRef = (id: string): Changes => ({ _contract_id: [id, id] });

/** A customer's billing currency: its own, else the host's default. */
export async function billingCurrencyOf(db: Db, hostId: string, customer: { billingCurrency: string | null }): Promise<string> {
  if (customer.billingCurrency) return customer.billingCurrency;
  const host = await db.select({ currency: hosts.defaultCurrency }).from(hosts).where(eq(hosts.id, hostId)).get();
  return host?.currency ?? 'USD';
}

async function customerCurrency(db: Db, hostId: string, customerId: string) {
  const customer = await getCustomer(db, hostId, customerId);
  return { customer, currency: await billingCurrencyOf(db, hostId, customer) };
}

/** Terms from raw input, in the customer's currency (which a contract must use: one currency per invoice). */
function parseTerms(raw: Record<string, unknown>, currency: string): ContractTerms {
  const terms = parseInput(contractTermsSchema, { ...raw, currency: raw.currency ?? currency });
  if (terms.currency !== currency) {
    throw new ValidationError({
      currency: `Contracts are billed in the customer’s currency, ${currency}. Change the customer’s billing currency first to use ${terms.currency}.`,
    });
  }
  return terms;
}

const pickTerms = (raw: Record<string, unknown>) => Object.fromEntries(Object.entries(raw).filter(([key]) => (TERM_FIELD_NAMES as string[]).includes(key)));

/**
 * Step 1: a draft with its terms (API: optionally its units or sites too). An infinity contract
 * has no equipment step: `activate` makes it active in the same batch.
 */
export async function createContract(
  db: Db,
  hostId: string,
  actor: Actor,
  customerId: string,
  raw: Record<string, unknown>,
  options: { activate?: boolean } = {},
): Promise<ContractDetail> {
  const { customer, currency } = await customerCurrency(db, hostId, customerId);
  const extra = parseInput(contractScopeSchema, Object.fromEntries(Object.entries(raw).filter(([key]) => key === 'miner_ids' || key === 'site_ids')));
  const terms = parseTerms(Object.fromEntries(Object.entries(raw).filter(([key]) => key !== 'miner_ids' && key !== 'site_ids')), currency);
  const activateNow = options.activate === true && terms.kind === 'infinity';
  if (extra.miner_ids?.length && terms.kind !== 'hosted' && terms.kind !== 'lease') throw new ValidationError({ miner_ids: 'Only hosted and lease contracts cover units.' });
  if (extra.site_ids?.length && terms.kind !== 'om') throw new ValidationError({ site_ids: 'Only O&M contracts cover sites.' });
  const id = newId();
  const now = Date.now();
  const draft = { id, kind: terms.kind, customerId: customer.id };
  if (extra.miner_ids?.length) {
    const problems = await unitProblems(db, hostId, draft, extra.miner_ids);
    if (problems.length) throw new ValidationError({ miner_ids: problemsMessage(problems) });
  }
  if (extra.site_ids?.length) await checkSites(db, hostId, extra.site_ids);
  await db.batch([
    db.insert(contracts).values({
      ...terms,
      id,
      hostId,
      customerId: customer.id,
      status: activateNow ? 'active' : 'draft',
      activatedAt: activateNow ? now : null,
      createdAt: now,
      updatedAt: now,
    }),
    ...(extra.miner_ids ?? []).map((minerId) => db.insert(contractMiners).values({ contractId: id, minerId, hostId, active: false, addedAt: now })),
    ...(extra.site_ids ?? []).map((siteId) => db.insert(contractSites).values({ contractId: id, siteId, hostId })),
    activityInsert(db, hostId, actor, activateNow ? 'contract.activated' : 'contract.created', customer.id, { ...changesOfTerms({}, terms), ...contractRef(id) }, now),
  ]);
  return getContract(db, hostId, id);
}

/**
 * A draft contract's insert and activity entry, unexecuted, for a caller that batches them with
 * the customer they belong to (an accepted quote: the customer does not exist yet).
 */
export function draftContractStatements(db: Db, hostId: string, actor: Actor, customerId: string, currency: string, raw: Record<string, unknown>, now = Date.now()) {
  const terms = parseTerms(pickTerms(raw), currency);
  const id = newId();
  const statements = [
    db.insert(contracts).values({ ...terms, id, hostId, customerId, status: 'draft', createdAt: now, updatedAt: now }),
    activityInsert(db, hostId, actor, 'contract.created', customerId, { ...changesOfTerms({}, terms), ...contractRef(id) }, now),
  ] as const;
  return { id, terms, statements };
}

/** Stored terms as raw input again (decimal text), so a patch can be merged and re-validated whole. */
export function termsAsInput(row: ContractRow): Record<string, unknown> {
  const money = (value: number | null) => (value === null ? '' : minorToDecimalText(value, row.currency));
  const milli = (value: number | null) => (value === null ? '' : formatScaledDecimal(value, 3));
  return {
    kind: row.kind,
    name: row.name,
    currency: row.currency,
    start_date: row.startDate,
    term_months: row.termMonths,
    end_date: row.endDate,
    auto_renew: row.autoRenew,
    renewal_notice_days: row.renewalNoticeDays,
    pricing: row.pricing ?? '',
    kwh_source: row.kwhSource ?? '',
    energy_rate_per_kwh: row.energyRateMicrosPerKwh === null ? '' : microsToDecimal(row.energyRateMicrosPerKwh),
    efficiency_j_per_th: milli(row.efficiencyMjPerTh),
    monthly_fee: money(row.monthlyFeeMinor),
    infinity_ths: milli(row.infinityMths),
    price_per_th_day: row.priceMicrosPerThDay === null ? '' : microsToDecimal(row.priceMicrosPerThDay),
    setup_fee: money(row.setupFeeMinor),
    deposit: money(row.depositMinor),
    notes: row.notes ?? '',
  };
}

/**
 * PATCH a contract. A draft takes any term (and, from the API, a new unit or site list); when its
 * start or term changes and no end date is given, the end date follows them. An active contract
 * takes only notes and auto-renew; ended ones take nothing.
 */
export async function updateContract(db: Db, hostId: string, actor: Actor, contractId: string, raw: Record<string, unknown>, customerId?: string): Promise<ContractDetail> {
  const existing = await getContract(db, hostId, contractId, customerId);
  if (existing.status === 'active') return updateActiveContract(db, hostId, actor, existing, raw);
  if (existing.status !== 'draft') throw new AppError('conflict', `This contract is ${existing.status}; it can no longer be changed.`);
  const { miner_ids: minerIds, site_ids: siteIds, ...rest } = raw;
  const merged = { ...termsAsInput(existing), ...pickTerms(rest) };
  for (const key of Object.keys(rest)) if (!(TERM_FIELD_NAMES as string[]).includes(key)) (merged as Record<string, unknown>)[key] = rest[key];
  const startOrTermChanged = ('start_date' in rest && rest.start_date !== existing.startDate) || ('term_months' in rest && String(rest.term_months) !== String(existing.termMonths));
  const endGiven = 'end_date' in rest && rest.end_date !== '' && rest.end_date !== null;
  if (!endGiven && (startOrTermChanged || rest.end_date === '' || rest.end_date === null)) merged.end_date = '';
  const { currency } = await customerCurrency(db, hostId, existing.customerId);
  const terms = parseTerms(merged, currency);
  const kindChanged = terms.kind !== existing.kind;
  const changes = changesOfTerms(existing, terms);
  const now = Date.now();
  const guard = and(eq(contracts.hostId, hostId), eq(contracts.id, existing.id), eq(contracts.status, 'draft'));
  if (Object.keys(changes).length > 0) {
    const [updated] = await db.batch([
      db.update(contracts).set({ ...terms, updatedAt: now }).where(guard).returning({ id: contracts.id }),
      activityInsertIfChanged(db, hostId, actor, 'contract.updated', existing.customerId, { ...changes, ...contractRef(existing.id) }, now),
      // A draft that changes kind loses the equipment chosen for the old kind.
      ...(kindChanged
        ? [
            db.delete(contractMiners).where(and(eq(contractMiners.contractId, existing.id), sql`EXISTS (SELECT 1 FROM contracts c WHERE c.id = ${existing.id} AND c.status = 'draft')`)),
            db.delete(contractSites).where(and(eq(contractSites.contractId, existing.id), sql`EXISTS (SELECT 1 FROM contracts c WHERE c.id = ${existing.id} AND c.status = 'draft')`)),
          ]
        : []),
    ]);
    if (updated.length === 0) throw new AppError('conflict', 'This contract was activated or removed meanwhile; reload the page.');
  }
  if (minerIds !== undefined) await setContractUnits(db, hostId, actor, existing.id, { miner_ids: minerIds });
  if (siteIds !== undefined) await setContractSites(db, hostId, actor, existing.id, { site_ids: siteIds });
  return getContract(db, hostId, existing.id);
}

async function updateActiveContract(db: Db, hostId: string, actor: Actor, existing: ContractDetail, raw: Record<string, unknown>): Promise<ContractDetail> {
  const refused = Object.keys(raw).filter((key) => !(ACTIVE_EDITABLE_FIELDS as readonly string[]).includes(key));
  if (refused.length > 0) {
    throw new ValidationError(
      Object.fromEntries(refused.map((key) => [key, 'An active contract’s terms are fixed: only notes and auto-renew can change. Terminate it and make a new one to change terms.'])),
    );
  }
  const input = parseInput(activeContractPatchSchema, raw);
  const values: Partial<ContractRow> = {};
  const changes: Changes = {};
  if (input.notes !== undefined && input.notes !== existing.notes) {
    values.notes = input.notes;
    changes.notes = [existing.notes, input.notes];
  }
  if (input.auto_renew !== undefined && input.auto_renew !== existing.autoRenew) {
    values.autoRenew = input.auto_renew;
    changes.auto_renew = [existing.autoRenew, input.auto_renew];
  }
  if (input.renewal_notice_days !== undefined && input.renewal_notice_days !== existing.renewalNoticeDays) {
    values.renewalNoticeDays = input.renewal_notice_days;
    changes.renewal_notice_days = [existing.renewalNoticeDays, input.renewal_notice_days];
  }
  if (Object.keys(changes).length === 0) return existing;
  const now = Date.now();
  const [updated] = await db.batch([
    db
      .update(contracts)
      .set({ ...values, updatedAt: now })
      .where(and(eq(contracts.hostId, hostId), eq(contracts.id, existing.id), eq(contracts.status, 'active')))
      .returning({ id: contracts.id }),
    activityInsertIfChanged(db, hostId, actor, 'contract.updated', existing.customerId, { ...changes, ...contractRef(existing.id) }, now),
  ]);
  if (updated.length === 0) throw new AppError('conflict', 'This contract ended meanwhile; reload the page.');
  return getContract(db, hostId, existing.id);
}

export async function deleteDraft(db: Db, hostId: string, actor: Actor, contractId: string, customerId?: string): Promise<void> {
  const existing = await getContract(db, hostId, contractId, customerId);
  if (existing.status !== 'draft') throw new AppError('conflict', 'Only a draft can be deleted; terminate an active contract instead.');
  const now = Date.now();
  const [deleted] = await db.batch([
    db
      .delete(contracts)
      .where(and(eq(contracts.hostId, hostId), eq(contracts.id, existing.id), eq(contracts.status, 'draft')))
      .returning({ id: contracts.id }),
    activityInsertIfChanged(db, hostId, actor, 'contract.deleted', existing.customerId, { name: [existing.name, null], kind: [existing.kind, null], ...contractRef(existing.id) }, now),
  ]);
  if (deleted.length === 0) throw new AppError('conflict', 'This contract was activated meanwhile; it is no longer a draft.');
}

const isDraftSql = (contractId: string) => sql`EXISTS (SELECT 1 FROM contracts c WHERE c.id = ${contractId} AND c.status = 'draft')`;

/** Step 2 (hosted, lease): the draft's units become exactly these. */
export async function setContractUnits(db: Db, hostId: string, actor: Actor, contractId: string, raw: unknown, customerId?: string): Promise<ContractDetail> {
  const { miner_ids: ids } = parseInput(unitSelectionSchema, raw);
  const existing = await getContract(db, hostId, contractId, customerId);
  if (existing.kind !== 'hosted' && existing.kind !== 'lease') throw new ValidationError({ miner_ids: 'Only hosted and lease contracts cover units.' });
  if (existing.status !== 'draft') throw new AppError('conflict', 'Units can be chosen only while the contract is a draft.');
  const problems = await unitProblems(db, hostId, existing, ids);
  if (problems.length) throw new ValidationError({ miner_ids: problemsMessage(problems) });
  const before = new Set(existing.units.map((u) => u.id));
  const added = ids.filter((id) => !before.has(id));
  const removed = existing.units.filter((u) => !ids.includes(u.id));
  if (added.length === 0 && removed.length === 0) return existing;
  const now = Date.now();
  await db.batch([
    db.delete(contractMiners).where(and(eq(contractMiners.contractId, existing.id), sql`${contractMiners.minerId} NOT IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`, isDraftSql(existing.id))),
    db
      .insert(contractMiners)
      .select(
        sql`SELECT ${existing.id}, value, ${hostId}, 0, ${now} FROM json_each(${JSON.stringify(added)}) WHERE ${isDraftSql(existing.id)}`,
      ),
    db.update(contracts).set({ updatedAt: now }).where(and(eq(contracts.id, existing.id), eq(contracts.status, 'draft'))),
    activityInsertIfChanged(
      db,
      hostId,
      actor,
      'contract.units_changed',
      existing.customerId,
      { units: [existing.units.length, ids.length], _miner_ids: [removed.map((u) => u.id), added], ...contractRef(existing.id) },
      now,
    ),
  ]);
  const after = await getContract(db, hostId, existing.id);
  if (after.status !== 'draft') throw new AppError('conflict', 'This contract was activated meanwhile; its units can no longer change.');
  return after;
}

async function checkSites(db: Db, hostId: string, ids: string[]) {
  const found = await db.select({ id: sites.id }).from(sites).where(and(eq(sites.hostId, hostId), inIds(sites.id, ids))).all();
  const known = new Set(found.map((s) => s.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length) throw new ValidationError({ site_ids: `${unknown.length === 1 ? 'One site is' : `${unknown.length} sites are`} not among your sites.` });
}

/** Step 2 (O&M): the draft's sites become exactly these (the host's own sites). */
export async function setContractSites(db: Db, hostId: string, actor: Actor, contractId: string, raw: unknown, customerId?: string): Promise<ContractDetail> {
  const { site_ids: ids } = parseInput(siteSelectionSchema, raw);
  const existing = await getContract(db, hostId, contractId, customerId);
  if (existing.kind !== 'om') throw new ValidationError({ site_ids: 'Only O&M contracts cover sites.' });
  if (existing.status !== 'draft') throw new AppError('conflict', 'Sites can be chosen only while the contract is a draft.');
  await checkSites(db, hostId, ids);
  const before = new Set(existing.sites.map((s) => s.id));
  const added = ids.filter((id) => !before.has(id));
  const removed = existing.sites.filter((s) => !ids.includes(s.id));
  if (added.length === 0 && removed.length === 0) return existing;
  const now = Date.now();
  await db.batch([
    db.delete(contractSites).where(and(eq(contractSites.contractId, existing.id), sql`${contractSites.siteId} NOT IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`, isDraftSql(existing.id))),
    db.insert(contractSites).select(sql`SELECT ${existing.id}, value, ${hostId} FROM json_each(${JSON.stringify(added)}) WHERE ${isDraftSql(existing.id)}`),
    db.update(contracts).set({ updatedAt: now }).where(and(eq(contracts.id, existing.id), eq(contracts.status, 'draft'))),
    activityInsertIfChanged(db, hostId, actor, 'contract.sites_changed', existing.customerId, { sites: [existing.sites.length, ids.length], ...contractRef(existing.id) }, now),
  ]);
  return getContract(db, hostId, existing.id);
}

// ---------------------------------------------------------------------------------------------
// Activation ("Complete Setup").

const isUniqueError = (error: unknown) => /UNIQUE|constraint/i.test(String(error instanceof Error ? `${error.message} ${String(error.cause ?? '')}` : error));

/**
 * Activates a draft in one batch. The partial unique index contract_miners_one_active keeps a
 * unit in one active contract even when two activations race; the statement before it refuses
 * the whole batch when a unit stopped being eligible after it was chosen (unassigned from the
 * customer, or for a lease taken from the stock). A lease's units pass to the customer in the
 * same batch.
 */
export async function activateContract(db: Db, hostId: string, actor: Actor, contractId: string, customerId?: string): Promise<ContractDetail> {
  const existing = await getContract(db, hostId, contractId, customerId);
  if (existing.status === 'active') throw new AppError('conflict', 'This contract is already active.');
  if (existing.status !== 'draft') throw new AppError('conflict', `This contract is ${existing.status}; it cannot be activated again.`);
  if ((existing.kind === 'hosted' || existing.kind === 'lease') && existing.units.length === 0) {
    throw new ValidationError({ miner_ids: 'Choose at least one unit before completing setup.' });
  }
  if (existing.kind === 'om' && existing.sites.length === 0) throw new ValidationError({ site_ids: 'Choose at least one site before completing setup.' });
  const unitIds = existing.units.map((u) => u.id);
  const problems = await unitProblems(db, hostId, existing, unitIds);
  if (problems.length) throw new ValidationError({ miner_ids: problemsMessage(problems) });
  const now = Date.now();
  const draft = isDraftSql(existing.id);
  const ineligible =
    existing.kind === 'lease'
      ? sql`(m.customer_id IS NOT NULL OR m.status NOT IN ('staged', 'unassigned'))`
      : sql`(m.customer_id IS NOT ${existing.customerId} OR m.status <> 'assigned')`;
  const statements = [
    // An assertion: re-inserting an existing (contract_id, miner_id) fails the primary key, and so
    // the batch, exactly when some unit is no longer eligible at the moment of activation.
    db
      .insert(contractMiners)
      .select(
        sql`SELECT cm.contract_id, cm.miner_id, cm.host_id, cm.active, cm.added_at FROM contract_miners cm JOIN miners m ON m.id = cm.miner_id
          WHERE cm.contract_id = ${existing.id} AND ${ineligible} AND ${draft}`,
      ),
    db.update(contractMiners).set({ active: true }).where(and(eq(contractMiners.contractId, existing.id), draft)),
    ...(existing.kind === 'lease'
      ? [
          db
            .update(miners)
            .set({ customerId: existing.customerId, status: 'assigned', updatedAt: now })
            .where(
              and(
                eq(miners.hostId, hostId),
                sql`${miners.id} IN (SELECT miner_id FROM contract_miners WHERE contract_id = ${existing.id})`,
                isNull(miners.customerId),
                draft,
              ),
            ),
        ]
      : []),
    db
      .update(contracts)
      .set({ status: 'active', activatedAt: now, updatedAt: now })
      .where(and(eq(contracts.hostId, hostId), eq(contracts.id, existing.id), eq(contracts.status, 'draft')))
      .returning({ id: contracts.id }),
    activityInsertIfChanged(
      db,
      hostId,
      actor,
      'contract.activated',
      existing.customerId,
      {
        status: ['draft', 'active'],
        ...(unitIds.length ? { units: [null, unitIds.length] } : {}),
        ...(existing.kind === 'lease' ? { leased_units: [null, existing.units.map((u) => u.label).join(', ')], _miner_ids: [null, unitIds] } : {}),
        ...(existing.sites.length ? { sites: [null, existing.sites.map((s) => s.name).join(', ')] } : {}),
        ...contractRef(existing.id),
      },
      now,
    ),
  ];
  let results: unknown[];
  try {
    results = await db.batch(statements as unknown as [(typeof statements)[number], ...(typeof statements)[number][]]);
  } catch (error) {
    if (!isUniqueError(error)) throw error;
    const now = await unitProblems(db, hostId, existing, unitIds);
    const message = now.length ? problemsMessage(now) : 'A unit of this contract was put under another active contract at the same moment.';
    throw new AppError('conflict', message, { miner_ids: message });
  }
  const updated = results[results.length - 2] as { id: string }[];
  if (updated.length === 0) throw new AppError('conflict', 'This contract was activated, or deleted, by someone else meanwhile.');
  return getContract(db, hostId, existing.id);
}

// ---------------------------------------------------------------------------------------------
// Extension and termination.

/** The new last day after adding months to a term that ends on `endDate`. */
export const extendEndDate = (endDate: string, months: number) => addDays(addMonths(addDays(endDate, 1), months), -1);

/** A lease runs for its term again, or a chosen number of months; at most MAX_LEASE_EXTENSIONS times. */
export async function extendLease(db: Db, hostId: string, actor: Actor, contractId: string, raw: unknown, customerId?: string): Promise<ContractDetail> {
  const input = parseInput(extendSchema, raw ?? {});
  const existing = await getContract(db, hostId, contractId, customerId);
  if (existing.kind !== 'lease') throw new AppError('conflict', 'Only a lease can be extended; other contracts renew automatically when auto-renew is on.');
  if (existing.status !== 'active') throw new AppError('conflict', 'Only an active lease can be extended.');
  if (existing.extensions >= MAX_LEASE_EXTENSIONS) {
    throw new AppError('conflict', `This lease has been extended ${MAX_LEASE_EXTENSIONS} times, the most allowed. Make a new lease to continue.`);
  }
  const months = input.months ?? existing.termMonths;
  const endDate = extendEndDate(existing.endDate, months);
  const now = Date.now();
  const [updated] = await db.batch([
    db
      .update(contracts)
      .set({ endDate, extensions: sql`${contracts.extensions} + 1`, updatedAt: now })
      .where(
        and(
          eq(contracts.hostId, hostId),
          eq(contracts.id, existing.id),
          eq(contracts.status, 'active'),
          eq(contracts.kind, 'lease'),
          lt(contracts.extensions, MAX_LEASE_EXTENSIONS),
          eq(contracts.endDate, existing.endDate),
        ),
      )
      .returning({ extensions: contracts.extensions }),
    activityInsertIfChanged(
      db,
      hostId,
      actor,
      'contract.extended',
      existing.customerId,
      { end_date: [existing.endDate, endDate], extensions: [existing.extensions, existing.extensions + 1], months: [null, months], ...contractRef(existing.id) },
      now,
    ),
  ]);
  if (updated.length === 0) throw new AppError('conflict', 'This lease changed meanwhile (extended, or ended); reload and try again.');
  return getContract(db, hostId, existing.id);
}

/**
 * Ends an active contract. An end date up to today (host time) ends it now; a later one (up to
 * its current end) schedules it: the contract runs to that date, auto-renew off, and the daily
 * cron terminates it then. Ending releases its units; a lease's go back to the host's stock.
 */
export async function terminateContract(
  db: Db,
  hostId: string,
  actor: Actor,
  contractId: string,
  raw: unknown,
  options: { customerId?: string; now?: number } = {},
): Promise<ContractDetail> {
  const input = parseInput(terminateSchema, raw);
  const existing = await getContract(db, hostId, contractId, options.customerId);
  if (existing.status !== 'active') throw new AppError('conflict', `Only an active contract can be terminated (this one is ${existing.status}).`);
  if (input.end_date < existing.startDate) throw new ValidationError({ end_date: `The end date cannot be before the contract’s start, ${existing.startDate}.` });
  if (input.end_date > existing.endDate) throw new ValidationError({ end_date: `The end date cannot be after the contract’s current end, ${existing.endDate}.` });
  const host = await db.select({ timezone: hosts.timezone }).from(hosts).where(eq(hosts.id, hostId)).get();
  const now = options.now ?? Date.now();
  const today = zonedDate(now, host?.timezone ?? 'UTC');
  if (input.end_date >= today) {
    const [updated] = await db.batch([
      db
        .update(contracts)
        .set({ endDate: input.end_date, endReason: input.reason, autoRenew: false, updatedAt: now })
        .where(and(eq(contracts.hostId, hostId), eq(contracts.id, existing.id), eq(contracts.status, 'active')))
        .returning({ id: contracts.id }),
      activityInsertIfChanged(
        db,
        hostId,
        actor,
        'contract.termination_scheduled',
        existing.customerId,
        { end_date: [existing.endDate, input.end_date], reason: [null, input.reason], ...contractRef(existing.id) },
        now,
      ),
    ]);
    if (updated.length === 0) throw new AppError('conflict', 'This contract ended meanwhile.');
    // Ending today: nothing more to wait for.
    if (input.end_date > today) return getContract(db, hostId, existing.id);
  }
  const ended = await endContract(db, hostId, actor, existing, { status: 'terminated', endDate: input.end_date, reason: input.reason, now, action: 'contract.terminated' });
  if (!ended) throw new AppError('conflict', 'This contract ended meanwhile.');
  return getContract(db, hostId, existing.id);
}

/**
 * Ends an active contract (terminated or expired) in one batch: guarded on status and the end
 * date read, releases its units, returns a lease's units that the customer still holds to the
 * host's stock, and records it. False when the guard refused (someone else ended it first).
 */
async function endContract(
  db: Db,
  hostId: string,
  actor: Actor,
  contract: Pick<ContractRow, 'id' | 'customerId' | 'kind' | 'endDate' | 'status'>,
  change: { status: 'terminated' | 'expired'; endDate: string; reason: string; now: number; action: string },
): Promise<boolean> {
  const { now } = change;
  const endedHere = sql`EXISTS (SELECT 1 FROM contracts c WHERE c.id = ${contract.id} AND c.status = ${change.status} AND c.ended_at = ${now})`;
  const returning =
    contract.kind === 'lease'
      ? await db
          .select({ id: miners.id, serial: miners.serial, mac: miners.mac })
          .from(contractMiners)
          .innerJoin(miners, eq(miners.id, contractMiners.minerId))
          .where(and(eq(contractMiners.contractId, contract.id), eq(contractMiners.active, true), eq(miners.customerId, contract.customerId)))
          .all()
      : [];
  const [updated] = await db.batch([
    db
      .update(contracts)
      .set({ status: change.status, endDate: change.endDate, endedAt: now, endReason: change.reason, updatedAt: now })
      .where(and(eq(contracts.hostId, hostId), eq(contracts.id, contract.id), eq(contracts.status, 'active'), eq(contracts.endDate, contract.endDate)))
      .returning({ id: contracts.id }),
    activityInsertIfChanged(
      db,
      hostId,
      actor,
      change.action,
      contract.customerId,
      {
        status: ['active', change.status],
        end_date: [contract.endDate, change.endDate],
        reason: [null, change.reason],
        ...(returning.length ? { returned_units: [returning.map(unitIdent).join(', '), null], _miner_ids: [returning.map((m) => m.id), null] } : {}),
        ...contractRef(contract.id),
      },
      now,
    ),
    ...(contract.kind === 'lease'
      ? [
          db
            .update(miners)
            .set({ customerId: null, status: 'unassigned', updatedAt: now })
            .where(
              and(
                eq(miners.hostId, hostId),
                eq(miners.customerId, contract.customerId),
                sql`${miners.id} IN (SELECT miner_id FROM contract_miners WHERE contract_id = ${contract.id} AND active = 1)`,
                endedHere,
              ),
            ),
        ]
      : []),
    db.update(contractMiners).set({ active: false }).where(and(eq(contractMiners.contractId, contract.id), endedHere)),
  ]);
  return updated.length > 0;
}

// ---------------------------------------------------------------------------------------------
// The daily cron.

export const LIFECYCLE_ACTOR: Actor = { kind: 'system', id: null, label: 'Contract lifecycle' };

export interface LifecycleReport {
  expired: string[];
  renewed: string[];
  terminated: string[];
  unitsReturned: number;
}

/**
 * Contracts whose end date has passed in their host's time zone: auto-renewing ones run another
 * term (as many as it takes to cover today, so a missed run catches up), scheduled terminations
 * are terminated, the rest expire. Expiring leases return their units to the host's stock.
 */
export async function runContractLifecycle(db: Db, now = Date.now()): Promise<LifecycleReport> {
  const report: LifecycleReport = { expired: [], renewed: [], terminated: [], unitsReturned: 0 };
  // Every zone's today is at most one day past UTC's: a cheap bound, refined per host below.
  const latestToday = addDays(new Date(now).toISOString().slice(0, 10), 1);
  const due = await db
    .select({ contract: contracts, timezone: hosts.timezone })
    .from(contracts)
    .innerJoin(hosts, eq(hosts.id, contracts.hostId))
    // A closed host's contracts stay as they were: nothing renews, expires or returns units.
    .where(and(eq(contracts.status, 'active'), lt(contracts.endDate, latestToday), openHost))
    .all();
  for (const { contract, timezone } of due) {
    const today = zonedDate(now, timezone);
    if (contract.endDate >= today) continue;
    if (contract.autoRenew && contract.endReason === null) {
      let endDate = contract.endDate;
      let terms = 0;
      while (endDate < today) {
        endDate = extendEndDate(endDate, contract.termMonths);
        terms++;
      }
      const [updated] = await db.batch([
        db
          .update(contracts)
          .set({ endDate, updatedAt: now })
          .where(and(eq(contracts.id, contract.id), eq(contracts.status, 'active'), eq(contracts.endDate, contract.endDate), eq(contracts.autoRenew, true)))
          .returning({ id: contracts.id }),
        activityInsertIfChanged(
          db,
          contract.hostId,
          LIFECYCLE_ACTOR,
          'contract.renewed',
          contract.customerId,
          { end_date: [contract.endDate, endDate], terms: [null, terms], ...contractRef(contract.id) },
          now,
        ),
      ]);
      if (updated.length) report.renewed.push(contract.id);
      continue;
    }
    const scheduled = contract.endReason !== null;
    const returning =
      contract.kind === 'lease'
        ? (
            await db
              .select({ n: sql<number>`count(*)` })
              .from(contractMiners)
              .innerJoin(miners, eq(miners.id, contractMiners.minerId))
              .where(and(eq(contractMiners.contractId, contract.id), eq(contractMiners.active, true), eq(miners.customerId, contract.customerId)))
              .get()
          )?.n ?? 0
        : 0;
    const ended = await endContract(db, contract.hostId, LIFECYCLE_ACTOR, contract, {
      status: scheduled ? 'terminated' : 'expired',
      endDate: contract.endDate,
      reason: scheduled ? contract.endReason! : 'Term ended',
      now,
      action: scheduled ? 'contract.terminated' : 'contract.expired',
    });
    if (!ended) continue;
    (scheduled ? report.terminated : report.expired).push(contract.id);
    report.unitsReturned += returning;
  }
  return report;
}

/** Today in the host's zone (the wizard's default start date). */
export async function hostToday(db: Db, hostId: string, now = Date.now()): Promise<string> {
  const host = await db.select({ timezone: hosts.timezone }).from(hosts).where(eq(hosts.id, hostId)).get();
  return zonedDate(now, host?.timezone ?? 'UTC');
}

export { defaultEndDate, parseIsoDate };
