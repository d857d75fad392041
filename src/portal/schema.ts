import * as z from 'zod';
import { CUSTOMER_USER_ROLES } from '../db/schema';
import { passwordSchema } from '../hosts/schema';
import { requiredEmail, requiredText } from '../lib/validation';

export const portalSignInSchema = z.object({
  email: requiredEmail('Email'),
  password: z.string({ error: 'Password is required.' }).min(1, 'Password is required.').max(200),
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
  role: z.enum(CUSTOMER_USER_ROLES, { error: 'Choose owner or member.' }).default('member'),
});

export const forgotPasswordSchema = z.object({ email: requiredEmail('Email') });

export const resetPasswordSchema = z.object({ password: passwordSchema });

export const profileSchema = z.object({ name: requiredText('Your name', 120) });

export const changePasswordSchema = z.object({
  current_password: z.string({ error: 'Enter your current password.' }).min(1, 'Enter your current password.').max(200),
  new_password: passwordSchema,
});

export const teamNameSchema = z.object({
  team_name: z
    .string({ error: 'Must be text.' })
    .trim()
    .max(80, 'Use at most 80 characters.')
    .transform((value) => (value === '' ? null : value)),
});
