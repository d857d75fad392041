/**
 * Settings → Default and holding pool (docs/DEFAULT.md). A host without a default_settings row
 * has no holding pool and never opens a default by itself (DEFAULT_SETTINGS).
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import * as z from '../lib/schema';
import { activityInsert, diffFields, type Actor } from '../activity/service';
import type { Db } from '../db/client';
import { defaultSettings, hashpriceDays, HASHPRICE_SOURCES } from '../db/schema';
import { formatScaledDecimal, numberText, parseScaledDecimal } from '../lib/decimal';
import { ValidationError } from '../lib/errors';
import { addIssue, optionalText, parseInput } from '../lib/validation';
import { parseIsoDate } from '../billing/periods';

export type HashpriceSource = (typeof HASHPRICE_SOURCES)[number];

export type DefaultSettings = {
  holdingPoolUrl: string | null;
  holdingAccount: string | null;
  /** Backup holding pools, in priority order after the first; a blank account is the first pool's. */
  holdingPool2Url: string | null;
  holdingAccount2: string | null;
  holdingPool3Url: string | null;
  holdingAccount3: string | null;
  workerRule: string;
  poolPassword: string;
  graceDays: number | null;
  autoRedirectDays: number | null;
  confirmMinutes: number;
  payDown: boolean;
  hashpriceSource: HashpriceSource;
  hashpriceUrl: string | null;
  noticeEmails: boolean;
};

export const DEFAULT_SETTINGS: DefaultSettings = {
  holdingPoolUrl: null,
  holdingAccount: null,
  holdingPool2Url: null,
  holdingAccount2: null,
  holdingPool3Url: null,
  holdingAccount3: null,
  workerRule: '{account}.{serial}',
  poolPassword: 'x',
  graceDays: null,
  autoRedirectDays: null,
  confirmMinutes: 30,
  payDown: false,
  hashpriceSource: 'manual',
  hashpriceUrl: null,
  noticeEmails: true,
};

/** The placeholders a worker name rule may use, each with what it becomes. */
export const WORKER_PLACEHOLDERS = [
  ['{account}', 'the holding pool account below'],
  ['{serial}', 'the unit’s serial number (its MAC without colons when it has none)'],
  ['{mac}', 'the unit’s MAC address without colons'],
  ['{unit}', 'the first 8 characters of the unit’s Hashyard id'],
] as const;

export async function getDefaultSettings(db: Db, hostId: string): Promise<DefaultSettings> {
  const row = await db.select().from(defaultSettings).where(eq(defaultSettings.hostId, hostId)).get();
  if (!row) return { ...DEFAULT_SETTINGS };
  const { hostId: _h, updatedAt: _u, ...rest } = row;
  return rest;
}

/** The worker name for one unit: a rule whose {account} is already filled in, then the unit's own placeholders. */
export function renderWorker(rule: string, unit: { id: string; serial: string | null; mac: string | null }): string {
  const mac = (unit.mac ?? '').replace(/:/g, '');
  return rule
    .replaceAll('{serial}', unit.serial ?? (mac || unit.id.slice(0, 8)))
    .replaceAll('{mac}', mac || unit.id.slice(0, 8))
    .replaceAll('{unit}', unit.id.slice(0, 8));
}

export const fillAccount = (rule: string, account: string | null) => rule.replaceAll('{account}', account ?? '');

/** How many holding pools a host may list (miners take three pools in priority order). */
export const MAX_HOLDING_POOLS = 3;

/** One holding pool: its URL and the worker rule with its {account} filled in ({serial} etc. are per unit). */
export interface HoldingPool {
  url: string;
  template: string;
}

/**
 * The holding pools in priority order: the first (none set = no redirect possible), then the
 * backups that are set. The worker rule and password are shared; each backup's account is its
 * own, or the first pool's when left blank.
 */
export function holdingPoolsOf(settings: DefaultSettings): HoldingPool[] {
  if (!settings.holdingPoolUrl) return [];
  const pools: HoldingPool[] = [{ url: settings.holdingPoolUrl, template: fillAccount(settings.workerRule, settings.holdingAccount) }];
  for (const [url, account] of [
    [settings.holdingPool2Url, settings.holdingAccount2],
    [settings.holdingPool3Url, settings.holdingAccount3],
  ] as const) {
    if (url) pools.push({ url, template: fillAccount(settings.workerRule, account ?? settings.holdingAccount) });
  }
  return pools;
}

const optionalWhole = (label: string, min: number, max: number) =>
  z.pipe(z.union([z.string(), z.number(), z.null()], { error: `${label} must be a whole number.` }), z.transform((value, ctx) => {
    const text = value === null ? '' : numberText(value);
    if (text === '') return null;
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
      addIssue(ctx, `${label} must be a whole number from ${min} to ${max}, or blank.`);
      return z.NEVER;
    }
    return Number(text);
  }));

const STRATUM = /^stratum(\+tcp|\+ssl|2\+tcp)?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/.*)?$/;
const stratumUrl = () => optionalText(300).check(z.refine((v) => !v || STRATUM.test(v), { message: 'Enter a stratum URL, like stratum+tcp://pool.example.com:3333.' }));
const poolAccount = () => optionalText(100).check(z.refine((v) => !v || /^[A-Za-z0-9_.-]+$/.test(v), { message: 'Use letters, digits, dot, dash or underscore.' }));

export const defaultSettingsSchema = z.strictObject({
    holding_pool_url: stratumUrl(),
    holding_account: poolAccount(),
    holding_pool2_url: stratumUrl(),
    holding_account2: poolAccount(),
    holding_pool3_url: stratumUrl(),
    holding_account3: poolAccount(),
    worker_rule: z.string({ error: 'Enter a worker name rule.' }).check(
      z.trim(),
      z.minLength(1, 'Enter a worker name rule, like {account}.{serial}.'),
      z.maxLength(200, 'Use at most 200 characters.'),
      z.refine((v) => /^[A-Za-z0-9_.{}-]+$/.test(v), { message: 'Use letters, digits, dot, dash, underscore and the placeholders.' }),
      z.refine((v) => (v.match(/\{[^}]*\}/g) ?? []).every((p) => WORKER_PLACEHOLDERS.some(([name]) => name === p)), { message: 'Unknown placeholder: use {account}, {serial}, {mac} or {unit}.' }),
    ),
    pool_password: z.string({ error: 'Enter a password.' }).check(
      z.trim(),
      z.minLength(1, 'Enter the pool password (x when the pool ignores it).'),
      z.maxLength(100, 'Use at most 100 characters.'),
    ),
    grace_days: optionalWhole('Grace days', 0, 365),
    auto_redirect_days: optionalWhole('Days before the redirect starts', 0, 365),
    confirm_minutes: z.pipe(optionalWhole('Minutes to confirm', 1, 1440), z.transform((v) => v ?? 30)),
    pay_down: z.boolean(),
    hashprice_source: z.enum(HASHPRICE_SOURCES, { error: 'Choose a hashprice source.' }),
    hashprice_url: optionalText(500).check(z.refine((v) => !v || /^https:\/\/[^\s]+$/.test(v), { message: 'Enter an https:// URL.' })),
    notice_emails: z.boolean(),
  }).check(z.superRefine((v, ctx) => {
    if (v.hashprice_source === 'url' && !v.hashprice_url) ctx.addIssue({ code: 'custom', path: ['hashprice_url'], message: 'Enter the URL the cron fetches the hashprice from.' });
    if (v.auto_redirect_days !== null && !v.holding_pool_url)
      ctx.addIssue({ code: 'custom', path: ['holding_pool_url'], message: 'An automatic redirect needs a holding pool.' });
    if (v.worker_rule.includes('{account}') && !v.holding_account)
      ctx.addIssue({ code: 'custom', path: ['holding_account'], message: 'The worker rule uses {account}: enter the account.' });
    // Backups are in priority order: no gap, none without the first, none repeated.
    if ((v.holding_pool2_url || v.holding_pool3_url) && !v.holding_pool_url)
      ctx.addIssue({ code: 'custom', path: ['holding_pool_url'], message: 'Enter the first holding pool: the backups are used after it.' });
    if (v.holding_pool3_url && !v.holding_pool2_url)
      ctx.addIssue({ code: 'custom', path: ['holding_pool2_url'], message: 'Enter the 2nd holding pool before the 3rd (they are used in order).' });
    if (v.holding_account2 && !v.holding_pool2_url) ctx.addIssue({ code: 'custom', path: ['holding_account2'], message: 'Enter the 2nd pool’s URL, or leave its account blank.' });
    if (v.holding_account3 && !v.holding_pool3_url) ctx.addIssue({ code: 'custom', path: ['holding_account3'], message: 'Enter the 3rd pool’s URL, or leave its account blank.' });
    const key = (url: string | null | undefined, account: string | null | undefined) => (url ? `${url.trim().toLowerCase().replace(/\/$/, '')} ${account ?? v.holding_account ?? ''}` : null);
    const first = key(v.holding_pool_url, v.holding_account);
    const second = key(v.holding_pool2_url, v.holding_account2);
    const third = key(v.holding_pool3_url, v.holding_account3);
    if (second && second === first) ctx.addIssue({ code: 'custom', path: ['holding_pool2_url'], message: 'This is the first holding pool again: enter another endpoint, or leave it blank.' });
    if (third && (third === first || third === second)) ctx.addIssue({ code: 'custom', path: ['holding_pool3_url'], message: 'This pool is already listed above: enter another endpoint, or leave it blank.' });
  }));

/** The form's fields as posted (checkbox absent = off): the schema's input, and what a refused form shows again. */
export interface DefaultSettingsForm {
  holding_pool_url: string;
  holding_account: string;
  holding_pool2_url: string;
  holding_account2: string;
  holding_pool3_url: string;
  holding_account3: string;
  worker_rule: string;
  pool_password: string;
  grace_days: string;
  auto_redirect_days: string;
  confirm_minutes: string;
  pay_down: boolean;
  hashprice_source: string;
  hashprice_url: string;
  notice_emails: boolean;
}

export function defaultSettingsFormToInput(form: Record<string, string>): DefaultSettingsForm {
  return {
    holding_pool_url: form.holding_pool_url ?? '',
    holding_account: form.holding_account ?? '',
    holding_pool2_url: form.holding_pool2_url ?? '',
    holding_account2: form.holding_account2 ?? '',
    holding_pool3_url: form.holding_pool3_url ?? '',
    holding_account3: form.holding_account3 ?? '',
    worker_rule: form.worker_rule ?? '',
    pool_password: form.pool_password ?? '',
    grace_days: form.grace_days ?? '',
    auto_redirect_days: form.auto_redirect_days ?? '',
    confirm_minutes: form.confirm_minutes ?? '',
    pay_down: form.pay_down === 'on',
    hashprice_source: form.hashprice_source ?? 'manual',
    hashprice_url: form.hashprice_url ?? '',
    notice_emails: form.notice_emails === 'on',
  };
}

const FIELDS = [
  'holdingPoolUrl',
  'holdingAccount',
  'holdingPool2Url',
  'holdingAccount2',
  'holdingPool3Url',
  'holdingAccount3',
  'workerRule',
  'poolPassword',
  'graceDays',
  'autoRedirectDays',
  'confirmMinutes',
  'payDown',
  'hashpriceSource',
  'hashpriceUrl',
  'noticeEmails',
] as const;

export async function updateDefaultSettings(db: Db, hostId: string, actor: Actor, raw: unknown, now = Date.now()): Promise<DefaultSettings> {
  const input = parseInput(defaultSettingsSchema, raw);
  const before = await getDefaultSettings(db, hostId);
  const after: DefaultSettings = {
    holdingPoolUrl: input.holding_pool_url ?? null,
    holdingAccount: input.holding_account ?? null,
    holdingPool2Url: input.holding_pool2_url ?? null,
    holdingAccount2: input.holding_account2 ?? null,
    holdingPool3Url: input.holding_pool3_url ?? null,
    holdingAccount3: input.holding_account3 ?? null,
    workerRule: input.worker_rule,
    poolPassword: input.pool_password,
    graceDays: input.grace_days,
    autoRedirectDays: input.auto_redirect_days,
    confirmMinutes: input.confirm_minutes,
    payDown: input.pay_down,
    hashpriceSource: input.hashprice_source,
    hashpriceUrl: input.hashprice_url ?? null,
    noticeEmails: input.notice_emails,
  };
  const changes = diffFields(before, after, FIELDS);
  // The pool password is a secret: the log says it changed, never what it is.
  if (changes.poolPassword) changes.poolPassword = ['(hidden)', '(changed)'];
  if (Object.keys(changes).length === 0) return after;
  await db.batch([
    db
      .insert(defaultSettings)
      .values({ hostId, ...after, updatedAt: now })
      .onConflictDoUpdate({ target: defaultSettings.hostId, set: { ...after, updatedAt: now } }),
    activityInsert(db, hostId, actor, 'default_settings.updated', null, changes, now),
  ]);
  return after;
}

// ---------------------------------------------------------------------------------------------
// Hashprice: USD per TH/s per day, stored as integer micro-USD per UTC day.

export const MAX_HASHPRICE_MICROS = 10_000 * 1_000_000;

export function parseHashprice(text: string): number | null {
  const micros = parseScaledDecimal(text.trim(), 6);
  return micros === null || micros <= 0 || micros > MAX_HASHPRICE_MICROS ? null : micros;
}

export const hashpriceText = (micros: number) => formatScaledDecimal(micros, 6, 2);

const isDay = (text: string) => parseIsoDate(text) !== null;

/** Sets (or replaces) the hashprice of some UTC days, with one activity entry. */
export async function setHashprices(db: Db, hostId: string, actor: Actor, days: { day: string; priceMicros: number }[], source: HashpriceSource, now = Date.now()): Promise<number> {
  if (days.length === 0) return 0;
  const statements = [];
  for (let i = 0; i < days.length; i += 20) {
    const chunk = days.slice(i, i + 20).map((d) => ({ hostId, day: d.day, priceMicros: d.priceMicros, source, createdAt: now }));
    statements.push(db.insert(hashpriceDays).values(chunk).onConflictDoUpdate({ target: [hashpriceDays.hostId, hashpriceDays.day], set: { priceMicros: sqlExcluded('price_micros'), source, createdAt: now } }));
  }
  const first = days[0]!;
  const changes = days.length === 1 ? { day: [null, first.day], hashprice: [null, `${hashpriceText(first.priceMicros)} USD/TH/s/day`] } : { days: [null, days.length], from: [null, days[0]!.day], to: [null, days[days.length - 1]!.day] };
  await db.batch([...statements, activityInsert(db, hostId, actor, `hashprice.${source === 'csv' ? 'imported' : source === 'url' ? 'fetched' : 'set'}`, null, changes as never, now)] as never);
  return days.length;
}

const sqlExcluded = (column: string) => sql.raw(`excluded.${column}`);

/** One day typed in Settings: `day` (YYYY-MM-DD) and `hashprice` (USD per TH/s per day). */
export async function setManualHashprice(db: Db, hostId: string, actor: Actor, form: { day?: string; hashprice?: string }): Promise<void> {
  const day = (form.day ?? '').trim();
  const priceMicros = parseHashprice(form.hashprice ?? '');
  const errors: Record<string, string> = {};
  if (!isDay(day)) errors.day = 'Enter a date as YYYY-MM-DD.';
  if (priceMicros === null) errors.hashprice = 'Enter USD per TH/s per day greater than 0, at most 6 decimals, like 0.052.';
  if (Object.keys(errors).length) throw new ValidationError(errors);
  await setHashprices(db, hostId, actor, [{ day, priceMicros: priceMicros! }], 'manual');
}

/** CSV of `date,usd_per_th_day` lines (a header line is skipped); every line must parse or nothing is stored. */
export function parseHashpriceCsv(text: string): { day: string; priceMicros: number }[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (lines.length > 0 && !/^\d/.test(lines[0]!)) lines.shift();
  if (lines.length === 0) throw new ValidationError({ csv: 'The CSV has no rows: one line per day, like 2026-11-30,0.052.' });
  if (lines.length > 1000) throw new ValidationError({ csv: 'At most 1,000 days per import.' });
  const out = new Map<string, number>();
  lines.forEach((line, n) => {
    const [day = '', price = ''] = line.split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
    const micros = parseHashprice(price);
    if (!isDay(day) || micros === null) throw new ValidationError({ csv: `Line ${n + 1} is not “YYYY-MM-DD,price”: ${line.slice(0, 60)}` });
    out.set(day, micros);
  });
  return [...out].map(([day, priceMicros]) => ({ day, priceMicros })).sort((a, b) => a.day.localeCompare(b.day));
}

/**
 * The documented JSON shape a hashprice URL answers (docs/DEFAULT.md):
 * `{ "currency": "USD", "unit": "TH/s/day", "prices": [{ "date": "2026-11-30", "usd_per_th_day": "0.052" }] }`
 * (the price as a string or a number; a single `{ "date", "usd_per_th_day" }` object is accepted too).
 */
export function parseHashpriceJson(body: unknown): { day: string; priceMicros: number }[] {
  const list = Array.isArray((body as { prices?: unknown })?.prices) ? (body as { prices: unknown[] }).prices : [body];
  const out: { day: string; priceMicros: number }[] = [];
  for (const item of list.slice(0, 1000)) {
    const { date, usd_per_th_day: price } = (item ?? {}) as { date?: unknown; usd_per_th_day?: unknown };
    if (typeof date !== 'string' || !isDay(date)) continue;
    const micros = typeof price === 'string' || typeof price === 'number' ? parseHashprice(numberText(price)) : null;
    if (micros !== null) out.push({ day: date, priceMicros: micros });
  }
  return out;
}

export async function hashpricesFor(db: Db, hostId: string, days: string[]): Promise<Map<string, number>> {
  if (days.length === 0) return new Map();
  const rows = await db.select().from(hashpriceDays).where(and(eq(hashpriceDays.hostId, hostId), inArray(hashpriceDays.day, days.slice(0, 90))));
  return new Map(rows.map((r) => [r.day, r.priceMicros]));
}

export async function recentHashprices(db: Db, hostId: string, limit = 14) {
  return db.select().from(hashpriceDays).where(eq(hashpriceDays.hostId, hostId)).orderBy(sql`${hashpriceDays.day} DESC`).limit(limit);
}
