import * as z from './schema';
import { ValidationError, type FieldErrors } from './errors';

// The Worker validates with ./schema, zod/mini's API (functions and `.check(...)`) without zod
// (bench/README.md, "The Worker bundle"). It ships no messages of its own. Most schemas name
// theirs; the rest get these, in the same voice ("Use at most 200 characters."), not zod's English
// locale ("Too big: expected string to have <=200 characters"). This module is imported by every
// area's schemas, so the messages are installed before any parse.
const SIZE_UNITS: Partial<Record<string, string>> = { string: 'characters', array: 'items', set: 'items', file: 'bytes' };
const TYPE_NAMES: Partial<Record<string, string>> = { string: 'text', array: 'a list', int: 'a whole number', object: 'an object' };

function defaultMessage(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'Required.' : `Must be ${TYPE_NAMES[issue.expected] ?? `a ${issue.expected}`}.`;
    case 'too_big':
    case 'too_small': {
      const big = issue.code === 'too_big';
      const limit = String(big ? issue.maximum : issue.minimum);
      const bound = issue.exact ? 'exactly' : issue.inclusive === false ? (big ? 'less than' : 'more than') : big ? 'at most' : 'at least';
      const unit = SIZE_UNITS[issue.origin];
      return unit ? `Use ${bound} ${limit} ${unit}.` : `Must be ${bound} ${limit}.`;
    }
    case 'invalid_value':
      return `Choose one of: ${issue.values.map(String).join(', ')}.`;
    case 'invalid_format':
      return issue.format === 'email' ? 'Enter a valid email address.' : issue.format === 'url' ? 'Enter a valid URL.' : 'Not in the expected format.';
    case 'not_multiple_of':
      return `Must be a multiple of ${String(issue.divisor)}.`;
    default:
      return 'Not a valid value.';
  }
}
z.config({ localeError: defaultMessage });

/** Turns the issues into one message per field (the first wins), keyed by the input's field name. */
export function fieldErrorsFrom(error: z.core.$ZodError): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields[key] ??= 'Unknown field.';
      continue;
    }
    const key = issue.path.length > 0 ? issue.path.map(String).join('.') : '_';
    fields[key] ??= issue.message;
  }
  return fields;
}

/** Parses or throws the taxonomy's ValidationError (422), so pages and the API report alike. */
export function parseInput<S extends z.ZodMiniType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(fieldErrorsFrom(result.error));
  return result.data;
}

/**
 * Reports a custom issue from a `z.transform`, which gets the raw parse payload (no `addIssue`,
 * as in zod/mini). Return `z.NEVER` after it.
 */
export function addIssue(ctx: z.core.ParsePayload, message: string, path?: PropertyKey[]): void {
  ctx.issues.push({ code: 'custom', message, input: ctx.value, ...(path ? { path } : {}) });
}

/** Optional free text: trimmed; blank becomes null (cleared); absent stays undefined (unchanged). */
export const optionalText = (max: number) =>
  z.optional(z.nullable(z.pipe(z.string({ error: 'Must be text.' }).check(
    z.trim(),
    z.maxLength(max, `Use at most ${max} characters.`),
  ), z.transform((value) => (value === '' ? null : value)))));

export const requiredText = (label: string, max: number) =>
  z.string({ error: `${label} is required.` }).check(
    z.trim(),
    z.minLength(1, `${label} is required.`),
    z.maxLength(max, `Use at most ${max} characters.`),
  );

const EMAIL_MESSAGE = 'Enter a valid email address, like name@example.com.';

export const requiredEmail = (label: string) =>
  z.pipe(z.pipe(z.string({ error: `${label} is required.` }).check(
    z.trim(),
    z.minLength(1, `${label} is required.`),
    z.maxLength(254, 'Use at most 254 characters.'),
  ), z.email(EMAIL_MESSAGE)), z.transform((value) => value.toLowerCase()));

export const optionalEmail = () =>
  z.optional(z.nullable(z.pipe(z.pipe(z.pipe(z.string({ error: 'Must be text.' }).check(
    z.trim(),
    z.maxLength(254, 'Use at most 254 characters.'),
  ), z.transform((value) => value.toLowerCase())), z.union([z.literal(''), z.email(EMAIL_MESSAGE)])), z.transform((value) => (value === '' ? null : value)))));

export const booleanFlag = (label: string) => z.boolean({ error: `${label} must be true or false.` });

/** The paging fields of every list query in the API: `limit` 1–200, and the opaque cursors. */
export const pageQueryFields = {
  limit: z.optional(
    z.coerce.number({ error: 'Must be a number.' }).check(
      z.int('Must be a whole number.'),
      z.gte(1, 'Must be between 1 and 200.'),
      z.lte(200, 'Must be between 1 and 200.'),
    ),
  ),
  cursor: z.optional(z.string().check(z.maxLength(500))),
  before: z.optional(z.string().check(z.maxLength(500))),
};
