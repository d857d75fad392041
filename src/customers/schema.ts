import * as z from '../lib/schema';
import { isCurrencyCode } from '../lib/currencies';
import { booleanFlag, optionalEmail, optionalText, pageQueryFields, requiredEmail, requiredText } from '../lib/validation';
import { CUSTOMER_STATUSES } from './status';

/**
 * One set of customer field rules, shared by the admin forms and the JSON API (snake_case names
 * on both, so a form error and an API error name the same field).
 */
const fields = {
  name: requiredText('Customer name', 200),
  company_name: optionalText(200),
  contact_email: requiredEmail('Contact email'),
  billing_email: optionalEmail(),
  phone: z.optional(z.nullable(z.pipe(z.string({ error: 'Must be text.' }).check(z.trim(), z.maxLength(40, 'Use at most 40 characters.'), z.refine((value) => value === '' || /^\+?[0-9 ().-]{3,}(?:\s*(?:x|ext\.?)\s*[0-9]+)?$/i.test(value), {
      message: 'Use digits, spaces and + ( ) - . only, like +1 512 555 0100.',
    })), z.transform((value) => (value === '' ? null : value))))),
  billing_currency: z.optional(z.nullable(z.pipe(z.string({ error: 'Must be text.' }).check(
    z.trim(),
    z.toUpperCase(),
    z.refine((value) => value === '' || isCurrencyCode(value), { message: 'Choose a currency from the ISO 4217 list.' }),
  ), z.transform((value) => (value === '' ? null : value))))),
  notes: optionalText(5000),
  active: booleanFlag('Active Account'),
  portal_access: booleanFlag('Portal Access'),
};

export const createCustomerSchema = z.strictObject({
  ...fields,
  active: z._default(fields.active, true),
  portal_access: z._default(fields.portal_access, true),
});
export type CreateCustomerInput = z.output<typeof createCustomerSchema>;

/** PATCH: every field optional; a present field follows the same rule as on create. */
export const updateCustomerSchema = z.partial(z.strictObject(fields));
export type UpdateCustomerInput = z.output<typeof updateCustomerSchema>;

export const CUSTOMER_SORTS = ['name', '-name', 'created', '-created'] as const;
export type CustomerSort = (typeof CUSTOMER_SORTS)[number];

export const listCustomersQuerySchema = z.strictObject({
  q: z.optional(z.string().check(z.trim(), z.maxLength(200, 'Use at most 200 characters.'))),
  status: z.optional(z.enum(CUSTOMER_STATUSES, { error: `Use one of: ${CUSTOMER_STATUSES.join(', ')}.` })),
  sort: z.optional(z.enum(CUSTOMER_SORTS, { error: `Use one of: ${CUSTOMER_SORTS.join(', ')}.` })),
  ...pageQueryFields,
});
export type ListCustomersQuery = z.output<typeof listCustomersQuerySchema>;

/** The admin form posts strings and checkboxes; this maps it onto the shared field names. */
export function customerFormToInput(form: Record<string, string>): Record<string, unknown> {
  return {
    name: form.name ?? '',
    company_name: form.company_name ?? '',
    contact_email: form.contact_email ?? '',
    billing_email: form.billing_email ?? '',
    phone: form.phone ?? '',
    billing_currency: form.billing_currency ?? '',
    notes: form.notes ?? '',
    // An unchecked checkbox is simply absent from the post.
    active: form.active === 'on',
    portal_access: form.portal_access === 'on',
  };
}
