import { and, asc, desc, eq, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import * as z from '../lib/schema';
import { activityInsert, type Actor } from '../activity/service';
import { energyAmountMinor, isCurrencyCode, microsTimesMilliAmountMinor, minorToDecimalText, parseMoneyText } from '../billing/money';
import { parseIsoDate, zonedDate } from '../billing/periods';
import { INFINITY_VALUE_DAYS, draftContractStatements } from '../contracts/service';
import { KIND_LABELS, MAX_TERM_MONTHS, MIN_TERM_MONTHS, type ContractKind } from '../contracts/schema';
import { customerInsertStatements } from '../customers/service';
import { csvCell } from '../customers/csv';
import type { Db } from '../db/client';
import { CONTRACT_KINDS, customerUsers, QUOTE_STATUSES, quoteLines, quotes } from '../db/schema';
import { outboxInsert, queueEmail } from '../email/outbox';
import type { Bindings } from '../env';
import { AppError, notFound, ValidationError } from '../lib/errors';
import { formatMoney } from '../lib/format';
import { newId, randomToken, sha256Hex } from '../lib/ids';
import { formatScaledDecimal, parseScaledDecimal } from '../lib/decimal';
import { fieldErrorsFrom, optionalText, parseInput, requiredEmail, requiredText } from '../lib/validation';
import { documentsRequiredForKind } from '../legal/service';
import { inviteStatements } from '../portal/invites';
import { portalBaseUrl } from '../portal/links';
import type { PortalHost } from '../portal/tenant';
import { decimalToMicros, microsToDecimal } from '../sites/schema';

export type QuoteRow = typeof quotes.$inferSelect;
export type QuoteLineRow = typeof quoteLines.$inferSelect;
export type QuoteStatus = (typeof QUOTE_STATUSES)[number];

/** Hours in the month the estimate uses (365 × 24 / 12). */
export const HOURS_PER_MONTH = 730;
export const MAX_QUOTE_LINES = 10;

export const quoteNumber = (n: number) => `Q-${String(n).padStart(4, '0')}`;

export interface QuoteLineInput {
  description: string;
  units: number;
  nominalMths: number | null;
  powerW: number | null;
}

export interface QuoteTerms {
  prospectName: string;
  prospectCompany: string | null;
  prospectEmail: string;
  prospectPhone: string | null;
  kind: ContractKind;
  currency: string;
  pricing: 'per_kwh' | 'fixed_per_unit' | null;
  energyRateMicrosPerKwh: number | null;
  monthlyFeeMinor: number | null;
  priceMicrosPerThDay: number | null;
  termMonths: number;
  setupFeeMinor: number;
  depositMinor: number;
  validUntil: string;
  notes: string | null;
  lines: QuoteLineInput[];
}

const text = z.optional(z.pipe(z.union([z.string(), z.number()]), z.transform((v) => String(v).trim())));
const quoteSchema = z.strictObject({
  prospect_name: requiredText('Prospect name', 200),
  prospect_company: optionalText(200),
  prospect_email: requiredEmail('Prospect email'),
  prospect_phone: optionalText(40),
  kind: z.enum(CONTRACT_KINDS, { error: 'Choose a contract type.' }),
  currency: z.string({ error: 'Choose a currency.' }).check(z.trim(), z.toUpperCase()),
  pricing: text,
  rate: text,
  term_months: text,
  setup_fee: text,
  deposit: text,
  valid_until: z.string({ error: 'Valid until is required.' }).check(z.trim()),
  notes: optionalText(2000),
  lines: z.array(z.strictObject({ description: text, units: text, ths: text, power_w: text }), { error: 'lines must be a list.' }).check(z.maxLength(MAX_QUOTE_LINES, `At most ${MAX_QUOTE_LINES} lines.`)),
});

/** Quote input (form or API) → checked terms in minor units and micro-units; every problem at once. */
const PROSPECT_FIELDS = ['prospect_name', 'prospect_company', 'prospect_email', 'prospect_phone', 'notes'] as const;
const prospectSchema = z.pick(quoteSchema, { prospect_name: true, prospect_company: true, prospect_email: true, prospect_phone: true, notes: true });

export function parseQuote(raw: Record<string, unknown>, today: string): QuoteTerms {
  // The prospect's fields are checked apart, so their errors show with the terms' (not first).
  const prospect = prospectSchema.safeParse(Object.fromEntries(PROSPECT_FIELDS.filter((k) => k in raw).map((k) => [k, raw[k]])));
  const errors: Record<string, string> = prospect.success ? {} : fieldErrorsFrom(prospect.error);
  const input = parseInput(quoteSchema, {
    ...raw,
    ...(prospect.success ? {} : { prospect_name: 'x', prospect_email: 'x@x.invalid', prospect_company: '', prospect_phone: '', notes: '' }),
  });
  const currency = input.currency;
  if (!isCurrencyCode(currency)) errors.currency = `Unknown currency “${currency}”: use an ISO 4217 code like USD.`;
  const money = (value: string | undefined, field: string) => {
    if (!value || !isCurrencyCode(currency)) return 0;
    const minor = parseMoneyText(value, currency);
    if (minor === null) errors[field] = `Enter an amount in ${currency}, like 125.50.`;
    return minor ?? 0;
  };
  const term = Number(input.term_months);
  if (!/^\d+$/.test(input.term_months ?? '') || term < MIN_TERM_MONTHS || term > MAX_TERM_MONTHS) errors.term_months = `Term must be a whole number from ${MIN_TERM_MONTHS} to ${MAX_TERM_MONTHS}.`;
  if (!parseIsoDate(input.valid_until)) errors.valid_until = 'Valid until must be a real date, YYYY-MM-DD.';
  else if (input.valid_until < today) errors.valid_until = 'Valid until must be today or later.';

  let pricing: QuoteTerms['pricing'] = null;
  let energyRateMicrosPerKwh: number | null = null;
  let monthlyFeeMinor: number | null = null;
  let priceMicrosPerThDay: number | null = null;
  const rate = input.rate ?? '';
  if (input.kind === 'hosted') {
    pricing = input.pricing === 'fixed_per_unit' ? 'fixed_per_unit' : input.pricing === 'per_kwh' ? 'per_kwh' : null;
    if (!pricing) errors.pricing = 'Choose per kWh or a fixed fee per unit.';
  }
  if (pricing === 'per_kwh') {
    energyRateMicrosPerKwh = decimalToMicros(rate);
    if (energyRateMicrosPerKwh === null) errors.rate = 'Enter the rate per kWh, like 0.065.';
  } else if (input.kind === 'infinity') {
    priceMicrosPerThDay = parseScaledDecimal(rate, 6);
    if (priceMicrosPerThDay === null) errors.rate = 'Enter the price per TH/s per day, like 0.055.';
  } else {
    monthlyFeeMinor = rate && isCurrencyCode(currency) ? parseMoneyText(rate, currency) : null;
    if (monthlyFeeMinor === null) errors.rate = input.kind === 'om' ? 'Enter the monthly fee per site, like 1500.' : 'Enter the monthly fee per unit, like 120.';
  }

  const lines: QuoteLineInput[] = [];
  input.lines.forEach((line, i) => {
    const blank = !line.description && !line.units && !line.ths && !line.power_w;
    if (blank) return;
    const n = i + 1;
    const description = (line.description ?? '').slice(0, 200);
    if (!description) errors[`line${n}_description`] = input.kind === 'om' ? 'Name the site(s).' : 'Enter the model or a description.';
    const units = input.kind === 'infinity' ? 1 : Number(line.units);
    if (input.kind !== 'infinity' && (!/^\d+$/.test(line.units ?? '') || units < 1 || units > 100_000)) errors[`line${n}_units`] = input.kind === 'om' ? 'Sites: a whole number from 1.' : 'Units: a whole number from 1 to 100,000.';
    const nominalMths = line.ths ? parseScaledDecimal(line.ths, 3) : null;
    if (line.ths && nominalMths === null) errors[`line${n}_ths`] = 'Enter TH/s like 200 or 110.5.';
    if (input.kind === 'infinity' && !nominalMths) errors[`line${n}_ths`] = 'Enter the TH/s bought.';
    const powerW = line.power_w ? Number(line.power_w) : null;
    if (line.power_w && (!/^\d+$/.test(line.power_w) || powerW! > 100_000)) errors[`line${n}_power_w`] = 'Power: whole watts, like 3500.';
    if (pricing === 'per_kwh' && !powerW) errors[`line${n}_power_w`] = 'Per-kWh pricing needs each unit’s power (W) for the estimate.';
    lines.push({ description, units: Number.isFinite(units) ? units : 0, nominalMths, powerW });
  });
  if (lines.length === 0) errors.line1_description = 'Add at least one line.';
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return {
    prospectName: input.prospect_name,
    prospectCompany: input.prospect_company ?? null,
    prospectEmail: input.prospect_email,
    prospectPhone: input.prospect_phone ?? null,
    kind: input.kind,
    currency,
    pricing,
    energyRateMicrosPerKwh,
    monthlyFeeMinor,
    priceMicrosPerThDay,
    termMonths: term,
    setupFeeMinor: money(input.setup_fee, 'setup_fee'),
    depositMinor: money(input.deposit, 'deposit'),
    validUntil: input.valid_until,
    notes: input.notes ?? null,
    lines,
  };
}

/**
 * A line's monthly estimate, rounded half up once per line: per kWh, units × nominal power ×
 * 730 h × rate; a fixed fee, units (or sites) × fee; Infinity, TH/s × price per TH/s-day × 30.
 */
export function lineMonthlyMinor(terms: Pick<QuoteTerms, 'kind' | 'pricing' | 'currency' | 'energyRateMicrosPerKwh' | 'monthlyFeeMinor' | 'priceMicrosPerThDay'>, line: QuoteLineInput): number {
  if (terms.kind === 'infinity') return microsTimesMilliAmountMinor(terms.priceMicrosPerThDay ?? 0, BigInt(line.nominalMths ?? 0) * BigInt(INFINITY_VALUE_DAYS), terms.currency);
  if (terms.pricing === 'per_kwh') return energyAmountMinor(BigInt(line.units) * BigInt(line.powerW ?? 0) * BigInt(HOURS_PER_MONTH), terms.energyRateMicrosPerKwh ?? 0, terms.currency);
  return line.units * (terms.monthlyFeeMinor ?? 0);
}

export interface QuoteDetail extends QuoteRow {
  lines: QuoteLineRow[];
  /** Whole term: monthly × term + setup fee (the deposit is shown apart: it is returned). */
  termTotalMinor: number;
  effectiveStatus: QuoteStatus;
}

/** A sent or viewed quote past its date reads as expired, whether or not the cron has written it. */
export function effectiveStatus(quote: Pick<QuoteRow, 'status' | 'validUntil'>, today: string): QuoteStatus {
  if ((quote.status === 'sent' || quote.status === 'viewed' || quote.status === 'draft') && quote.validUntil < today) return 'expired';
  return quote.status;
}

const withTotals = (quote: QuoteRow, lines: QuoteLineRow[], today: string): QuoteDetail => ({
  ...quote,
  lines,
  termTotalMinor: quote.monthlyEstimateMinor * quote.termMonths + quote.setupFeeMinor,
  effectiveStatus: effectiveStatus(quote, today),
});

export async function createQuote(db: Db, hostId: string, actor: Actor & { email: string }, raw: Record<string, unknown>, today: string): Promise<string> {
  const terms = parseQuote(raw, today);
  const id = newId();
  const now = Date.now();
  const lineRows = terms.lines.map((line, position) => ({ id: newId(), quoteId: id, hostId, position, ...line, monthlyMinor: lineMonthlyMinor(terms, line) }));
  const monthly = lineRows.reduce((sum, line) => sum + line.monthlyMinor, 0);
  const { lines: _lines, ...columns } = terms;
  // The number is the host's next, read in the insert itself; the unique index catches a tie.
  const statements: BatchItem<'sqlite'>[] = [
    db.insert(quotes).values({
      ...columns,
      id,
      hostId,
      number: sql`(SELECT coalesce(max(number), 0) + 1 FROM quotes WHERE host_id = ${hostId})` as unknown as number,
      status: 'draft',
      monthlyEstimateMinor: monthly,
      createdByLabel: actor.label,
      createdByEmail: actor.email,
      createdAt: now,
      updatedAt: now,
    }),
    ...lineRows.map((line) => db.insert(quoteLines).values(line)),
    activityInsert(db, hostId, actor, 'quote.created', null, { prospect: [null, terms.prospectEmail], monthly_estimate: [null, formatMoney(monthly, terms.currency)] }, now),
  ];
  await db.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  return id;
}

/** Stored statuses a quote can still be edited from: not once the prospect has answered. */
export const EDITABLE_QUOTE_STATUSES = ['draft', 'sent', 'viewed', 'expired'] as const satisfies readonly QuoteStatus[];

export const isEditableQuote = (quote: Pick<QuoteRow, 'status'>) => (EDITABLE_QUOTE_STATUSES as readonly string[]).includes(quote.status);

/**
 * Edits a quote the prospect has not answered. A sent (or viewed, or expired) quote goes back to
 * draft and its link stops working, so nobody can accept terms other than the ones they were
 * sent: the host re-sends it (a new link). The quote's `host_id` is re-read inside the batch and
 * is NULL unless the quote is still editable: if the prospect accepted or declined meanwhile, the
 * NOT NULL constraint rolls the whole edit back (409) and the lines stay as accepted.
 */
export async function updateQuote(db: Db, hostId: string, actor: Actor, quoteId: string, raw: Record<string, unknown>, today: string): Promise<void> {
  const before = await getQuote(db, hostId, quoteId, today);
  if (!isEditableQuote(before)) throw new AppError('conflict', `This quote was ${before.status}: it can no longer be edited.`);
  const terms = parseQuote(raw, today);
  const now = Date.now();
  const lineRows = terms.lines.map((line, position) => ({ id: newId(), quoteId, hostId, position, ...line, monthlyMinor: lineMonthlyMinor(terms, line) }));
  const monthly = lineRows.reduce((sum, line) => sum + line.monthlyMinor, 0);
  const { lines: _lines, ...columns } = terms;
  const editableStatuses = sql.join(EDITABLE_QUOTE_STATUSES.map((status) => sql`${status}`), sql`, `);
  const guard = sql`(SELECT q.host_id FROM quotes q WHERE q.id = ${quoteId} AND q.host_id = ${hostId} AND q.status IN (${editableStatuses}))`;
  const changes: Record<string, [unknown, unknown]> = {};
  if (before.prospectEmail !== terms.prospectEmail) changes.prospect = [before.prospectEmail, terms.prospectEmail];
  if (before.monthlyEstimateMinor !== monthly || before.currency !== terms.currency) {
    changes.monthly_estimate = [formatMoney(before.monthlyEstimateMinor, before.currency), formatMoney(monthly, terms.currency)];
  }
  if (before.validUntil !== terms.validUntil) changes.valid_until = [before.validUntil, terms.validUntil];
  if (before.status !== 'draft') changes.status = [before.status, 'draft'];
  const statements: BatchItem<'sqlite'>[] = [
    db
      .update(quotes)
      .set({ ...columns, hostId: guard as unknown as string, monthlyEstimateMinor: monthly, status: 'draft', tokenHash: null, updatedAt: now })
      .where(and(eq(quotes.id, quoteId), eq(quotes.hostId, hostId))),
    db.delete(quoteLines).where(and(eq(quoteLines.quoteId, quoteId), eq(quoteLines.hostId, hostId))),
    ...lineRows.map((line) => db.insert(quoteLines).values(line)),
    activityInsert(db, hostId, actor, 'quote.edited', null, { [quoteNumber(before.number)]: [null, terms.prospectEmail], ...changes }, now),
  ];
  await guardedBatch(db, statements, 'quotes', 'The prospect answered this quote meanwhile: it can no longer be edited.');
}

/**
 * Runs a batch whose first write re-reads the quote's state as a `host_id` that is NULL when the
 * quote may no longer change: the NOT NULL constraint on `table.host_id` rolls the whole batch
 * back, and the caller's race becomes a 409 with `conflictMessage`.
 */
async function guardedBatch(db: Db, statements: BatchItem<'sqlite'>[], table: 'quotes' | 'customers', conflictMessage: string) {
  try {
    await db.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  } catch (error) {
    if (error instanceof Error && new RegExp(`NOT NULL constraint failed: ${table}\\.host_id`, 'i').test(`${error.message} ${String((error as { cause?: unknown }).cause ?? '')}`)) {
      throw new AppError('conflict', conflictMessage);
    }
    throw error;
  }
}

/** A stored quote as the form's text fields (the edit page starts from these). */
export function quoteFormValues(quote: QuoteDetail): Record<string, string> {
  const rate =
    quote.energyRateMicrosPerKwh !== null
      ? microsToDecimal(quote.energyRateMicrosPerKwh)
      : quote.priceMicrosPerThDay !== null
        ? formatScaledDecimal(quote.priceMicrosPerThDay, 6)
        : quote.monthlyFeeMinor !== null
          ? minorToDecimalText(quote.monthlyFeeMinor, quote.currency)
          : '';
  const values: Record<string, string> = {
    prospect_name: quote.prospectName,
    prospect_company: quote.prospectCompany ?? '',
    prospect_email: quote.prospectEmail,
    prospect_phone: quote.prospectPhone ?? '',
    kind: quote.kind,
    pricing: quote.pricing ?? 'per_kwh',
    currency: quote.currency,
    rate,
    term_months: String(quote.termMonths),
    setup_fee: quote.setupFeeMinor ? minorToDecimalText(quote.setupFeeMinor, quote.currency) : '',
    deposit: quote.depositMinor ? minorToDecimalText(quote.depositMinor, quote.currency) : '',
    valid_until: quote.validUntil,
    notes: quote.notes ?? '',
  };
  quote.lines.forEach((line, i) => {
    const n = i + 1;
    values[`line${n}_description`] = line.description;
    values[`line${n}_units`] = String(line.units);
    values[`line${n}_ths`] = line.nominalMths === null ? '' : formatScaledDecimal(line.nominalMths, 3);
    values[`line${n}_power_w`] = line.powerW === null ? '' : String(line.powerW);
  });
  return values;
}

export async function getQuote(db: Db, hostId: string, quoteId: string, today: string): Promise<QuoteDetail> {
  const [rows, lines] = await db.batch([
    db.select().from(quotes).where(and(eq(quotes.hostId, hostId), eq(quotes.id, quoteId))),
    db.select().from(quoteLines).where(and(eq(quoteLines.hostId, hostId), eq(quoteLines.quoteId, quoteId))).orderBy(asc(quoteLines.position)),
  ]);
  if (!rows[0]) throw notFound('Quote');
  return withTotals(rows[0], lines, today);
}

export interface QuoteListQuery {
  status?: QuoteStatus;
  q?: string;
}

export async function listQuotes(db: Db, hostId: string, query: QuoteListQuery, today: string) {
  const filters: (SQL | undefined)[] = [eq(quotes.hostId, hostId)];
  if (query.status === 'expired') filters.push(sql`(${quotes.status} = 'expired' OR (${quotes.status} IN ('draft', 'sent', 'viewed') AND ${quotes.validUntil} < ${today}))`);
  else if (query.status === 'sent' || query.status === 'viewed' || query.status === 'draft') filters.push(and(eq(quotes.status, query.status), sql`${quotes.validUntil} >= ${today}`));
  else if (query.status) filters.push(eq(quotes.status, query.status));
  if (query.q) filters.push(sql`instr(lower(${quotes.prospectName} || ' ' || coalesce(${quotes.prospectCompany}, '') || ' ' || ${quotes.prospectEmail}), ${query.q.toLowerCase()}) > 0`);
  const rows = await db.select().from(quotes).where(and(...filters)).orderBy(desc(quotes.createdAt)).limit(500).all();
  return rows.map((row) => ({ ...row, effectiveStatus: effectiveStatus(row, today) }));
}

/** Conversion: of the quotes ever sent, how many were accepted, and the monthly value won, per currency. */
export async function quoteFigures(db: Db, hostId: string) {
  const rows = await db
    .select({
      currency: quotes.currency,
      sent: sql<number>`sum(CASE WHEN ${quotes.sentAt} IS NOT NULL THEN 1 ELSE 0 END)`,
      accepted: sql<number>`sum(CASE WHEN ${quotes.status} = 'accepted' THEN 1 ELSE 0 END)`,
      acceptedMonthly: sql<number>`sum(CASE WHEN ${quotes.status} = 'accepted' THEN ${quotes.monthlyEstimateMinor} ELSE 0 END)`,
      openMonthly: sql<number>`sum(CASE WHEN ${quotes.status} IN ('sent', 'viewed') THEN ${quotes.monthlyEstimateMinor} ELSE 0 END)`,
    })
    .from(quotes)
    .where(eq(quotes.hostId, hostId))
    .groupBy(quotes.currency)
    .all();
  return rows.map((r) => ({ ...r, sent: Number(r.sent ?? 0), accepted: Number(r.accepted ?? 0), acceptedMonthly: Number(r.acceptedMonthly ?? 0), openMonthly: Number(r.openMonthly ?? 0) }));
}

export function quotesCsv(rows: (QuoteRow & { effectiveStatus: QuoteStatus })[]) {
  const header = ['number', 'status', 'prospect', 'company', 'email', 'contract_type', 'currency', 'monthly_estimate', 'term_months', 'setup_fee', 'deposit', 'valid_until', 'sent_at', 'accepted_at', 'created_at'];
  const lines = rows.map((q) =>
    [
      quoteNumber(q.number),
      q.effectiveStatus,
      q.prospectName,
      q.prospectCompany,
      q.prospectEmail,
      q.kind,
      q.currency,
      minorToDecimalText(q.monthlyEstimateMinor, q.currency),
      q.termMonths,
      minorToDecimalText(q.setupFeeMinor, q.currency),
      minorToDecimalText(q.depositMinor, q.currency),
      q.validUntil,
      q.sentAt ? new Date(q.sentAt).toISOString() : null,
      q.acceptedAt ? new Date(q.acceptedAt).toISOString() : null,
      new Date(q.createdAt).toISOString(),
    ]
      .map(csvCell)
      .join(','),
  );
  return [header.join(','), ...lines].join('\r\n') + '\r\n';
}

// ---------------------------------------------------------------------------------------------
// Sending, the public page, accepting and declining

const logoUrlOf = (host: PortalHost, base: string) => (host.logoKey ? `${base}/brand/logo?v=${host.brandVersion}` : undefined);

/** Emails the prospect a fresh link (any older link stops working); draft → sent. */
export async function sendQuote(db: Db, env: Pick<Bindings, 'EMAIL_QUEUE'>, host: PortalHost, actor: Actor, quoteId: string, requestUrl: string, today: string) {
  if (!host.hostSlug) throw new AppError('conflict', 'Set a host slug in Settings → General before sending quotes: the link opens on your branded portal.');
  const quote = await getQuote(db, host.id, quoteId, today);
  if (quote.effectiveStatus === 'accepted' || quote.effectiveStatus === 'declined' || quote.effectiveStatus === 'expired') {
    throw new AppError('conflict', `This quote is ${quote.effectiveStatus}: it can no longer be sent.`);
  }
  const token = randomToken(32);
  const now = Date.now();
  const base = portalBaseUrl(host, requestUrl);
  const email = outboxInsert(db, {
    hostId: host.id,
    to: quote.prospectEmail,
    template: 'quote',
    subject: `Your quote ${quoteNumber(quote.number)} from ${host.name}`,
    payload: {
      prospectName: quote.prospectName,
      number: quoteNumber(quote.number),
      monthlyText: formatMoney(quote.monthlyEstimateMinor, quote.currency),
      validUntil: quote.validUntil,
      quoteUrl: `${base}/quote/${token}`,
      logoUrl: logoUrlOf(host, base),
    },
  });
  await db.batch([
    db
      .update(quotes)
      .set({ tokenHash: await sha256Hex(token), status: quote.status === 'draft' ? 'sent' : quote.status, sentAt: now, updatedAt: now })
      .where(and(eq(quotes.id, quoteId), eq(quotes.hostId, host.id), inArray(quotes.status, ['draft', 'sent', 'viewed']))),
    email.statement,
    activityInsert(db, host.id, actor, 'quote.sent', null, { [quoteNumber(quote.number)]: [null, quote.prospectEmail] }, now),
  ]);
  await queueEmail(env, [email.id]);
  return token;
}

/** The quote a link's token opens, within the host the address resolved to only. */
export async function quoteByToken(db: Db, hostId: string, token: string, today: string): Promise<QuoteDetail | null> {
  if (!token || token.length > 100) return null;
  const row = await db
    .select({ id: quotes.id })
    .from(quotes)
    .where(and(eq(quotes.hostId, hostId), eq(quotes.tokenHash, await sha256Hex(token))))
    .get();
  return row ? getQuote(db, hostId, row.id, today) : null;
}

/** `adminOrigin`: where the Host OS answers (the platform), not the portal domain the prospect used. */
function hostEventEmail(db: Db, host: PortalHost, quote: QuoteDetail, event: 'viewed' | 'accepted' | 'declined', adminOrigin: string, detail?: string) {
  const origin = adminOrigin;
  return outboxInsert(db, {
    hostId: host.id,
    to: quote.createdByEmail,
    template: 'quote_event',
    subject: `Quote ${quoteNumber(quote.number)} ${event} by ${quote.prospectName}`,
    payload: { number: quoteNumber(quote.number), prospectName: quote.prospectName, event, detail, quoteUrl: `${origin.replace(/\/$/, '')}/admin/quotes/${quote.id}` },
  });
}

/** The first open of a sent quote marks it viewed and tells its author (once). */
export async function markViewed(db: Db, env: Pick<Bindings, 'EMAIL_QUEUE'>, host: PortalHost, quote: QuoteDetail, adminOrigin: string) {
  if (quote.status !== 'sent' || quote.effectiveStatus !== 'sent') return;
  const now = Date.now();
  const email = hostEventEmail(db, host, quote, 'viewed', adminOrigin);
  const [updated] = await db.batch([
    db
      .update(quotes)
      .set({ status: 'viewed', viewedAt: now, updatedAt: now })
      .where(and(eq(quotes.id, quote.id), eq(quotes.status, 'sent')))
      .returning({ id: quotes.id }),
    email.statement,
  ]);
  if (updated.length) await queueEmail(env, [email.id]);
}

const acceptSchema = z.strictObject({
  name: requiredText('Your name', 200),
  title: optionalText(200),
  agree: z.optional(z.literal('on', { error: 'Tick the box to accept the agreements.' })),
});

const declineSchema = z.strictObject({ reason: optionalText(1000) });

function assertOpen(quote: QuoteDetail) {
  if (quote.effectiveStatus === 'accepted') throw new AppError('conflict', 'This quote was already accepted.');
  if (quote.effectiveStatus === 'declined') throw new AppError('conflict', 'This quote was declined and can no longer be accepted.');
  if (quote.effectiveStatus === 'expired') throw new AppError('conflict', 'This quote has expired. Ask for a new one.');
  if (quote.effectiveStatus === 'draft') throw notFound('Quote');
}

/**
 * Accepting: the customer (Add Customer's rules), a draft contract from the quote's terms, the
 * portal invite, the quote's new state, the host's email and the Activity entries, in ONE batch.
 * The customer insert's host_id is a guard subquery that is NULL unless the quote is still open
 * and unexpired inside that transaction, so a second submit (or an expired or declined quote)
 * aborts the whole batch on NOT NULL: a quote is accepted at most once, by construction.
 */
export async function acceptQuote(
  db: Db,
  env: Pick<Bindings, 'EMAIL_QUEUE'>,
  host: PortalHost,
  quote: QuoteDetail,
  raw: Record<string, unknown>,
  request: { ip: string | null; url: string; adminOrigin: string },
  today: string,
) {
  const { ip, url: requestUrl } = request;
  assertOpen(quote);
  const input = parseInput(acceptSchema, raw);
  const agreements = await documentsRequiredForKind(db, host.id, quote.kind);
  if (agreements.length && input.agree !== 'on') throw new ValidationError({ agree: 'Tick the box to accept the agreements.' });
  const taken = await db
    .select({ id: customerUsers.id })
    .from(customerUsers)
    .where(and(eq(customerUsers.hostId, host.id), eq(customerUsers.email, quote.prospectEmail)))
    .get();
  if (taken) throw new AppError('conflict', `${quote.prospectEmail} already has a portal account with ${host.name}. Contact them to add this quote to that account.`);

  const now = Date.now();
  const actor: Actor = { kind: 'customer', id: null, label: `${input.name} (quote ${quoteNumber(quote.number)})` };
  const guard = sql`(SELECT host_id FROM quotes WHERE id = ${quote.id} AND host_id = ${host.id} AND status IN ('sent', 'viewed') AND valid_until >= ${today})`;
  const customer = customerInsertStatements(
    db,
    host.id,
    actor,
    { name: quote.prospectCompany ?? quote.prospectName, company_name: quote.prospectCompany ?? '', contact_email: quote.prospectEmail, phone: quote.prospectPhone ?? '', billing_currency: quote.currency },
    guard,
    now,
  );
  const totalMths = quote.lines.reduce((sum, line) => sum + (line.nominalMths ?? 0), 0);
  const contract = draftContractStatements(
    db,
    host.id,
    actor,
    customer.id,
    quote.currency,
    {
      kind: quote.kind,
      name: `${KIND_LABELS[quote.kind]} — quote ${quoteNumber(quote.number)}`,
      start_date: today,
      term_months: quote.termMonths,
      pricing: quote.kind === 'hosted' ? quote.pricing : null,
      kwh_source: quote.pricing === 'per_kwh' ? 'metered' : null,
      energy_rate_per_kwh: quote.energyRateMicrosPerKwh === null ? null : microsToDecimal(quote.energyRateMicrosPerKwh),
      monthly_fee: quote.monthlyFeeMinor === null ? null : minorToDecimalText(quote.monthlyFeeMinor, quote.currency),
      infinity_ths: quote.kind === 'infinity' ? (totalMths / 1000).toString() : null,
      price_per_th_day: quote.priceMicrosPerThDay === null ? null : microsToDecimal(quote.priceMicrosPerThDay),
      setup_fee: minorToDecimalText(quote.setupFeeMinor, quote.currency),
      deposit: minorToDecimalText(quote.depositMinor, quote.currency),
      notes: `From quote ${quoteNumber(quote.number)}: ${quote.lines.map((l) => `${l.units} × ${l.description}`).join('; ')}`.slice(0, 2000),
    },
    now,
  );
  const customerName = quote.prospectCompany ?? quote.prospectName;
  const invite = await inviteStatements(db, host, { id: customer.id, name: customerName }, { kind: 'customer', id: customer.id, label: input.name }, quote.prospectEmail, 'owner', requestUrl, now);
  const hostEmail = hostEventEmail(db, host, quote, 'accepted', request.adminOrigin, `Signed by ${input.name}${input.title ? `, ${input.title}` : ''}.`);
  const signed = agreements.map(({ document, version }) => ({ document_id: document.id, title: document.title, version_id: version.id, version: version.version, sha256: version.sha256 }));
  const statements: BatchItem<'sqlite'>[] = [
    ...customer.statements,
    db
      .update(quotes)
      .set({
        status: 'accepted',
        acceptedAt: now,
        acceptedByName: input.name,
        acceptedByTitle: input.title ?? null,
        acceptedIp: ip,
        acceptedAgreements: JSON.stringify(signed),
        customerId: customer.id,
        contractId: contract.id,
        updatedAt: now,
      })
      .where(and(eq(quotes.id, quote.id), eq(quotes.hostId, host.id))),
    ...contract.statements,
    ...invite.statements,
    hostEmail.statement,
    activityInsert(db, host.id, actor, 'quote.accepted', customer.id, { [quoteNumber(quote.number)]: [quote.status, 'accepted'], ...(ip ? { ip: [null, ip] } : {}) }, now),
  ];
  await guardedBatch(db, statements, 'customers', 'This quote was already accepted, declined or has expired.');
  await queueEmail(env, [invite.emailId, hostEmail.id]);
  return { customerId: customer.id, contractId: contract.id };
}

export async function declineQuote(db: Db, env: Pick<Bindings, 'EMAIL_QUEUE'>, host: PortalHost, quote: QuoteDetail, raw: Record<string, unknown>, adminOrigin: string) {
  assertOpen(quote);
  const input = parseInput(declineSchema, raw);
  const now = Date.now();
  const email = hostEventEmail(db, host, quote, 'declined', adminOrigin, input.reason ? `Reason: ${input.reason}` : 'No reason given.');
  const [updated] = await db.batch([
    db
      .update(quotes)
      .set({ status: 'declined', declinedAt: now, declineReason: input.reason ?? null, updatedAt: now })
      .where(and(eq(quotes.id, quote.id), eq(quotes.hostId, host.id), inArray(quotes.status, ['sent', 'viewed'])))
      .returning({ id: quotes.id }),
    email.statement,
    activityInsert(db, host.id, { kind: 'system', id: null, label: `${quote.prospectName} (prospect)` }, 'quote.declined', null, { [quoteNumber(quote.number)]: [quote.status, 'declined'] }, now),
  ]);
  if (updated.length) await queueEmail(env, [email.id]);
}

/**
 * Writes `expired` on open quotes past their date (cron). Pages and acceptance already judge
 * expiry in the host's timezone; the cron uses yesterday in UTC, so it is never earlier than
 * any host's own midnight.
 */
export async function expireQuotes(db: Db, now = Date.now()) {
  const cutoff = zonedDate(now - 86_400_000, 'UTC');
  await db.update(quotes).set({ status: 'expired', updatedAt: now }).where(and(inArray(quotes.status, ['draft', 'sent', 'viewed']), lt(quotes.validUntil, cutoff)));
}

/** Today in the host's timezone (quotes are valid through their date there). */
export const todayIn = (timezone: string, now = Date.now()) => zonedDate(now, timezone);

export const serializeQuote = (q: QuoteDetail | (QuoteRow & { effectiveStatus: QuoteStatus })) => ({
  id: q.id,
  number: quoteNumber(q.number),
  status: q.effectiveStatus,
  prospect: { name: q.prospectName, company: q.prospectCompany, email: q.prospectEmail, phone: q.prospectPhone },
  kind: q.kind,
  currency: q.currency,
  pricing: q.pricing,
  energy_rate_per_kwh: q.energyRateMicrosPerKwh === null ? null : microsToDecimal(q.energyRateMicrosPerKwh),
  monthly_fee_minor: q.monthlyFeeMinor,
  price_per_th_day: q.priceMicrosPerThDay === null ? null : microsToDecimal(q.priceMicrosPerThDay),
  term_months: q.termMonths,
  setup_fee_minor: q.setupFeeMinor,
  deposit_minor: q.depositMinor,
  valid_until: q.validUntil,
  notes: q.notes,
  monthly_estimate_minor: q.monthlyEstimateMinor,
  lines:
    'lines' in q
      ? q.lines.map((l) => ({ description: l.description, units: l.units, ths: l.nominalMths === null ? null : l.nominalMths / 1000, power_w: l.powerW, monthly_minor: l.monthlyMinor }))
      : undefined,
  customer_id: q.customerId,
  contract_id: q.contractId,
  sent_at: q.sentAt ? new Date(q.sentAt).toISOString() : null,
  accepted_at: q.acceptedAt ? new Date(q.acceptedAt).toISOString() : null,
  declined_at: q.declinedAt ? new Date(q.declinedAt).toISOString() : null,
  created_at: new Date(q.createdAt).toISOString(),
});

/** Form fields (line1_description…) → the shared input shape. */
export function quoteFormToInput(form: Record<string, string>): Record<string, unknown> {
  const lines = [];
  for (let n = 1; n <= MAX_QUOTE_LINES; n++) {
    lines.push({ description: form[`line${n}_description`] ?? '', units: form[`line${n}_units`] ?? '', ths: form[`line${n}_ths`] ?? '', power_w: form[`line${n}_power_w`] ?? '' });
  }
  const pick = (k: string) => form[k] ?? '';
  return {
    prospect_name: pick('prospect_name'),
    prospect_company: pick('prospect_company'),
    prospect_email: pick('prospect_email'),
    prospect_phone: pick('prospect_phone'),
    kind: pick('kind'),
    currency: pick('currency'),
    pricing: pick('pricing'),
    rate: pick('rate'),
    term_months: pick('term_months'),
    setup_fee: pick('setup_fee'),
    deposit: pick('deposit'),
    valid_until: pick('valid_until'),
    notes: pick('notes'),
    lines,
  };
}

