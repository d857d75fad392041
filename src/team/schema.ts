import * as z from '../lib/schema';
import { passwordSchema } from '../hosts/schema';
import { PASSWORD_MAX_LENGTH } from '../auth/password';
import { requiredEmail, requiredText } from '../lib/validation';

/** The roles an invitation or a role change can give: the owner role only moves by a transfer. */
export const GRANTABLE_ROLES = ['admin', 'staff'] as const;
const grantableRole = z.enum(GRANTABLE_ROLES, { error: 'Choose admin or staff.' });

/**
 * Site access as a form sends it: `site_access` = all | some, and one `site_<id>=on` checkbox
 * per chosen site (see accessFromForm). `site_ids` comes out as null for every site, or the ids.
 */
const siteAccessFields = {
  site_access: z._default(z.enum(['all', 'some'], { error: 'Choose every site or some sites.' }), 'all'),
  site_ids: z._default(z.array(z.string().check(z.minLength(1), z.maxLength(64))).check(z.maxLength(500)), []),
};
type SiteAccess = { site_access: 'all' | 'some'; site_ids: string[] };
const someNeedsASite = (value: SiteAccess) => value.site_access === 'all' || value.site_ids.length > 0;
const SOME_NEEDS_A_SITE = { message: 'Choose at least one site.', path: ['site_access'] };
const toSiteIds = <T extends SiteAccess>({ site_access, site_ids, ...rest }: T) => ({
  ...rest,
  siteIds: site_access === 'all' ? null : [...new Set(site_ids)].sort(),
});

export const staffInviteSchema = z.pipe(z.object({ email: requiredEmail('Email'), role: grantableRole, ...siteAccessFields }).check(z.refine(someNeedsASite, SOME_NEEDS_A_SITE)), z.transform(toSiteIds));

export const changeRoleSchema = z.object({ role: grantableRole });
export const memberSitesSchema = z.pipe(z.object(siteAccessFields).check(z.refine(someNeedsASite, SOME_NEEDS_A_SITE)), z.transform(toSiteIds));

/** A new person sets their own name and password when accepting. */
export const acceptNewSchema = z.object({ name: requiredText('Your name', 120), password: passwordSchema });
/** Someone who already has an account proves it is them with their password. */
export const acceptExistingSchema = z.object({
  password: z.string({ error: 'Enter your password.' }).check(z.minLength(1, 'Enter your password.'), z.maxLength(PASSWORD_MAX_LENGTH)),
});

export const transferSchema = z.object({
  to_user_id: z.string({ error: 'Choose an admin.' }).check(z.minLength(1, 'Choose an admin.'), z.maxLength(64)),
  password: z.string({ error: 'Enter your password.' }).check(z.minLength(1, 'Enter your password.'), z.maxLength(PASSWORD_MAX_LENGTH)),
});

export const CLOSE_CONFIRMATION_PREFIX = 'close';
export const closeHostSchema = z.object({
  confirmation: z.string({ error: 'Type the confirmation.' }).check(z.trim(), z.maxLength(200)),
  password: z.string({ error: 'Enter your password.' }).check(z.minLength(1, 'Enter your password.'), z.maxLength(PASSWORD_MAX_LENGTH)),
});

/** Form fields → the shape the schemas take (checkboxes named site_<id>). */
export function accessFromForm(form: Record<string, string>) {
  return {
    site_access: form.site_access || undefined,
    site_ids: Object.keys(form)
      .filter((key) => key.startsWith('site_') && key !== 'site_access' && form[key] === 'on')
      .map((key) => key.slice('site_'.length)),
  };
}
