import * as z from '../lib/schema';
import { isCurrencyCode } from '../lib/currencies';
import { isTimezone } from '../lib/timezones';
import { optionalText, requiredEmail, requiredText } from '../lib/validation';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth/password';

/** Words a slug may not take: they are (or will be) paths or names of the platform itself. */
export const RESERVED_SLUGS = new Set([
  'admin', 'api', 'app', 'assets', 'auth', 'css', 'dev', 'docs', 'hashyard', 'help', 'host', 'hosts',
  'img', 'js', 'login', 'logout', 'mail', 'mailbox', 'new', 'platform', 'portal', 'public', 'settings',
  'signup', 'static', 'status', 'support', 'vendor', 'www',
]);

export const slugSchema = z.string({ error: 'Slug is required.' }).check(
  z.trim(),
  z.minLength(1, 'Slug is required.'),
  z.minLength(3, 'Use at least 3 characters.'),
  z.maxLength(63, 'Use at most 63 characters.'),
  z.regex(/^[a-z0-9-]+$/, 'Use lowercase letters, digits and hyphens only, like texas-mine.'),
  z.regex(/^[a-z0-9](?:.*[a-z0-9])?$/, 'Start and end with a letter or digit.'),
  z.refine((slug) => !RESERVED_SLUGS.has(slug), { message: 'That word is reserved; choose another slug.' }),
);

export const passwordSchema = z.string({ error: 'Password is required.' }).check(
  z.minLength(PASSWORD_MIN_LENGTH, `Use at least ${PASSWORD_MIN_LENGTH} characters.`),
  z.maxLength(PASSWORD_MAX_LENGTH, `Use at most ${PASSWORD_MAX_LENGTH} characters.`),
);

export const signUpSchema = z.object({
  organisation_name: requiredText('Organisation name', 120),
  main_slug: slugSchema,
  owner_name: requiredText('Your name', 120),
  email: requiredEmail('Email'),
  password: passwordSchema,
});

export const signInSchema = z.object({
  email: requiredEmail('Email'),
  password: z.string({ error: 'Password is required.' }).check(z.minLength(1, 'Password is required.'), z.maxLength(PASSWORD_MAX_LENGTH)),
});

/** Blank clears it (null: no branded portal URL yet); absent leaves it unchanged. */
export const hostSlugSchema = z.optional(z.pipe(z.transform((value) => (typeof value === 'string' && value.trim() === '' ? null : value)), z.nullable(slugSchema)));

export const hostSettingsSchema = z.object({
  name: requiredText('Organisation name', 120),
  main_slug: slugSchema,
  host_slug: hostSlugSchema,
  default_currency: z.string({ error: 'Default currency is required.' }).check(
    z.trim(),
    z.toUpperCase(),
    z.refine(isCurrencyCode, { message: 'Choose a currency from the ISO 4217 list.' }),
  ),
  timezone: z.string({ error: 'Timezone is required.' }).check(z.trim(), z.refine(isTimezone, { message: 'Choose a timezone from the list.' })),
});

export const apiKeyCreateSchema = z.object({
  name: requiredText('Key name', 80),
  // A checkbox per scope (src/auth/api-keys.ts): present = granted.
  scope_ticket_notes: z.optional(z.string()),
});

export const SLOGAN_MAX_LENGTH = 150;

const hexColor = (label: string) =>
  z.string({ error: `${label} is required.` }).check(
    z.trim(),
    z.toLowerCase(),
    z.regex(/^#[0-9a-f]{6}$/, `Choose the ${label.toLowerCase()} as #rrggbb, like #1f5eff.`),
  );

/** The text fields of the branding form; the logo file is checked from its bytes (src/hosts/branding.ts). */
export const brandingSchema = z.object({
  slogan: optionalText(SLOGAN_MAX_LENGTH),
  primary_color: hexColor('Primary colour'),
  accent_color: hexColor('Accent colour'),
});
