import { eq, sql } from 'drizzle-orm';
import * as z from '../lib/schema';
import type { Db } from '../db/client';
import { users } from '../db/schema';
import { ValidationError } from '../lib/errors';
import { parseInput, requiredText } from '../lib/validation';
import { passwordSchema } from '../hosts/schema';
import { hashPassword, verifyPassword } from './password';
import type { StaffSession } from './staff-session';

export const accountNameSchema = z.object({ name: requiredText('Your name', 120) });
export const accountPasswordSchema = z.object({
  current_password: z.string({ error: 'Enter your current password.' }).check(z.minLength(1, 'Enter your current password.'), z.maxLength(200)),
  new_password: passwordSchema,
});

/** A staff member's own name (shown in the shell and, from now on, in activity entries). */
export async function updateOwnName(db: Db, session: StaffSession, raw: unknown): Promise<void> {
  const input = parseInput(accountNameSchema, raw);
  await db.update(users).set({ name: input.name, updatedAt: Date.now() }).where(eq(users.id, session.user.id));
}

/**
 * Changes the password after checking the current one, and ends every other session of the account
 * (the session version moves on); returns the new version so the caller can re-issue its own cookie.
 */
export async function changeOwnPassword(db: Db, session: StaffSession, raw: unknown): Promise<number> {
  const input = parseInput(accountPasswordSchema, raw);
  const user = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, session.user.id)).get();
  if (!user || !(await verifyPassword(input.current_password, user.passwordHash))) {
    throw new ValidationError({ current_password: 'That is not your current password.' });
  }
  return bumpSessionVersion(db, session.user.id, { passwordHash: await hashPassword(input.new_password) });
}

/** Signing out ends every session of the account, not only this browser's cookie. */
export async function signOutEverywhere(db: Db, userId: string): Promise<number> {
  return bumpSessionVersion(db, userId, {});
}

async function bumpSessionVersion(db: Db, userId: string, extra: { passwordHash?: string }): Promise<number> {
  const [row] = await db
    .update(users)
    .set({ ...extra, sessionVersion: sql`${users.sessionVersion} + 1`, updatedAt: Date.now() })
    .where(eq(users.id, userId))
    .returning({ sessionVersion: users.sessionVersion });
  return row?.sessionVersion ?? 0;
}
