import * as z from '../lib/schema';
import { pageQueryFields } from '../lib/validation';
import { ALERT_KINDS } from '../db/schema';

/**
 * Alert inputs, shared by the admin pages and the JSON API (snake_case on both, so an error names
 * the same field wherever it came from).
 */

export const ALERT_STATES = ['open', 'closed'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

const id = z.string({ error: 'Must be text.' }).check(
  z.trim(),
  z.minLength(1, 'Must not be empty.'),
  z.maxLength(100, 'Use at most 100 characters.'),
);

export const listAlertsQuerySchema = z.strictObject({
  site_id: z.optional(id),
  customer_id: z.optional(id),
  miner_id: z.optional(id),
  kind: z.optional(z.enum(ALERT_KINDS, { error: `Use one of: ${ALERT_KINDS.join(', ')}.` })),
  state: z.optional(z.enum(ALERT_STATES, { error: `Use one of: ${ALERT_STATES.join(', ')}.` })),
  ...pageQueryFields,
});
export type ListAlertsQuery = z.output<typeof listAlertsQuerySchema>;

// ---------------------------------------------------------------------------------------------
// Host alert rules (Settings → Alerts).

const whole = (label: string, min: number, max: number, unit: string) =>
  z.number({ error: `Enter ${label} as a whole number.` }).check(
    z.int(`Enter ${label} as a whole number.`),
    z.gte(min, `Use ${min}–${max} ${unit}.`),
    z.lte(max, `Use ${min}–${max} ${unit}.`),
  );

/**
 * Sane ranges: an agent polls every 30 s and the object's alarm runs every minute, so minute
 * granularity is the finest that means anything; a week is the longest cooldown worth having.
 */
export const ALERT_RULE_LIMITS = {
  offline_minutes: [1, 1440],
  low_hashrate_pct: [1, 99],
  low_hashrate_minutes: [0, 1440],
  over_temp_c: [40, 130],
  over_temp_minutes: [0, 1440],
  cooldown_minutes: [0, 10_080],
} as const;

export const alertRulesSchema = z.strictObject({
  offline_minutes: whole('the offline time', ...ALERT_RULE_LIMITS.offline_minutes, 'minutes'),
  low_hashrate_pct: whole('the low-hashrate percentage', ...ALERT_RULE_LIMITS.low_hashrate_pct, '%'),
  low_hashrate_minutes: whole('the low-hashrate time', ...ALERT_RULE_LIMITS.low_hashrate_minutes, 'minutes'),
  over_temp_c: whole('the temperature limit', ...ALERT_RULE_LIMITS.over_temp_c, '°C'),
  over_temp_minutes: whole('the over-temperature time', ...ALERT_RULE_LIMITS.over_temp_minutes, 'minutes'),
  cooldown_minutes: whole('the cooldown', ...ALERT_RULE_LIMITS.cooldown_minutes, 'minutes'),
  email_customer: z.boolean({ error: 'Must be true or false.' }),
});
export type AlertRulesInput = z.output<typeof alertRulesSchema>;

/** Form strings → the schema's types: digits become numbers; anything else stays text for zod to refuse. */
export function alertRulesFormToInput(form: Record<string, string>): Record<string, unknown> {
  const number = (value: string | undefined) => {
    const text = (value ?? '').trim();
    if (text === '') return undefined;
    return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  };
  return {
    offline_minutes: number(form.offline_minutes),
    low_hashrate_pct: number(form.low_hashrate_pct),
    low_hashrate_minutes: number(form.low_hashrate_minutes),
    over_temp_c: number(form.over_temp_c),
    over_temp_minutes: number(form.over_temp_minutes),
    cooldown_minutes: number(form.cooldown_minutes),
    // An unchecked checkbox is simply absent from the post.
    email_customer: form.email_customer === 'on',
  };
}
