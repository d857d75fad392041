import type { Db } from '../db/client';
import { ValidationError } from '../lib/errors';
import { enabledTwoFactor, verifySecondFactor } from '../security/two-factor';

/**
 * Someone who already has an account proves it is them by password to accept a staff invitation
 * or an ownership transfer. When two-factor is on for the account, the code (or a recovery code)
 * in `form.code` is checked too, before anything is written: a password alone joins no host.
 */
export async function checkSecondFactorWhereOn(db: Db, userId: string, form: Record<string, unknown>): Promise<void> {
  if (!(await enabledTwoFactor(db, 'staff', userId))) return;
  const code = typeof form.code === 'string' ? form.code.trim() : '';
  if (!code) throw new ValidationError({ code: 'Two-factor sign-in is on for this account: enter the code from your app.' });
  await verifySecondFactor(db, 'staff', userId, code);
}
