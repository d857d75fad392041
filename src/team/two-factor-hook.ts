import type { Db } from '../db/client';

/**
 * HOOK for two-factor sign-in (issue 11, built on another branch): called when a person who
 * already has an account proves it is them by password to accept a staff invitation or an
 * ownership transfer. When two-factor is on for the account, it must also check the code in
 * `form` and throw a ValidationError (field `code`) when it is missing or wrong. Until then it
 * accepts: the password check before it is the whole proof.
 */
export async function checkSecondFactorWhereOn(_db: Db, _userId: string, _form: Record<string, unknown>): Promise<void> {}
