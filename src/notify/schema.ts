/**
 * The announcement form and `POST /api/v1/announcements` share this schema and its snake_case
 * field names. Times: ISO 8601 with an offset (the API), or a `datetime-local` value read in the
 * host's time zone (the form).
 */
import * as z from '../lib/schema';
import { zonedMidnightMs } from '../billing/periods';
import { ANNOUNCEMENT_FORMATS, ANNOUNCEMENT_KINDS, CONTRACT_KINDS } from '../db/schema';
import { CUSTOMER_STATUSES, type CustomerStatus } from '../customers/status';
import { requiredText } from '../lib/validation';

export const SUBJECT_MAX = 200;
export const BODY_MAX = 10_000;
/** A maintenance notice goes out this long before the window unless told otherwise. */
export const DEFAULT_NOTICE_HOURS = 24;
/** At most two weeks ahead. */
export const MAX_NOTICE_HOURS = 336;
export const MAX_WINDOW_MS = 14 * 24 * 3_600_000;

/** Customers in these statuses receive an announcement whose target names no status. */
export const DEFAULT_STATUSES: CustomerStatus[] = ['active', 'in_default', 'pool_redirected'];

/** Who an announcement goes to. Every list empty = all customers (not inactive ones). Lists combine with AND. */
export interface AnnouncementTarget {
  site_ids: string[];
  contract_kinds: string[];
  statuses: CustomerStatus[];
  customer_ids: string[];
}

/** A list field: an array (the API, repeated form fields) or one comma/newline-separated string. */
const idList = (max: number) =>
  z.pipe(z.pipe(z.optional(z.union([z.array(z.string()), z.string()], { error: 'Must be a list.' })), z.transform((value) => {
      const list = value === undefined ? [] : Array.isArray(value) ? value : value.split(/[\n,]+/);
      return [...new Set(list.map((item) => item.trim()).filter((item) => item !== ''))];
    })), z.array(z.string().check(z.maxLength(100, 'An entry is too long.'))).check(z.maxLength(max, `Choose at most ${max}.`)));

const localOrIso = z.string({ error: 'Enter a date and time.' }).check(
  z.trim(),
  z.refine((text) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.test(text), 'Enter a date and time, like 2026-12-24T09:30.'),
);

export const announcementInputSchema = z.strictObject({
    kind: z._default(z.enum(ANNOUNCEMENT_KINDS, { error: 'Choose announcement or maintenance window.' }), 'announcement'),
    subject: requiredText('Subject', SUBJECT_MAX).check(z.refine((text) => !/[\r\n]/.test(text), 'The subject is one line.')),
    body: requiredText('Message', BODY_MAX),
    format: z._default(z.enum(ANNOUNCEMENT_FORMATS, { error: 'Choose plain text or Markdown.' }), 'plain'),
    site_ids: idList(200),
    contract_kinds: z.pipe(idList(10), z.array(z.enum(CONTRACT_KINDS, { error: 'Unknown contract type.' }))),
    statuses: z.pipe(idList(10), z.array(z.enum(CUSTOMER_STATUSES, { error: 'Unknown customer status.' }))),
    customer_ids: idList(1000),
    /** Absent or empty: now. */
    send_at: z.optional(z.union([z.literal(''), localOrIso])),
    // Maintenance windows.
    site_id: z.optional(z.string().check(z.trim(), z.maxLength(100))),
    racks: z.optional(z.string().check(z.trim(), z.maxLength(2000, 'Use at most 2,000 characters.'))),
    units: z.optional(z.string().check(z.trim(), z.maxLength(20_000, 'Use at most 20,000 characters.'))),
    starts_at: z.optional(z.union([z.literal(''), localOrIso])),
    ends_at: z.optional(z.union([z.literal(''), localOrIso])),
    notice_hours: z.optional(z.coerce
      .number({ error: 'Enter a whole number of hours.' }).check(
        z.int('Enter a whole number of hours.'),
        z.gte(0, 'At least 0 hours.'),
        z.lte(MAX_NOTICE_HOURS, `At most ${MAX_NOTICE_HOURS} hours.`),
      )),
  });

export type AnnouncementInput = z.output<typeof announcementInputSchema>;

/** A form or API time into epoch ms: with an offset as written, else local time in `timezone`. */
export function instantOf(text: string, timezone: string): number {
  if (/(Z|[+-]\d{2}:\d{2})$/.test(text)) return Date.parse(text);
  const [date, time] = text.split('T') as [string, string];
  const [h, m] = time.split(':').map(Number) as [number, number];
  return zonedMidnightMs(date, timezone) + h * 3_600_000 + m * 60_000;
}

/** Rack prefixes or unit identifiers typed one per line or comma-separated. */
export const listOf = (text: string | undefined) => [...new Set((text ?? '').split(/[\n,]+/).map((s) => s.trim()).filter((s) => s !== ''))];
