import * as z from '../lib/schema';
import { CUSTOMER_USER_ROLES } from '../db/schema';
import { passwordSchema } from '../hosts/schema';
import { requiredEmail, requiredText } from '../lib/validation';

export const portalSignInSchema = z.object({
  email: requiredEmail('Email'),
  password: z.string({ error: 'Password is required.' }).check(z.minLength(1, 'Password is required.'), z.maxLength(200)),
});

/** Accepting an invite as a new person: the email must be the invited one. */
export const acceptInviteSignUpSchema = z.object({
  email: requiredEmail('Email'),
  name: requiredText('Your name', 120),
  password: passwordSchema,
});

/** Accepting an invite with an account this host's portal already has. */
export const acceptInviteSignInSchema = portalSignInSchema;

export const inviteSchema = z.object({
  email: requiredEmail('Email'),
  role: z._default(z.enum(CUSTOMER_USER_ROLES, { error: 'Choose owner or member.' }), 'member'),
});

export const forgotPasswordSchema = z.object({ email: requiredEmail('Email') });

export const resetPasswordSchema = z.object({ password: passwordSchema });

export const profileSchema = z.object({ name: requiredText('Your name', 120) });

export const changePasswordSchema = z.object({
  current_password: z.string({ error: 'Enter your current password.' }).check(z.minLength(1, 'Enter your current password.'), z.maxLength(200)),
  new_password: passwordSchema,
});

export const teamNameSchema = z.object({
  team_name: z.pipe(z.string({ error: 'Must be text.' }).check(
    z.trim(),
    z.maxLength(80, 'Use at most 80 characters.'),
  ), z.transform((value) => (value === '' ? null : value))),
});
