import * as z from 'zod';
import { ValidationError, type FieldErrors } from './errors';

/** Turns zod issues into one message per field (the first wins), keyed by the input's field name. */
export function fieldErrorsFrom(error: z.ZodError): FieldErrors {
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
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(fieldErrorsFrom(result.error));
  return result.data;
}

/** Optional free text: trimmed; blank becomes null (cleared); absent stays undefined (unchanged). */
export const optionalText = (max: number) =>
  z
    .string({ error: 'Must be text.' })
    .trim()
    .max(max, `Use at most ${max} characters.`)
    .transform((value) => (value === '' ? null : value))
    .nullable()
    .optional();

export const requiredText = (label: string, max: number) =>
  z
    .string({ error: `${label} is required.` })
    .trim()
    .min(1, `${label} is required.`)
    .max(max, `Use at most ${max} characters.`);

const EMAIL_MESSAGE = 'Enter a valid email address, like name@example.com.';

export const requiredEmail = (label: string) =>
  z
    .string({ error: `${label} is required.` })
    .trim()
    .min(1, `${label} is required.`)
    .max(254, 'Use at most 254 characters.')
    .pipe(z.email(EMAIL_MESSAGE))
    .transform((value) => value.toLowerCase());

export const optionalEmail = () =>
  z
    .string({ error: 'Must be text.' })
    .trim()
    .max(254, 'Use at most 254 characters.')
    .transform((value) => value.toLowerCase())
    .pipe(z.union([z.literal(''), z.email(EMAIL_MESSAGE)]))
    .transform((value) => (value === '' ? null : value))
    .nullable()
    .optional();

export const booleanFlag = (label: string) => z.boolean({ error: `${label} must be true or false.` });
