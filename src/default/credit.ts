/**
 * Paying the debt down with hashrate (docs/DEFAULT.md, "Hashrate credit").
 *
 * Once a UTC day has ended (plus USAGE_LAG_MS for the last hour's roll-up), each unit of an open
 * case's redirects that was confirmed on the holding pool is valued for that day: its delivered
 * hashrate from `usage_hourly` (Σ average milli-TH/s × online seconds, for the hours starting at or
 * after the hour it was confirmed there and before its restore was asked for) at that day's
 * hashprice (micro-USD per TH/s per day). The day's amount is rounded once, half up, to minor
 * units: round(Σ mTH·s × price_micros × 10^exp / (1000 × 86400 × 10^6)). It becomes one `hashrate`
 * credit with the evidence, applied to the oldest overdue invoice(s). The (case, day) primary key
 * of `hashrate_credit_days`, written in the same batch, makes a second run a no-op.
 */
import { and, asc, eq, gte, inArray, isNull, lt, sql } from 'drizzle-orm';
import { activityInsert, type Actor } from '../activity/service';
import { divideRoundHalfUp, minorToDecimalText } from '../billing/money';
import { applyCredit } from '../billing/payments';
import { utcDay } from '../billing/periods';
import type { Db } from '../db/client';
import { credits, customers, defaultCases, hashrateCreditDays, hosts, invoices, miners, poolRedirects, poolRedirectUnits, usageHourly } from '../db/schema';
import { AppError } from '../lib/errors';
import { newId } from '../lib/ids';
import { formatScaledDecimal } from '../lib/decimal';
import { getDefaultSettings, hashpriceText, hashpricesFor, parseHashpriceJson, setHashprices } from './settings';
import { creditEarned, overdueAmounts, SYSTEM_DEFAULT_ACTOR, type DefaultEnv } from './service';
import { noticeStatements } from './notices';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** A day is valued once it ended this long ago (the hourly roll-up of its last hour has landed). */
export const USAGE_LAG_MS = 2 * HOUR_MS;
/** How many past days one run looks back over (a missing hashprice is caught up later within it). */
const LOOKBACK_DAYS = 14;
const CREDIT_CURRENCY = 'USD';
const HASHRATE_ACTOR: Actor = { kind: 'system', id: null, label: 'Hashrate credit' };

export interface UnitEvidence {
  miner_id: string;
  serial: string | null;
  hours: number;
  /** Average TH/s over the online time of those hours, as decimal text. */
  avg_ths: string;
  /** TH/s-days delivered (Σ TH/s × online seconds ÷ 86400), as decimal text. */
  th_days: string;
  /** This unit's share, rounded on its own (the day's total is rounded once, from the exact sum). */
  amount_minor: number;
}

/** Value of milli-TH·s at a hashprice, in minor units of USD, unrounded numerator/denominator. */
const valueNumerator = (mthsSeconds: bigint, priceMicros: number) => mthsSeconds * BigInt(priceMicros) * 100n;
const VALUE_DENOMINATOR = 1_000n * 86_400n * 1_000_000n;

export function hashrateAmountMinor(mthsSeconds: bigint, priceMicros: number): number {
  return Number(divideRoundHalfUp(valueNumerator(mthsSeconds, priceMicros), VALUE_DENOMINATOR));
}

/** Fetches the hashprice URL when a recent day has none (the documented JSON shape). */
export async function fetchHashprices(db: Db, hostId: string, url: string, now: number): Promise<number> {
  const yesterday = utcDay(now - DAY_MS);
  if ((await hashpricesFor(db, hostId, [yesterday])).has(yesterday)) return 0;
  try {
    const response = await fetch(url, { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const days = parseHashpriceJson(await response.json());
    return setHashprices(db, hostId, { kind: 'system', id: null, label: 'Hashprice fetch' }, days, 'url', now);
  } catch (error) {
    console.error(`[default] hashprice fetch for host ${hostId} failed`, error);
    return 0;
  }
}

/** Posts the hashrate credit of every ended day not yet credited, for the host's open cases. Returns credits posted. */
export async function postHashrateCredits(db: Db, env: DefaultEnv, hostId: string, now = Date.now()): Promise<number> {
  const settings = await getDefaultSettings(db, hostId);
  if (!settings.payDown) return 0;
  const lastDay = utcDay(now - USAGE_LAG_MS - DAY_MS);
  const cases = await db
    .select({ id: defaultCases.id, customerId: defaultCases.customerId, creditNoticeAt: defaultCases.creditNoticeAt, firstStart: sql<number>`min(${poolRedirects.startedAt})` })
    .from(defaultCases)
    .innerJoin(poolRedirects, eq(poolRedirects.defaultCaseId, defaultCases.id))
    .where(and(eq(defaultCases.hostId, hostId), isNull(defaultCases.closedAt)))
    .groupBy(defaultCases.id)
    .limit(200);
  let posted = 0;
  for (const caseRow of cases) {
    const firstDay = utcDay(Math.max(caseRow.firstStart, Date.parse(`${lastDay}T00:00:00Z`) - (LOOKBACK_DAYS - 1) * DAY_MS));
    const days: string[] = [];
    for (let t = Date.parse(`${firstDay}T00:00:00Z`); utcDay(t) <= lastDay; t += DAY_MS) days.push(utcDay(t));
    if (days.length === 0) continue;
    const done = new Set(
      (await db.select({ day: hashrateCreditDays.day }).from(hashrateCreditDays).where(and(eq(hashrateCreditDays.defaultCaseId, caseRow.id), inArray(hashrateCreditDays.day, days)))).map((r) => r.day),
    );
    const prices = await hashpricesFor(db, hostId, days);
    let postedForCase = 0;
    for (const day of days) {
      if (done.has(day) || !prices.has(day)) continue;
      if (await creditDay(db, hostId, caseRow, day, prices.get(day)!, now)) postedForCase += 1;
    }
    posted += postedForCase;
    if (postedForCase > 0 && (caseRow.creditNoticeAt === null || caseRow.creditNoticeAt <= now - 7 * DAY_MS)) await weeklyNotice(db, env, hostId, caseRow, now);
  }
  return posted;
}

/** Values one case-day and posts it; false when another run already did. */
export async function creditDay(db: Db, hostId: string, caseRow: { id: string; customerId: string }, day: string, priceMicros: number, now: number): Promise<boolean> {
  const customer = await db
    .select({ currency: sql<string>`coalesce(${customers.billingCurrency}, ${hosts.defaultCurrency})` })
    .from(customers)
    .innerJoin(hosts, eq(hosts.id, customers.hostId))
    .where(and(eq(customers.hostId, hostId), eq(customers.id, caseRow.customerId)))
    .get();
  const dayStart = Date.parse(`${day}T00:00:00Z`);
  const dayEnd = dayStart + DAY_MS;
  const units = await db
    .select({ minerId: poolRedirectUnits.minerId, serial: miners.serial, redirectedAt: poolRedirectUnits.redirectedAt, phase: poolRedirectUnits.phase, requestedAt: poolRedirectUnits.requestedAt })
    .from(poolRedirectUnits)
    .innerJoin(poolRedirects, eq(poolRedirects.id, poolRedirectUnits.redirectId))
    .leftJoin(miners, eq(miners.id, poolRedirectUnits.minerId))
    .where(and(eq(poolRedirectUnits.hostId, hostId), eq(poolRedirects.defaultCaseId, caseRow.id), sql`${poolRedirectUnits.redirectedAt} IS NOT NULL`));
  const evidence: UnitEvidence[] = [];
  let totalMthsSeconds = 0n;
  for (const unit of units) {
    const from = Math.max(dayStart, Math.floor(unit.redirectedAt! / HOUR_MS) * HOUR_MS);
    const to = Math.min(dayEnd, unit.phase === 'restore' ? unit.requestedAt : dayEnd);
    if (from >= to) continue;
    const hours = await db
      .select({ mths: usageHourly.avgHashrateMths, seconds: usageHourly.onlineSeconds })
      .from(usageHourly)
      .where(and(eq(usageHourly.hostId, hostId), eq(usageHourly.minerId, unit.minerId), gte(usageHourly.hourStart, from), lt(usageHourly.hourStart, to)));
    if (hours.length === 0) continue;
    const mthsSeconds = hours.reduce((sum, h) => sum + BigInt(h.mths) * BigInt(h.seconds), 0n);
    const seconds = hours.reduce((sum, h) => sum + h.seconds, 0);
    totalMthsSeconds += mthsSeconds;
    evidence.push({
      miner_id: unit.minerId,
      serial: unit.serial,
      hours: hours.length,
      avg_ths: seconds > 0 ? formatScaledDecimal(Number(divideRoundHalfUp(mthsSeconds, BigInt(seconds))), 3) : '0',
      th_days: formatScaledDecimal(Number(divideRoundHalfUp(mthsSeconds, 86_400n)), 3),
      amount_minor: hashrateAmountMinor(mthsSeconds, priceMicros),
    });
  }
  // Hashprice is in USD: a customer billed in another currency gets the evidence, no credit.
  const amountMinor = customer?.currency === CREDIT_CURRENCY ? hashrateAmountMinor(totalMthsSeconds, priceMicros) : 0;
  const creditId = amountMinor > 0 ? newId() : null;
  const detail = { default_case_id: caseRow.id, day, hashprice_usd_per_th_day: hashpriceText(priceMicros), rounding: 'day total rounded half up once', units: evidence };
  const amountText = `${minorToDecimalText(amountMinor, CREDIT_CURRENCY)} ${CREDIT_CURRENCY}`;
  try {
    await db.batch([
      db.insert(hashrateCreditDays).values({ defaultCaseId: caseRow.id, day, hostId, creditId, amountMinor, createdAt: now }),
      ...(creditId
        ? [
            db.insert(credits).values({
              id: creditId,
              hostId,
              customerId: caseRow.customerId,
              kind: 'hashrate',
              amountMinor,
              remainingMinor: amountMinor,
              currency: CREDIT_CURRENCY,
              reason: `Redirected hashrate on ${day}`,
              paymentId: null,
              detail: JSON.stringify(detail),
              createdBy: HASHRATE_ACTOR.label,
              createdAt: now,
            }),
          ]
        : []),
      activityInsert(
        db,
        hostId,
        HASHRATE_ACTOR,
        'hashrate_credit.posted',
        caseRow.customerId,
        { day: [null, day], amount: [null, amountText], hashprice: [null, `${hashpriceText(priceMicros)} USD/TH/s/day`], units: [null, evidence.length], _case: [null, caseRow.id], _credit: [null, creditId] },
        now,
      ),
    ]);
  } catch (error) {
    if (String(error).includes('UNIQUE') || String(error).includes('PRIMARY')) return false;
    throw error;
  }
  if (creditId) await applyToOverdue(db, hostId, caseRow.customerId, creditId);
  return true;
}

/** Puts the new credit on the oldest overdue invoices, oldest first, until it is spent. */
async function applyToOverdue(db: Db, hostId: string, customerId: string, creditId: string): Promise<void> {
  for (let round = 0; round < 20; round += 1) {
    const credit = await db.select({ remaining: credits.remainingMinor }).from(credits).where(eq(credits.id, creditId)).get();
    if (!credit || credit.remaining <= 0) return;
    const invoice = await db
      .select({ id: invoices.id })
      .from(invoices)
      .where(and(eq(invoices.hostId, hostId), eq(invoices.customerId, customerId), eq(invoices.currency, CREDIT_CURRENCY), eq(invoices.status, 'overdue'), sql`${invoices.totalMinor} > ${invoices.paidMinor}`))
      .orderBy(asc(invoices.dueOn), asc(invoices.id))
      .get();
    if (!invoice) return;
    try {
      await applyCredit(db, hostId, HASHRATE_ACTOR, customerId, { invoice_id: invoice.id, amount_minor: credit.remaining });
    } catch (error) {
      if (error instanceof AppError) return;
      throw error;
    }
  }
}

async function weeklyNotice(db: Db, env: DefaultEnv, hostId: string, caseRow: { id: string; customerId: string; creditNoticeAt: number | null }, now: number): Promise<void> {
  const [earned, overdue, customer, settings] = await Promise.all([
    creditEarned(db, hostId, caseRow.id),
    overdueAmounts(db, hostId, caseRow.customerId),
    db.select({ name: customers.name, contactEmail: customers.contactEmail, billingEmail: customers.billingEmail }).from(customers).where(eq(customers.id, caseRow.customerId)).get(),
    getDefaultSettings(db, hostId),
  ]);
  if (!customer) return;
  const text = (list: { currency: string; amountMinor: number }[]) => list.map((m) => `${minorToDecimalText(m.amountMinor, m.currency)} ${m.currency}`).join(', ') || `0.00 ${CREDIT_CURRENCY}`;
  const notice = await noticeStatements(db, env, hostId, customer, settings, { kind: 'credit_posted', creditText: text(earned), overdueText: text(overdue) }, now);
  const guard = caseRow.creditNoticeAt === null ? isNull(defaultCases.creditNoticeAt) : eq(defaultCases.creditNoticeAt, caseRow.creditNoticeAt);
  await db.batch([
    db.update(defaultCases).set({ creditNoticeAt: now }).where(and(eq(defaultCases.id, caseRow.id), guard)),
    ...notice.statementsIf(sql`changes() > 0`),
  ] as never);
  await notice.queue(env);
}
