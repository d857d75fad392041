import { and, eq } from 'drizzle-orm';
import { verifyPassword } from '../auth/password';
import type { Db } from '../db/client';
import { customerUsers } from '../db/schema';
import type { TwoFactorAccount } from '../security/two-factor';
import type { PortalContext } from './context';

/** The signed-in portal member as a two-factor account, within their host. */
export function portalTwoFactorAccount(portal: PortalContext): TwoFactorAccount {
  const member = portal.member!;
  return { kind: 'customer', id: member.id, hostId: portal.host.id, label: member.name, customerId: portal.customer?.id ?? null };
}

/** Checks a freshly typed password of a portal account of this host. */
export function portalPasswordCheck(db: Db, hostId: string, memberId: string) {
  return async (password: string): Promise<boolean> => {
    const account = await db
      .select({ passwordHash: customerUsers.passwordHash })
      .from(customerUsers)
      .where(and(eq(customerUsers.id, memberId), eq(customerUsers.hostId, hostId)))
      .get();
    return Boolean(account && (await verifyPassword(password, account.passwordHash)));
  };
}
