/**
 * Fixed fees for units without power data (docs/BILLING.md, "Units without power data"). Billing
 * never issues an energy line from unknown energy; staff either set the unit's spec and recompute
 * its unsealed hours, or bill it a fixed fee for the period instead of energy. The choice is kept
 * per (customer, period, unit) in invoice_unit_fees, so the preview shows it, regenerating the
 * draft keeps it, and a corrected invoice of the period applies it again.
 *
 * Setting or removing a fee writes the fee, the activity entry and (when the period has a draft)
 * the regenerated draft in one batch: the draft never disagrees with the stored choice.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { activityInsert, type Actor } from '../activity/service';
import type { Db } from '../db/client';
import { customers, invoiceUnitFees } from '../db/schema';
import { minerIdent } from '../equipment/naming';
import { AppError, notFound, ValidationError, type FieldErrors } from '../lib/errors';
import { newId } from '../lib/ids';
import { draftWriteStatements, previewInvoice, storedDraftResult, type GenerateResult, type InvoicePreview, type StoredUnitFee } from './invoices';
import { currencyExponent, formatMoney, parseMoneyText } from './money';
import { isPeriodKey } from './periods';

export const UNIT_FEE_NOTE_MAX = 200;

export interface UnitFeeInput {
  customerId: string;
  periodKey: string;
  /** The units chosen (checkboxes); ignored when `allBlocked`. */
  minerIds: string[];
  /** Every unit the preview lists as blocked for lack of power data. */
  allBlocked: boolean;
  /** The fee per unit, as typed, in the invoice's currency's major unit ("150.00"). */
  fee: string;
  note: string;
}

export interface UnitFeeResult {
  preview: InvoicePreview;
  /** The regenerated draft, when the period had one. */
  draft: GenerateResult | null;
}

/** The customer must be this host's (404 otherwise: another host's customer does not exist here). */
async function requireCustomer(db: Db, hostId: string, customerId: string) {
  const [row] = await db.select({ id: customers.id }).from(customers).where(and(eq(customers.hostId, hostId), eq(customers.id, customerId)));
  if (!row) throw notFound('Customer');
}

function refuseIfIssued(preview: InvoicePreview) {
  const existing = preview.existing;
  if (existing && existing.status !== 'draft') {
    throw new AppError('conflict', `This period’s invoice ${existing.number ?? ''} is already issued: void it and create a corrected invoice to change its fixed fees.`.replace('  ', ' '));
  }
}

/**
 * Bills the chosen blocked units a fixed fee for the period (or changes the fee of units that
 * already have one). Refused with field errors (422) for a bad amount, note or choice of units;
 * refused (409) once the period's invoice is issued.
 */
export async function setUnitFees(db: Db, hostId: string, actor: Actor, input: UnitFeeInput, now = Date.now()): Promise<UnitFeeResult> {
  if (!isPeriodKey(input.periodKey)) throw new ValidationError({ period: 'Choose a month as YYYY-MM.' });
  await requireCustomer(db, hostId, input.customerId);
  const current = await previewInvoice(db, hostId, input.customerId, input.periodKey);
  refuseIfIssued(current);

  const currency = current.currency;
  const errors: FieldErrors = {};
  // Units that may get a fee: those blocked for lack of power data, and those that have one already (to change it).
  const eligible = new Map<string, { serial: string | null; mac: string | null; model: string | null }>();
  for (const unit of current.blockedUnits) eligible.set(unit.minerId, { serial: unit.serial, mac: unit.mac, model: unit.model });
  for (const fee of current.unitFees) eligible.set(fee.minerId, { serial: fee.serial, mac: fee.mac, model: fee.model });
  const chosen = input.allBlocked ? current.blockedUnits.map((u) => u.minerId) : [...new Set(input.minerIds.filter(Boolean))];
  if (chosen.length === 0) errors.miner_ids = input.allBlocked ? 'No unit is blocked for lack of power data in this period.' : 'Choose at least one blocked unit.';
  else if (chosen.some((id) => !eligible.has(id))) errors.miner_ids = 'Only units listed as blocked (no power data) in this period can be billed a fixed fee.';

  const amountMinor = parseMoneyText(input.fee, currency);
  const exponent = currencyExponent(currency);
  if (input.fee.trim() === '') errors.fee = `Enter the fee per unit in ${currency}.`;
  else if (amountMinor === null) errors.fee = `Enter the fee per unit as an amount in ${currency}, e.g. ${exponent > 0 ? `150.${'0'.repeat(exponent)}` : '15000'}${exponent > 0 ? ` (at most ${exponent} decimals)` : ' (no decimals)'}.`;
  // (parseMoneyText refuses amounts of ten or more digits before the decimal point, so no cap here.)
  else if (amountMinor <= 0) errors.fee = 'Enter a fee above zero.';

  const note = input.note.trim();
  if (note.length > UNIT_FEE_NOTE_MAX) errors.note = `Keep the note to ${UNIT_FEE_NOTE_MAX} characters.`;
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);

  const amount = amountMinor!;
  const previous = new Map(current.unitFees.map((f) => [f.minerId, f]));
  const rows = chosen.map((minerId) => ({
    id: newId(),
    hostId,
    customerId: input.customerId,
    periodKey: current.period.key,
    minerId,
    currency,
    amountMinor: amount,
    note: note || null,
    setBy: actor.label,
    createdAt: now,
    updatedAt: now,
  }));
  const withFees = (stored: StoredUnitFee[]): StoredUnitFee[] => [
    ...stored.filter((f) => !chosen.includes(f.minerId)),
    ...rows.map((r) => ({ minerId: r.minerId, amountMinor: r.amountMinor, currency: r.currency, note: r.note, setBy: r.setBy, ...eligible.get(r.minerId)!, updatedAt: now })),
  ];
  const serials = chosen.map((id) => minerIdent({ minerId: id, ...eligible.get(id)! })).join(', ');
  const oldFees = [...new Set(chosen.map((id) => previous.get(id)).map((f) => (f ? formatMoney(f.amountMinor, f.currency) : null)))];
  const statements: unknown[] = [];
  // 11 bound values a row: 8 rows per statement stays under D1's 100 parameters.
  for (let i = 0; i < rows.length; i += 8) {
    statements.push(
      db
        .insert(invoiceUnitFees)
        .values(rows.slice(i, i + 8))
        .onConflictDoUpdate({
          target: [invoiceUnitFees.hostId, invoiceUnitFees.customerId, invoiceUnitFees.periodKey, invoiceUnitFees.minerId],
          set: { amountMinor: amount, currency, note: note || null, setBy: actor.label, updatedAt: now },
        }),
    );
  }
  statements.push(
    activityInsert(db, hostId, actor, 'invoice.unit_fee_set', input.customerId, {
      period: [null, current.period.key],
      units: [null, serials],
      fee_per_unit: [oldFees.length === 1 ? oldFees[0] : oldFees.join(' / '), formatMoney(amount, currency)],
      note: [null, note || null],
    }, now),
  );
  return writeWithDraft(db, hostId, actor, input.customerId, current.period.key, withFees, statements, now);
}

/** Removes a unit's fixed fee for the period: it is blocked (or billed as energy) again. */
export async function removeUnitFee(db: Db, hostId: string, actor: Actor, customerId: string, periodKey: string, minerId: string, now = Date.now()): Promise<UnitFeeResult> {
  if (!isPeriodKey(periodKey)) throw new ValidationError({ period: 'Choose a month as YYYY-MM.' });
  await requireCustomer(db, hostId, customerId);
  const current = await previewInvoice(db, hostId, customerId, periodKey);
  refuseIfIssued(current);
  const fee = current.unitFees.find((f) => f.minerId === minerId);
  if (!fee) throw notFound('Fixed fee');
  const statements: unknown[] = [
    db
      .delete(invoiceUnitFees)
      .where(and(eq(invoiceUnitFees.hostId, hostId), eq(invoiceUnitFees.customerId, customerId), eq(invoiceUnitFees.periodKey, current.period.key), inArray(invoiceUnitFees.minerId, [minerId]))),
    activityInsert(db, hostId, actor, 'invoice.unit_fee_removed', customerId, { period: [current.period.key, null], unit: [minerIdent(fee), null], fee_per_unit: [formatMoney(fee.amountMinor, fee.currency), null] }, now),
  ];
  return writeWithDraft(db, hostId, actor, customerId, current.period.key, (stored) => stored.filter((f) => f.minerId !== minerId), statements, now);
}

/** The fee change and, when the period has a draft, the draft regenerated from it: one batch. */
async function writeWithDraft(
  db: Db,
  hostId: string,
  actor: Actor,
  customerId: string,
  periodKey: string,
  withUnitFees: (stored: StoredUnitFee[]) => StoredUnitFee[],
  statements: unknown[],
  now: number,
): Promise<UnitFeeResult> {
  const preview = await previewInvoice(db, hostId, customerId, periodKey, { withUnitFees });
  refuseIfIssued(preview);
  let draftId: string | null = null;
  if (preview.existing?.status === 'draft') {
    const draft = draftWriteStatements(db, hostId, preview, actor, now, preview.existing.replacesInvoiceId);
    draftId = draft.id;
    statements.push(...draft.statements);
  }
  await db.batch(statements as [never, ...never[]]);
  return { preview, draft: draftId ? await storedDraftResult(db, hostId, preview, draftId, now) : null };
}
