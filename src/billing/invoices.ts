/**
 * Invoices (docs/BILLING.md): read a customer's contracts and usage for a period, turn them into
 * lines (invoice-lines.ts), and store, issue, void and age invoices.
 *
 * One invoice per (customer, period) among those not void: the partial unique index
 * `invoices_one_per_period` makes a second insert a no-op, so regeneration and racing crons never
 * duplicate. Lines are written in the same batch, guarded on the invoice still being the draft
 * this call wrote. Numbers are assigned when issued, `<prefix>-<year>-<seq>`, seq = the host's
 * highest of that year + 1 inside the guarded UPDATE itself: D1 runs statements one at a time,
 * so two issues cannot take the same number, and a failed issue takes none (no gaps).
 */
import { and, asc, desc, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import { activityInsert, activityInsertIfChanged, type Actor } from '../activity/service';
import type { Db } from '../db/client';
import { inIds } from '../db/sql';
import {
  activityLog,
  billingSettings,
  emailOutbox,
  INVOICE_STATUSES,
  contracts,
  contractSites,
  credits,
  customers,
  defaultCases,
  hosts,
  invoiceLines,
  invoices,
  invoiceUnitFees,
  paymentAllocations,
  poolRedirects,
  sites,
  usageAdjustments,
} from '../db/schema';
import { CUSTOMER_COLUMN, deriveCustomerStatus, type CustomerStatus } from '../customers/status';
import { prepareOutboxRow, queueEmail } from '../email/outbox';
import type { Bindings } from '../env';
import { openHost } from '../hosts/open';
import { AppError, notFound, ValidationError } from '../lib/errors';
import { newId } from '../lib/ids';
import { invoiceAgreementsRead, type InvoiceAgreement } from '../legal/service';
import { platformOrigin, portalBaseUrl } from '../portal/links';
import { resolveHostById } from '../portal/tenant';
import type { KwhSource } from './energy';
import { computeInvoiceLines, type AdjustmentFacts, type ComputedInvoice, type ContractFacts, type DraftLine, type UnitFee } from './invoice-lines';
import { formatMoney, minorToDecimalText } from './money';
import { addDays, billingPeriod, isPeriodKey, lastClosedPeriod, utcDay, zonedDate, zonedMidnightMs, type BillingPeriod } from './periods';
import { applyCredit } from './payments';
import { adjustmentsByIds, listAdjustments, type UsageAdjustment } from './seal';
import { DEFAULT_BILLING_SETTINGS } from './settings';

export type InvoiceRow = typeof invoices.$inferSelect;
export type InvoiceLineRow = typeof invoiceLines.$inferSelect;

/** Invoices that are owed: issued and not settled (the list's `open` filter). */
export const OPEN_STATUSES = ['issued', 'partially_paid', 'overdue'] as const;

/** The statuses an invoice list filters by (pages import them from here, not from the schema). */
export const INVOICE_LIST_STATUSES = INVOICE_STATUSES;

/** Usage of a day is sealed 48 h after it ends; a period is invoiced by the cron once all of it is. */
export const SEAL_LAG_MS = 48 * 3_600_000;

const DAY_MS = 86_400_000;

interface CustomerFacts {
  id: string;
  name: string;
  companyName: string | null;
  contactEmail: string;
  billingEmail: string | null;
  currency: string;
  taxExempt: boolean;
  status: CustomerStatus;
}

interface HostBilling {
  hostId: string;
  hostName: string;
  timezone: string;
  hostCurrency: string;
  settings: Omit<typeof billingSettings.$inferSelect, 'hostId' | 'updatedAt'>;
}

export interface InvoicePreview extends ComputedInvoice {
  customer: CustomerFacts;
  period: BillingPeriod;
  currency: string;
  held: boolean;
  existing: InvoiceRow | null;
  /** The fixed fees staff set for units of this customer and period (src/billing/unit-fees.ts). */
  unitFees: StoredUnitFee[];
}

/** A stored fixed fee with what the page shows of its unit. */
export interface StoredUnitFee extends UnitFee {
  serial: string | null;
  mac: string | null;
  model: string | null;
  updatedAt: number;
}

async function loadHostBilling(db: Db, hostId: string): Promise<HostBilling> {
  const [hostRows, settingsRows] = await db.batch([
    db.select({ name: hosts.name, timezone: hosts.timezone, currency: hosts.defaultCurrency }).from(hosts).where(eq(hosts.id, hostId)),
    db.select().from(billingSettings).where(eq(billingSettings.hostId, hostId)),
  ]);
  const host = hostRows[0];
  if (!host) throw notFound('Host');
  return { hostId, hostName: host.name, timezone: host.timezone, hostCurrency: host.currency, settings: { ...DEFAULT_BILLING_SETTINGS, ...(settingsRows[0] ?? {}) } };
}

/** The period for a key, refusing malformed keys with a field error. */
export function periodFor(host: HostBilling, periodKey: string): BillingPeriod {
  if (!isPeriodKey(periodKey)) throw new ValidationError({ period: 'Choose a month as YYYY-MM.' });
  return billingPeriod(periodKey, host.settings.billingDay, host.timezone);
}

/** The UTC instants a contract covers within a period: [its first day, the day after its last) ∩ the period. */
function contractWindow(period: BillingPeriod, startDate: string, endDate: string, timezone: string) {
  const from = Math.max(period.fromMs, zonedMidnightMs(startDate, timezone));
  const to = Math.min(period.toMs, zonedMidnightMs(addDays(endDate, 1), timezone));
  return { from, to: Math.max(from, to) };
}

type ContractRow = typeof contracts.$inferSelect;

interface UnitRow {
  contractId: string;
  minerId: string;
  serial: string | null;
  mac: string | null;
  model: string | null;
  siteId: string | null;
  nominalPowerW: number | null;
  siteRate: number | null;
}

/** Everything computeInvoiceLines needs, in two D1 round trips whatever the fleet size. */
async function loadInvoiceFacts(db: Db, host: HostBilling, customerId: string, period: BillingPeriod) {
  const hostId = host.hostId;
  const [customerRows, contractRows, existingRows, feeRows] = await db.batch([
    db
      .select({
        id: customers.id,
        name: customers.name,
        companyName: customers.companyName,
        contactEmail: customers.contactEmail,
        billingEmail: customers.billingEmail,
        billingCurrency: customers.billingCurrency,
        taxExempt: customers.taxExempt,
        active: customers.active,
        // Table-qualified: drizzle prints a one-table column unqualified, which would bind to d/r.
        openCase: sql<number>`exists (SELECT 1 FROM ${defaultCases} d WHERE d.customer_id = ${CUSTOMER_COLUMN.id} AND d.closed_at IS NULL)`,
        redirect: sql<number>`exists (SELECT 1 FROM ${poolRedirects} r WHERE r.customer_id = ${CUSTOMER_COLUMN.id} AND r.ended_at IS NULL)`,
      })
      .from(customers)
      .where(and(eq(customers.hostId, hostId), eq(customers.id, customerId))),
    db
      .select()
      .from(contracts)
      .where(and(eq(contracts.hostId, hostId), eq(contracts.customerId, customerId), ne(contracts.status, 'draft')))
      .orderBy(asc(contracts.startDate), asc(contracts.id)),
    db
      .select()
      .from(invoices)
      .where(and(eq(invoices.hostId, hostId), eq(invoices.customerId, customerId), eq(invoices.periodKey, period.key), ne(invoices.status, 'void'))),
    db
      .select({
        minerId: invoiceUnitFees.minerId,
        amountMinor: invoiceUnitFees.amountMinor,
        currency: invoiceUnitFees.currency,
        note: invoiceUnitFees.note,
        setBy: invoiceUnitFees.setBy,
        updatedAt: invoiceUnitFees.updatedAt,
        serial: sql<string | null>`(SELECT m.serial FROM miners m WHERE m.id = ${invoiceUnitFees.minerId})`,
        mac: sql<string | null>`(SELECT m.mac FROM miners m WHERE m.id = ${invoiceUnitFees.minerId})`,
        model: sql<string | null>`(SELECT m.model FROM miners m WHERE m.id = ${invoiceUnitFees.minerId})`,
      })
      .from(invoiceUnitFees)
      .where(and(eq(invoiceUnitFees.hostId, hostId), eq(invoiceUnitFees.customerId, customerId), eq(invoiceUnitFees.periodKey, period.key)))
      .orderBy(asc(invoiceUnitFees.createdAt), asc(invoiceUnitFees.minerId)),
  ]);
  const row = customerRows[0];
  if (!row) throw notFound('Customer');
  const customer: CustomerFacts = {
    id: row.id,
    name: row.name,
    companyName: row.companyName,
    contactEmail: row.contactEmail,
    billingEmail: row.billingEmail,
    currency: row.billingCurrency ?? host.hostCurrency,
    taxExempt: row.taxExempt,
    status: deriveCustomerStatus({ active: row.active, hasOpenDefaultCase: Boolean(row.openCase), hasActivePoolRedirect: Boolean(row.redirect) }),
  };
  const existing = existingRows[0] ?? null;

  const inPeriod = contractRows.filter((c) => c.startDate < period.end && c.endDate >= period.start);
  const perKwh = contractRows.filter((c) => c.kind === 'hosted' && c.pricing === 'per_kwh');
  const contractIds = [...new Set([...inPeriod, ...perKwh].map((c) => c.id))];
  const windows = inPeriod
    .filter((c) => c.kind === 'hosted' && c.pricing === 'per_kwh')
    .map((c) => {
      const w = contractWindow(period, c.startDate, c.endDate, host.timezone);
      return [c.id, w.from, w.to, c.kwhSource === 'hashrate' ? c.efficiencyMjPerTh : null];
    });
  const firstDay = utcDay(period.fromMs);
  const lastDay = utcDay(period.toMs - 1);

  const d1 = db.$client;
  const [units, usage, sites, seals, sealDays] = await d1.batch([
    d1
      .prepare(
        `SELECT cm.contract_id AS contractId, m.id AS minerId, m.serial AS serial, m.mac AS mac, m.model AS model, m.site_id AS siteId, m.nominal_power_w AS nominalPowerW,
           s.energy_cost_micros_per_kwh AS siteRate
         FROM json_each(?1) j JOIN contract_miners cm ON cm.contract_id = j.value AND cm.host_id = ?2
         JOIN miners m ON m.id = cm.miner_id AND m.host_id = ?2 LEFT JOIN sites s ON s.id = m.site_id
         ORDER BY m.serial, m.id`,
      )
      .bind(JSON.stringify(contractIds), hostId),
    // Per-row rounding in SQL, half up, exactly as billedWh (energy.ts) rounds one row. Unknown
    // energy (null) is never summed as 0: one unknown hour makes the metered total unknown.
    d1
      .prepare(
        `SELECT w.value ->> '$[0]' AS contractId, u.miner_id AS minerId, count(*) AS rows,
           CASE WHEN count(u.energy_wh) < count(*) THEN NULL ELSE sum(u.energy_wh) END AS meteredWh, count(*) - count(u.energy_wh) AS unknownHours,
           coalesce(sum(u.energy_wh), 0) AS knownWh,
           CASE WHEN m.nominal_power_w IS NULL THEN NULL ELSE sum((m.nominal_power_w * u.online_seconds + 1800) / 3600) END AS specWh,
           CASE WHEN (w.value ->> '$[3]') IS NULL THEN NULL
             ELSE sum(((w.value ->> '$[3]') * u.avg_hashrate_mths * u.online_seconds + 1800000000) / 3600000000) END AS hashrateWh
         FROM json_each(?1) w
         JOIN contract_miners cm ON cm.contract_id = w.value ->> '$[0]' AND cm.host_id = ?2
         JOIN miners m ON m.id = cm.miner_id
         JOIN usage_hourly u ON u.miner_id = cm.miner_id AND u.host_id = ?2 AND u.customer_id = ?3
           AND u.hour_start >= (w.value ->> '$[1]') AND u.hour_start < (w.value ->> '$[2]')
         GROUP BY 1, 2`,
      )
      .bind(JSON.stringify(windows), hostId, customerId),
    d1.prepare(`SELECT count(*) AS n, cs.contract_id AS contractId FROM json_each(?1) j JOIN contract_sites cs ON cs.contract_id = j.value AND cs.host_id = ?2 GROUP BY 2`).bind(JSON.stringify(contractIds), hostId),
    d1
      .prepare(`SELECT site_id AS siteId, day, hash FROM usage_seals WHERE host_id = ?1 AND customer_key = ?2 AND day >= ?3 AND day <= ?4 ORDER BY site_id, day`)
      .bind(hostId, customerId, firstDay, lastDay),
    d1.prepare(`SELECT site_id AS siteId, day FROM usage_seal_days WHERE host_id = ?1 AND day >= ?2 AND day <= ?3`).bind(hostId, firstDay, lastDay),
  ]);
  return {
    customer,
    existing,
    contractRows,
    inPeriod,
    perKwh,
    units: units!.results as unknown as UnitRow[],
    usage: usage!.results as unknown as { contractId: string; minerId: string; rows: number; meteredWh: number | null; unknownHours: number; knownWh: number; specWh: number | null; hashrateWh: number | null }[],
    unitFees: feeRows as StoredUnitFee[],
    siteCounts: new Map((sites!.results as unknown as { n: number; contractId: string }[]).map((r) => [r.contractId, r.n])),
    adjustments: await billableAdjustments(db, hostId, customerId, existing?.status === 'draft' ? existing.id : null),
    seals: seals!.results as unknown as { siteId: string; day: string; hash: string }[],
    sealDays: new Set((sealDays!.results as unknown as { siteId: string; day: string }[]).map((r) => `${r.siteId}|${r.day}`)),
    firstDay,
    lastDay,
  };
}

/**
 * Late usage to bill: the customer's unbilled adjustments, plus those a draft being regenerated
 * already holds. Each adjustment bills its change over the one before it (seal.ts), so an hour
 * replayed twice is billed once for its real change.
 */
async function billableAdjustments(db: Db, hostId: string, customerId: string, draftId: string | null): Promise<UsageAdjustment[]> {
  const unbilled = await listAdjustments(db, hostId, customerId, { unbilled: true });
  if (!draftId) return unbilled;
  const held = await db.select({ id: usageAdjustments.id }).from(usageAdjustments).where(and(eq(usageAdjustments.hostId, hostId), eq(usageAdjustments.invoiceId, draftId)));
  return [...(await adjustmentsByIds(db, hostId, held.map((r) => r.id))), ...unbilled];
}

const billedOf = (source: KwhSource, u: { meteredWh: number | null; specWh: number | null; hashrateWh: number | null }) =>
  source === 'metered' ? u.meteredWh : source === 'spec' ? u.specWh : u.hashrateWh;

function contractFacts(c: ContractRow, facts: Awaited<ReturnType<typeof loadInvoiceFacts>>, period: BillingPeriod, timezone: string): ContractFacts {
  const window = contractWindow(period, c.startDate, c.endDate, timezone);
  const source = c.kwhSource ?? 'metered';
  return {
    id: c.id,
    name: c.name,
    kind: c.kind,
    currency: c.currency,
    startDate: c.startDate,
    endDate: c.endDate,
    pricing: c.pricing,
    kwhSource: c.kwhSource,
    energyRateMicrosPerKwh: c.energyRateMicrosPerKwh,
    efficiencyMjPerTh: c.efficiencyMjPerTh,
    monthlyFeeMinor: c.monthlyFeeMinor,
    infinityMths: c.infinityMths,
    priceMicrosPerThDay: c.priceMicrosPerThDay,
    setupFeeMinor: c.setupFeeMinor,
    depositMinor: c.depositMinor,
    units: facts.units
      .filter((u) => u.contractId === c.id)
      .map((u) => ({ minerId: u.minerId, serial: u.serial, mac: u.mac, model: u.model, siteId: u.siteId, nominalPowerW: u.nominalPowerW, siteRateMicrosPerKwh: u.siteRate })),
    siteCount: facts.siteCounts.get(c.id) ?? 0,
    usage: facts.usage
      .filter((u) => u.contractId === c.id)
      .map((u) => {
        const billedWh = billedOf(source, u);
        return { minerId: u.minerId, rows: u.rows, billedWh, unknownHours: source === 'metered' ? u.unknownHours : 0, knownWh: source === 'metered' ? u.knownWh : (billedWh ?? 0) };
      }),
    windowFromMs: window.from,
    windowToMs: window.to,
  };
}

/** Late usage (adjustments) grouped by the per-kWh contract that held the unit at that hour, and its rate. */
function adjustmentFacts(facts: Awaited<ReturnType<typeof loadInvoiceFacts>>, host: HostBilling): AdjustmentFacts[] {
  const groups = new Map<string, AdjustmentFacts>();
  for (const a of facts.adjustments) {
    const day = zonedDate(a.hourStart, host.timezone);
    const contract = facts.perKwh.find(
      (c) => c.startDate <= day && day <= c.endDate && facts.units.some((u) => u.contractId === c.id && u.minerId === a.minerId),
    );
    if (!contract) continue; // usage outside any per-kWh contract is not billed, late or not
    const unit = facts.units.find((u) => u.contractId === contract.id && u.minerId === a.minerId)!;
    const rate =
      contract.energyRateMicrosPerKwh ??
      (contract.currency === host.hostCurrency ? (unit.siteRate ?? host.settings.defaultEnergyRateMicrosPerKwh ?? null) : null);
    const key = `${contract.id}|${rate}`;
    const group = groups.get(key) ?? { contractId: contract.id, rateMicrosPerKwh: rate, ids: [], deltaWh: 0 };
    group.ids.push(a.id);
    group.deltaWh += a.deltaWh;
    groups.set(key, group);
  }
  return [...groups.values()].filter((g) => g.deltaWh !== 0);
}

/**
 * Exactly what generating would produce now, without storing anything ("Preview invoice").
 * `withUnitFees` computes it as if the period's fixed fees were those it returns (a change about
 * to be written in the same batch as the regenerated draft: src/billing/unit-fees.ts).
 */
export async function previewInvoice(
  db: Db,
  hostId: string,
  customerId: string,
  periodKey: string,
  options: { withUnitFees?: (stored: StoredUnitFee[]) => StoredUnitFee[] } = {},
): Promise<InvoicePreview> {
  const host = await loadHostBilling(db, hostId);
  const period = periodFor(host, periodKey);
  const facts = await loadInvoiceFacts(db, host, customerId, period);
  const unitFees = options.withUnitFees ? options.withUnitFees(facts.unitFees) : facts.unitFees;
  const siteIds = [...new Set(facts.units.map((u) => u.siteId).filter((s): s is string => s !== null))];
  const unsealedDays: { siteId: string; day: string }[] = [];
  for (const siteId of siteIds) {
    for (let day = facts.firstDay; day <= facts.lastDay; day = addDays(day, 1)) {
      if (!facts.sealDays.has(`${siteId}|${day}`)) unsealedDays.push({ siteId, day });
    }
  }
  const computed = computeInvoiceLines({
    customerId,
    period,
    currency: facts.customer.currency,
    hostCurrency: host.hostCurrency,
    hostDefaultRateMicrosPerKwh: host.settings.defaultEnergyRateMicrosPerKwh ?? null,
    tax: host.settings.taxEnabled && !facts.customer.taxExempt && host.settings.taxRateBps > 0 ? { label: host.settings.taxLabel ?? 'Tax', rateBps: host.settings.taxRateBps } : null,
    contracts: facts.inPeriod.map((c) => contractFacts(c, facts, period, host.timezone)),
    adjustments: adjustmentFacts(facts, host),
    seals: facts.seals,
    unsealedDays,
    unitFees,
  });
  return { ...computed, customer: facts.customer, period, currency: facts.customer.currency, held: facts.customer.status !== 'active', existing: facts.existing, unitFees };
}

const lineValues = (invoiceId: string, hostId: string, lines: DraftLine[]) =>
  lines.map((line, position) => ({
    id: newId(),
    invoice_id: invoiceId,
    host_id: hostId,
    contract_id: line.contractId,
    position,
    kind: line.kind,
    description: line.description,
    energy_wh: line.energyWh,
    kwh_source: line.kwhSource,
    rate_micros: line.rateMicros,
    unit_count: line.unitCount,
    quantity_text: line.quantityText,
    amount_minor: line.amountMinor,
    taxable: line.taxable ? 1 : 0,
    detail: line.detail ? JSON.stringify(line.detail) : null,
  }));

/** Inserts the lines only while the invoice is still this draft (INSERT … SELECT … WHERE). */
function insertLinesIfDraft(db: Db, invoiceId: string, hostId: string, lines: DraftLine[], generatedAt: number) {
  return db.insert(invoiceLines).select(
    sql`SELECT j.value ->> 'id', j.value ->> 'invoice_id', j.value ->> 'host_id', j.value ->> 'contract_id', j.value ->> 'position',
      j.value ->> 'kind', j.value ->> 'description', j.value ->> 'energy_wh', j.value ->> 'kwh_source', j.value ->> 'rate_micros',
      j.value ->> 'unit_count', j.value ->> 'quantity_text', j.value ->> 'amount_minor', j.value ->> 'taxable', j.value ->> 'detail'
      FROM json_each(${JSON.stringify(lineValues(invoiceId, hostId, lines))}) j
      WHERE EXISTS (SELECT 1 FROM invoices i WHERE i.id = ${invoiceId} AND i.status = 'draft' AND i.generated_at = ${generatedAt})`,
  );
}

export interface GenerateResult {
  invoice: InvoiceRow;
  /** created: a new draft; regenerated: an existing draft's lines replaced; unchanged: already issued (or lost a race). */
  outcome: 'created' | 'regenerated' | 'unchanged';
  blockers: string[];
  preview: InvoicePreview;
}

/**
 * Generates the period's invoice as a draft, or regenerates an existing draft's lines. An issued
 * invoice is never touched (void it and generate a corrected one instead).
 */
export async function generateInvoice(
  db: Db,
  hostId: string,
  customerId: string,
  periodKey: string,
  actor: Actor,
  options: { now?: number; replacesInvoiceId?: string } = {},
): Promise<GenerateResult> {
  const now = options.now ?? Date.now();
  const preview = await previewInvoice(db, hostId, customerId, periodKey);
  const { existing } = preview;
  if (existing && existing.status !== 'draft') return { invoice: existing, outcome: 'unchanged', blockers: preview.blockers, preview };
  const { id, statements } = draftWriteStatements(db, hostId, preview, actor, now, options.replacesInvoiceId ?? null);
  await db.batch(statements as [never, ...never[]]);
  return storedDraftResult(db, hostId, preview, id, now);
}

/** Reads back what a draft write stored: ours, or the one a concurrent write left. */
export async function storedDraftResult(db: Db, hostId: string, preview: InvoicePreview, id: string, now: number): Promise<GenerateResult> {
  const { existing } = preview;
  const customerId = preview.customer.id;
  const [stored] = await db.select().from(invoices).where(and(eq(invoices.hostId, hostId), eq(invoices.customerId, customerId), eq(invoices.periodKey, preview.period.key), ne(invoices.status, 'void')));
  if (!stored) throw new AppError('conflict', 'The invoice changed while it was being generated; try again.');
  const ours = stored.id === id && stored.generatedAt === now;
  return { invoice: stored, outcome: ours ? (existing ? 'regenerated' : 'created') : 'unchanged', blockers: preview.blockers, preview };
}

/**
 * The statements that store a preview as the period's draft: insert it, or replace an existing
 * draft's lines, each guarded so a racing write makes exactly one invoice with one set of lines.
 * Callers may put their own writes in the same batch (unit-fees.ts does).
 */
export function draftWriteStatements(db: Db, hostId: string, preview: InvoicePreview, actor: Actor, now: number, replacesInvoiceId: string | null) {
  const { existing } = preview;
  const customerId = preview.customer.id;
  const adjustmentIds = preview.lines.flatMap((l) => (l.kind === 'adjustment' && l.detail && 'adjustmentIds' in l.detail ? (l.detail.adjustmentIds as string[]) : []));
  const totals = { subtotalMinor: preview.subtotalMinor, taxMinor: preview.taxMinor, totalMinor: preview.totalMinor, currency: preview.currency, held: preview.held };
  const id = existing?.id ?? newId();
  const statements = [];
  if (existing) {
    statements.push(
      db
        .update(invoices)
        .set({ ...totals, generatedAt: now, updatedAt: now })
        .where(and(eq(invoices.id, id), eq(invoices.hostId, hostId), eq(invoices.status, 'draft'), eq(invoices.generatedAt, existing.generatedAt))),
      db.delete(invoiceLines).where(and(eq(invoiceLines.invoiceId, id), sql`EXISTS (SELECT 1 FROM invoices i WHERE i.id = ${id} AND i.status = 'draft' AND i.generated_at = ${now})`)),
      db
        .update(usageAdjustments)
        .set({ invoiceId: null })
        .where(and(eq(usageAdjustments.invoiceId, id), sql`EXISTS (SELECT 1 FROM invoices i WHERE i.id = ${id} AND i.status = 'draft' AND i.generated_at = ${now})`)),
    );
  } else {
    statements.push(
      db
        .insert(invoices)
        .values({
          id,
          hostId,
          customerId,
          periodKey: preview.period.key,
          periodStart: preview.period.start,
          periodEnd: preview.period.end,
          periodFromMs: preview.period.fromMs,
          periodToMs: preview.period.toMs,
          status: 'draft',
          ...totals,
          replacesInvoiceId,
          generatedAt: now,
          createdAt: now,
          updatedAt: now,
        })
        .onConflictDoNothing(),
    );
  }
  statements.push(insertLinesIfDraft(db, id, hostId, preview.lines, now));
  if (adjustmentIds.length > 0) {
    statements.push(
      db
        .update(usageAdjustments)
        .set({ invoiceId: id })
        .where(
          and(
            eq(usageAdjustments.hostId, hostId),
            inIds(usageAdjustments.id, adjustmentIds),
            isNull(usageAdjustments.invoiceId),
            sql`EXISTS (SELECT 1 FROM invoices i WHERE i.id = ${id} AND i.status = 'draft' AND i.generated_at = ${now})`,
          ),
        ),
    );
  }
  statements.push(
    db.insert(activityLog).select(
      sql`SELECT ${newId()}, ${hostId}, ${customerId}, ${actor.kind}, ${actor.id}, ${actor.label}, ${existing ? 'invoice.regenerated' : 'invoice.generated'},
        ${JSON.stringify({ period: preview.period.key, total_minor: preview.totalMinor, currency: preview.currency })}, ${now}
        WHERE EXISTS (SELECT 1 FROM invoices i WHERE i.id = ${id} AND i.generated_at = ${now})`,
    ),
  );
  return { id, statements };
}

// ---------------------------------------------------------------------------------------------
// Issue, void, discard.

/** What issuing needs to email: the queue, and where the portal answers (the request's origin when there is one). */
type EmailEnv = Pick<Bindings, 'EMAIL_QUEUE' | 'APP_HOST' | 'ENVIRONMENT'> & { origin?: string };

async function getInvoiceRow(db: Db, hostId: string, invoiceId: string): Promise<InvoiceRow> {
  const [row] = await db.select().from(invoices).where(and(eq(invoices.hostId, hostId), eq(invoices.id, invoiceId)));
  if (!row) throw notFound('Invoice');
  return row;
}

/** Stands for the invoice number in an email written before the number exists (replaced in SQL). */
const NUMBER_PLACEHOLDER = '{{number}}';

const periodText = (inv: Pick<InvoiceRow, 'periodStart' | 'periodEnd'>) => `${inv.periodStart} to ${addDays(inv.periodEnd, -1)}`;

/**
 * Issues a draft: assigns its number, dates it in the host's zone, and emails it (through the
 * outbox, in the same batch) unless it is held. Refused while the preview has blockers (units
 * without a rate or a known kWh), so nothing is issued from unknown energy.
 */
export async function issueInvoice(
  db: Db,
  env: EmailEnv,
  hostId: string,
  invoiceId: string,
  actor: Actor,
  now = Date.now(),
  /** The preview the draft was just generated from (the billing job), to skip computing it again. */
  justGenerated?: InvoicePreview,
): Promise<InvoiceRow> {
  const draft = await getInvoiceRow(db, hostId, invoiceId);
  if (draft.status !== 'draft') throw new AppError('conflict', `Invoice ${draft.number ?? ''} is already ${draft.status}.`.replace('  ', ' '));
  const host = await loadHostBilling(db, hostId);
  const preview =
    justGenerated && justGenerated.customer.id === draft.customerId && justGenerated.period.key === draft.periodKey
      ? justGenerated
      : await previewInvoice(db, hostId, draft.customerId, draft.periodKey);
  if (preview.blockers.length > 0) {
    throw new AppError('conflict', `This invoice cannot be issued yet: ${preview.blockers.join(' ')}`);
  }
  const issuedOn = zonedDate(now, host.timezone);
  const dueOn = addDays(issuedOn, host.settings.netDays);
  const year = Number(issuedOn.slice(0, 4));
  const prefix = host.settings.invoicePrefix;
  const nextSeq = sql`(SELECT coalesce(max(i2.number_seq), 0) + 1 FROM invoices i2 WHERE i2.host_id = ${hostId} AND i2.number_year = ${year})`;
  const statements: Parameters<Db['batch']>[0][number][] = [
    db
      .update(invoices)
      .set({
        status: sql`CASE WHEN ${invoices.totalMinor} <= 0 THEN 'paid' ELSE 'issued' END`,
        paidAt: sql`CASE WHEN ${invoices.totalMinor} <= 0 THEN ${now} ELSE NULL END`,
        numberYear: year,
        numberSeq: nextSeq,
        number: sql`${prefix} || '-' || ${String(year)} || '-' || printf('%04d', ${nextSeq})`,
        issuedOn,
        dueOn,
        issuedAt: now,
        emailedAt: draft.held ? null : now,
        updatedAt: now,
      })
      .where(and(eq(invoices.id, invoiceId), eq(invoices.hostId, hostId), eq(invoices.status, 'draft'))),
    activityInsertIfChanged(db, hostId, actor, 'invoice.issued', draft.customerId, { total: [null, formatMoney(draft.totalMinor, draft.currency)], due_on: [null, dueOn], held: [null, draft.held] }, now),
  ];
  let outboxId: string | null = null;
  const to = preview.customer.billingEmail ?? preview.customer.contactEmail;
  if (!draft.held && draft.totalMinor > 0) {
    const portalHost = await resolveHostById(db, hostId);
    const platform = env.origin ?? platformOrigin(env);
    const base = portalHost ? portalBaseUrl(portalHost, platform) : platform;
    // The number is assigned inside the UPDATE above; the outbox row reads it from there, in the
    // same batch, so the email names exactly the number issued and exists only if this call issued it.
    const row = prepareOutboxRow({
      hostId,
      to,
      subject: `Invoice ${NUMBER_PLACEHOLDER} from ${host.hostName}`,
      template: 'invoice',
      payload: {
        customerName: preview.customer.name,
        number: NUMBER_PLACEHOLDER,
        periodText: periodText(draft),
        totalText: formatMoney(draft.totalMinor, draft.currency),
        dueOn,
        invoiceUrl: `${base}/invoices/${invoiceId}`,
        remitTo: host.settings.remitTo ?? undefined,
      },
    });
    outboxId = row.id;
    const issuedNumber = sql`(SELECT number FROM invoices WHERE id = ${invoiceId})`;
    statements.push(
      db.insert(emailOutbox).select(sql`SELECT ${row.id}, ${row.hostId}, ${row.toEmail}, ${row.template}, json_set(${row.payload}, '$.number', ${issuedNumber}),
          replace(${row.subject}, ${NUMBER_PLACEHOLDER}, ${issuedNumber}), 'queued', 0, NULL, NULL, NULL, NULL, NULL, ${now}
        WHERE EXISTS (SELECT 1 FROM invoices WHERE id = ${invoiceId} AND issued_at = ${now})`),
    );
  }
  await db.batch(statements as [never, ...never[]]);
  const issued = await getInvoiceRow(db, hostId, invoiceId);
  if (issued.issuedAt !== now) throw new AppError('conflict', 'The invoice was issued by someone else at the same moment.');
  if (outboxId) await queueEmail(env, [outboxId]);
  return applyAvailableCredit(db, hostId, issued, actor);
}

/**
 * A customer's credit (an overpayment, a manual credit) goes to the next invoice: once issued, the
 * credit in its currency is allocated to it like a payment (payments.ts applyCredit), oldest
 * first, up to its balance.
 */
async function applyAvailableCredit(db: Db, hostId: string, invoice: InvoiceRow, actor: Actor): Promise<InvoiceRow> {
  if (invoice.totalMinor - invoice.paidMinor <= 0) return invoice;
  const [available] = await db
    .select({ n: sql<number>`count(*)` })
    .from(credits)
    .where(and(eq(credits.hostId, hostId), eq(credits.customerId, invoice.customerId), eq(credits.currency, invoice.currency), sql`${credits.remainingMinor} > 0`));
  if (!available?.n) return invoice;
  try {
    await applyCredit(db, hostId, actor, invoice.customerId, { invoice_id: invoice.id });
  } catch (error) {
    // Spent by someone else in the meantime: the invoice stands as issued.
    if (!(error instanceof ValidationError)) throw error;
  }
  return getInvoiceRow(db, hostId, invoice.id);
}

/** Deletes a draft (never issued, so it has no number to keep). */
export async function discardDraft(db: Db, hostId: string, invoiceId: string, actor: Actor, now = Date.now()): Promise<void> {
  const draft = await getInvoiceRow(db, hostId, invoiceId);
  if (draft.status !== 'draft') throw new AppError('conflict', 'Only a draft can be discarded; void an issued invoice instead.');
  await db.batch([
    // Guarded like the delete: an invoice issued meanwhile keeps the late usage it bills.
    db
      .update(usageAdjustments)
      .set({ invoiceId: null })
      .where(and(eq(usageAdjustments.hostId, hostId), eq(usageAdjustments.invoiceId, invoiceId), sql`EXISTS (SELECT 1 FROM invoices WHERE id = ${invoiceId} AND status = 'draft')`)),
    db.delete(invoices).where(and(eq(invoices.id, invoiceId), eq(invoices.hostId, hostId), eq(invoices.status, 'draft'))),
    activityInsertIfChanged(db, hostId, actor, 'invoice.discarded', draft.customerId, { period: [draft.periodKey, null] }, now),
  ]);
}

/**
 * Voids an issued invoice with a reason: kept, never deleted, its number kept. Money already
 * allocated to it becomes the customer's credit; late usage it billed is released to the next
 * invoice; the period can then be generated again as a corrected invoice.
 */
export async function voidInvoice(db: Db, hostId: string, invoiceId: string, reason: string, actor: Actor, now = Date.now()): Promise<InvoiceRow> {
  const text = reason.trim();
  if (text.length < 3 || text.length > 500) throw new ValidationError({ reason: 'Say why the invoice is void (3–500 characters).' });
  const invoice = await getInvoiceRow(db, hostId, invoiceId);
  if (invoice.status === 'void') throw new AppError('conflict', 'The invoice is already void.');
  if (invoice.status === 'draft') throw new AppError('conflict', 'A draft is discarded, not voided.');
  const statements: Parameters<Db['batch']>[0][number][] = [
    db
      .update(invoices)
      .set({ status: 'void', voidReason: text, voidedAt: now, updatedAt: now })
      .where(and(eq(invoices.id, invoiceId), eq(invoices.hostId, hostId), eq(invoices.status, invoice.status), eq(invoices.paidMinor, invoice.paidMinor))),
    activityInsertIfChanged(db, hostId, actor, 'invoice.voided', invoice.customerId, { status: [invoice.status, 'void'], reason: [null, text] }, now),
    db.update(usageAdjustments).set({ invoiceId: null }).where(and(eq(usageAdjustments.hostId, hostId), eq(usageAdjustments.invoiceId, invoiceId), sql`EXISTS (SELECT 1 FROM invoices WHERE id = ${invoiceId} AND voided_at = ${now})`)),
  ];
  if (invoice.paidMinor > 0) {
    statements.push(
      db.insert(credits).select(
        sql`SELECT ${newId()}, ${hostId}, ${invoice.customerId}, 'adjustment', ${invoice.paidMinor}, ${invoice.paidMinor}, ${invoice.currency},
          ${`Paid on voided invoice ${invoice.number}`}, NULL, NULL, ${actor.id}, ${now}
          WHERE EXISTS (SELECT 1 FROM invoices WHERE id = ${invoiceId} AND voided_at = ${now})`,
      ),
    );
  }
  await db.batch(statements as [never, ...never[]]);
  const voided = await getInvoiceRow(db, hostId, invoiceId);
  if (voided.voidedAt !== now) throw new AppError('conflict', 'The invoice changed while it was being voided; look again.');
  return voided;
}

/** Voided + a fresh draft for the same period that names it (the corrected invoice). */
export async function createCorrectedInvoice(db: Db, hostId: string, voidedId: string, actor: Actor, now = Date.now()): Promise<GenerateResult> {
  const voided = await getInvoiceRow(db, hostId, voidedId);
  if (voided.status !== 'void') throw new AppError('conflict', 'Void the invoice before correcting it.');
  return generateInvoice(db, hostId, voided.customerId, voided.periodKey, actor, { now, replacesInvoiceId: voided.id });
}

// ---------------------------------------------------------------------------------------------
// Reading.

export interface InvoiceDetail {
  invoice: InvoiceRow;
  lines: InvoiceLineRow[];
  customer: { id: string; name: string; companyName: string | null };
  allocations: { id: string; amountMinor: number; createdAt: number; paymentId: string | null; creditId: string | null; method: string | null; reference: string | null; receivedOn: string | null }[];
}

export async function getInvoice(db: Db, hostId: string, invoiceId: string, options: { customerId?: string } = {}): Promise<InvoiceDetail> {
  const scope = and(eq(invoices.hostId, hostId), eq(invoices.id, invoiceId), options.customerId ? eq(invoices.customerId, options.customerId) : undefined);
  // No join: D1 returns rows keyed by column name, so a join of two tables with an `id` column
  // would let one overwrite the other in a batch. The customer is read by the invoice's own key.
  const [rows, customerRows, lines, allocations] = await db.batch([
    db.select().from(invoices).where(scope),
    db
      .select({ id: customers.id, name: customers.name, companyName: customers.companyName })
      .from(customers)
      .where(and(eq(customers.hostId, hostId), sql`${customers.id} = (SELECT i.customer_id FROM invoices i WHERE i.id = ${invoiceId} AND i.host_id = ${hostId})`)),
    db
      .select()
      .from(invoiceLines)
      .where(and(eq(invoiceLines.hostId, hostId), eq(invoiceLines.invoiceId, invoiceId)))
      .orderBy(asc(invoiceLines.position)),
    db
      .select({
        id: paymentAllocations.id,
        amountMinor: paymentAllocations.amountMinor,
        createdAt: paymentAllocations.createdAt,
        paymentId: paymentAllocations.paymentId,
        creditId: paymentAllocations.creditId,
        method: sql<string | null>`(SELECT p.method FROM payments p WHERE p.id = ${paymentAllocations.paymentId})`,
        reference: sql<string | null>`(SELECT p.reference FROM payments p WHERE p.id = ${paymentAllocations.paymentId})`,
        receivedOn: sql<string | null>`(SELECT p.received_on FROM payments p WHERE p.id = ${paymentAllocations.paymentId})`,
      })
      .from(paymentAllocations)
      .where(and(eq(paymentAllocations.hostId, hostId), eq(paymentAllocations.invoiceId, invoiceId)))
      .orderBy(asc(paymentAllocations.createdAt)),
  ]);
  const invoice = rows[0];
  const customer = customerRows[0];
  if (!invoice || !customer) throw notFound('Invoice');
  return { invoice, customer, lines, allocations };
}

export const INVOICE_PAGE_SIZE = 50;

export interface InvoiceListFilters {
  status?: string;
  customerId?: string;
  period?: string;
  /** Numbers or customer names containing this. */
  q?: string;
  page?: number;
}

export interface InvoiceListItem {
  id: string;
  number: string | null;
  periodKey: string;
  status: InvoiceRow['status'];
  held: boolean;
  currency: string;
  totalMinor: number;
  paidMinor: number;
  dueOn: string | null;
  issuedOn: string | null;
  customerId: string;
  customerName: string;
}

/** The host's invoices, newest period first, with filters; one D1 round trip (rows + count). */
export async function listInvoices(db: Db, hostId: string, filters: InvoiceListFilters = {}): Promise<{ items: InvoiceListItem[]; total: number; page: number; pages: number }> {
  const q = filters.q?.trim().toLowerCase();
  const where = and(
    eq(invoices.hostId, hostId),
    filters.status === 'open' ? inArray(invoices.status, [...OPEN_STATUSES]) : filters.status ? eq(invoices.status, filters.status as InvoiceRow['status']) : undefined,
    filters.customerId ? eq(invoices.customerId, filters.customerId) : undefined,
    filters.period ? eq(invoices.periodKey, filters.period) : undefined,
    q ? sql`(instr(lower(coalesce(${invoices.number}, '')), ${q}) > 0 OR instr(${customers.sortName}, ${q}) > 0)` : undefined,
  );
  const page = Math.max(1, filters.page ?? 1);
  const [items, counts] = await db.batch([
    db
      .select({
        id: invoices.id,
        number: invoices.number,
        periodKey: invoices.periodKey,
        status: invoices.status,
        held: invoices.held,
        currency: invoices.currency,
        totalMinor: invoices.totalMinor,
        paidMinor: invoices.paidMinor,
        dueOn: invoices.dueOn,
        issuedOn: invoices.issuedOn,
        customerId: invoices.customerId,
        customerName: customers.name,
      })
      .from(invoices)
      .innerJoin(customers, eq(customers.id, invoices.customerId))
      .where(where)
      .orderBy(desc(invoices.periodKey), desc(invoices.numberYear), desc(invoices.numberSeq), asc(customers.sortName), asc(invoices.id))
      .limit(INVOICE_PAGE_SIZE)
      .offset((page - 1) * INVOICE_PAGE_SIZE),
    db.select({ n: sql<number>`count(*)` }).from(invoices).innerJoin(customers, eq(customers.id, invoices.customerId)).where(where),
  ]);
  const total = counts[0]?.n ?? 0;
  return { items, total, page, pages: Math.max(1, Math.ceil(total / INVOICE_PAGE_SIZE)) };
}

// ---------------------------------------------------------------------------------------------
// Cron: overdue, and the period's invoices once the whole period is sealed.

/** Marks past-due invoices with a balance overdue, per host's own "today", with a system activity entry each. */
export async function markOverdue(db: Db, now = Date.now()): Promise<number> {
  // A closed host's invoices are left as they were: no status change, no activity entry.
  const hostRows = await db.select({ id: hosts.id, timezone: hosts.timezone }).from(hosts).where(openHost);
  let marked = 0;
  for (let i = 0; i < hostRows.length; i += 40) {
    const statements = hostRows.slice(i, i + 40).flatMap((host) => {
      const today = zonedDate(now, host.timezone);
      const due = sql`host_id = ${host.id} AND status IN ('issued', 'partially_paid') AND due_on < ${today} AND total_minor > paid_minor`;
      return [
        db.insert(activityLog).select(sql`SELECT lower(hex(randomblob(16))), host_id, customer_id, 'system', NULL, 'System', 'invoice.overdue',
            json_object('invoice', json_array(number, number), 'status', json_array(status, 'overdue'), 'due_on', json_array(due_on, due_on)), ${now}
          FROM invoices WHERE ${due}`),
        db.update(invoices).set({ status: 'overdue', updatedAt: now }).where(due).returning({ id: invoices.id }),
      ];
    });
    const results = await db.batch(statements as [never, ...never[]]);
    marked += (results as unknown as unknown[][]).filter((_, n) => n % 2 === 1).reduce((sum, rows) => sum + rows.length, 0);
  }
  return marked;
}

/** One (host, customer, period) to invoice: what the billing queue carries. */
export interface BillingJob {
  kind: 'invoice';
  hostId: string;
  customerId: string;
  periodKey: string;
}

/**
 * Which customers still need an invoice for their host's last closed period, once every UTC day of
 * it has been sealed (SEAL_LAG_MS after it ends): customers with a non-draft contract overlapping
 * the period and no invoice for it yet. At most `limit` per host per call; the cron runs every
 * 15 minutes, so a large host is worked through over several runs.
 */
export async function dueBillingJobs(db: Db, now = Date.now(), limit = 500): Promise<BillingJob[]> {
  const hostRows = await db
    .select({ id: hosts.id, timezone: hosts.timezone, billingDay: sql<number>`coalesce(${billingSettings.billingDay}, 1)` })
    .from(hosts)
    .leftJoin(billingSettings, eq(billingSettings.hostId, hosts.id))
    // A closed host books nothing more.
    .where(openHost);
  const jobs: BillingJob[] = [];
  const ready = hostRows
    .map((host) => ({ host, period: lastClosedPeriod(now, host.billingDay, host.timezone) }))
    .filter(({ period }) => now >= Math.ceil(period.toMs / DAY_MS) * DAY_MS + SEAL_LAG_MS);
  for (let i = 0; i < ready.length; i += 40) {
    const reads = ready.slice(i, i + 40).map(({ host, period }) =>
      db
        .selectDistinct({ customerId: contracts.customerId })
        .from(contracts)
        .where(
          and(
            eq(contracts.hostId, host.id),
            ne(contracts.status, 'draft'),
            sql`${contracts.startDate} < ${period.end} AND ${contracts.endDate} >= ${period.start}`,
            sql`NOT EXISTS (SELECT 1 FROM invoices i WHERE i.host_id = ${host.id} AND i.customer_id = ${contracts.customerId} AND i.period_key = ${period.key} AND i.status <> 'void')`,
          ),
        )
        .limit(limit),
    );
    const results = await db.batch(reads as [never, ...never[]]);
    ready.slice(i, i + 40).forEach(({ host, period }, n) => {
      for (const row of (results as unknown as { customerId: string }[][])[n]!) jobs.push({ kind: 'invoice', hostId: host.id, customerId: row.customerId, periodKey: period.key });
    });
  }
  return jobs;
}

export const SYSTEM_ACTOR: Actor = { kind: 'system', id: null, label: 'Billing' };

/**
 * One queued job: generate the period's invoice and issue it. Idempotent: a redelivered or
 * duplicated message finds the invoice already there (unique index) and issued (guarded UPDATE).
 * An invoice with blockers stays a draft for staff to resolve.
 */
export async function runBillingJob(db: Db, env: EmailEnv, job: BillingJob, now = Date.now()): Promise<'issued' | 'draft' | 'unchanged'> {
  const result = await generateInvoice(db, job.hostId, job.customerId, job.periodKey, SYSTEM_ACTOR, { now });
  if (result.invoice.status !== 'draft') return 'unchanged';
  if (result.blockers.length > 0) return 'draft';
  try {
    await issueInvoice(db, env, job.hostId, result.invoice.id, SYSTEM_ACTOR, now, result.preview);
  } catch (error) {
    if (error instanceof AppError && error.code === 'conflict') return 'unchanged';
    throw error;
  }
  return 'issued';
}


/** Everything the printable invoice shows: the invoice, who issues it and how to pay. */
export interface InvoiceDocument extends InvoiceDetail {
  issuer: {
    name: string;
    logoKey: string | null;
    businessAddress: string | null;
    remitTo: string | null;
    invoiceFooter: string | null;
    timezone: string;
  };
  /** Where the billed units run: the sites' region and country, as printed. */
  locations: string[];
  /** The customer's available credit in the invoice's currency. */
  creditMinor: number;
  /** The legal agreements it cites: in force when issued, and what the customer had accepted. */
  agreements: InvoiceAgreement[];
}

export async function getInvoiceDocument(db: Db, hostId: string, invoiceId: string, options: { customerId?: string } = {}): Promise<InvoiceDocument> {
  const detail = await getInvoice(db, hostId, invoiceId, options);
  const siteIds = new Set<string>();
  for (const line of detail.lines) {
    if (!line.detail) continue;
    // Energy lines list their units (EnergyLineDetail); fee lines only count them.
    const parsed = JSON.parse(line.detail) as { units?: unknown };
    if (!Array.isArray(parsed.units)) continue;
    for (const unit of parsed.units as { siteId: string | null }[]) if (unit.siteId) siteIds.add(unit.siteId);
  }
  const [hostRows, settingsRows, siteRows, creditRows, agreements] = await db.batch([
    db.select({ name: hosts.name, logoKey: hosts.brandLogoKey, timezone: hosts.timezone }).from(hosts).where(eq(hosts.id, hostId)),
    db.select().from(billingSettings).where(eq(billingSettings.hostId, hostId)),
    db.select({ region: sites.region, country: sites.country }).from(sites).where(and(eq(sites.hostId, hostId), inIds(sites.id, [...siteIds, '']))),
    db
      .select({ n: sql<number>`coalesce(sum(${credits.remainingMinor}), 0)` })
      .from(credits)
      .where(and(eq(credits.hostId, hostId), eq(credits.customerId, detail.invoice.customerId), eq(credits.currency, detail.invoice.currency))),
    invoiceAgreementsRead(db, hostId, detail.invoice),
  ]);
  const host = hostRows[0]!;
  const settings = settingsRows[0];
  const locations = [...new Set(siteRows.map((s) => [s.region, s.country].filter(Boolean).join(', ')).filter(Boolean))].sort();
  return {
    ...detail,
    issuer: {
      name: host.name,
      logoKey: host.logoKey,
      businessAddress: settings?.businessAddress ?? null,
      remitTo: settings?.remitTo ?? null,
      invoiceFooter: settings?.invoiceFooter ?? null,
      timezone: host.timezone,
    },
    locations,
    creditMinor: creditRows[0]?.n ?? 0,
    agreements,
  };
}

/** Customers to pick from (invoice filters, the preview form), by name. */
export async function billingCustomerOptions(db: Db, hostId: string): Promise<{ id: string; name: string }[]> {
  return db.select({ id: customers.id, name: customers.name }).from(customers).where(eq(customers.hostId, hostId)).orderBy(asc(customers.sortName), asc(customers.id));
}

/** Every invoice matching the filters (no paging) as CSV rows: header first. */
export async function invoicesCsvRows(db: Db, hostId: string, filters: InvoiceListFilters): Promise<(string | number | null)[][]> {
  const rows: (string | number | null)[][] = [['number', 'customer', 'period', 'status', 'held', 'issued_on', 'due_on', 'currency', 'total', 'paid', 'balance', 'total_minor', 'paid_minor']];
  for (let page = 1; ; page++) {
    const list = await listInvoices(db, hostId, { ...filters, page });
    for (const inv of list.items) {
      rows.push([
        inv.number,
        inv.customerName,
        inv.periodKey,
        inv.status,
        inv.held ? 'yes' : 'no',
        inv.issuedOn,
        inv.dueOn,
        inv.currency,
        minorToDecimalText(inv.totalMinor, inv.currency),
        minorToDecimalText(inv.paidMinor, inv.currency),
        minorToDecimalText(inv.totalMinor - inv.paidMinor, inv.currency),
        inv.totalMinor,
        inv.paidMinor,
      ]);
    }
    if (page >= list.pages) break;
  }
  return rows;
}
