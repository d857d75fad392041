import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { users } from '../db/schema';
import type { TwoFactorAccount } from '../security/two-factor';
import { verifyPassword } from './password';
import type { StaffSession } from './staff-session';

/** A staff member as a two-factor account: one person, logged on the host of the session. */
export const staffTwoFactorAccount = (session: StaffSession): TwoFactorAccount => ({
  kind: 'staff',
  id: session.user.id,
  hostId: session.host.id,
  label: session.user.name,
});

/** Checks a freshly typed password (turning two-factor off asks for it, not only a session). */
export function staffPasswordCheck(db: Db, userId: string) {
  return async (password: string): Promise<boolean> => {
    const user = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId)).get();
    return Boolean(user && (await verifyPassword(password, user.passwordHash)));
  };
}
