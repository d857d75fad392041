import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { signIns } from '../db/schema';
import { newId } from '../lib/ids';

/** How many sign-ins an account page lists (older ones stay in the table, unlisted). */
export const RECENT_SIGN_INS = 10;

export type SignInAccount = { kind: 'staff' | 'customer'; id: string; hostId: string };

export interface SignInRow {
  at: number;
  ip: string | null;
  country: string | null;
  userAgent: string | null;
}

/** Records a successful sign-in: when, and from where as Cloudflare reports it (address, country). */
export function recordSignIn(db: Db, account: SignInAccount, headers: Headers, now = Date.now()) {
  return db.insert(signIns).values({
    id: newId(),
    hostId: account.hostId,
    accountKind: account.kind,
    accountId: account.id,
    ip: headers.get('CF-Connecting-IP')?.slice(0, 64) ?? null,
    country: headers.get('CF-IPCountry')?.slice(0, 8) ?? null,
    userAgent: headers.get('User-Agent')?.slice(0, 300) ?? null,
    createdAt: now,
  });
}

/** The account's latest sign-ins, newest first (staff across every host they belong to: it is one person). */
export async function recentSignIns(db: Db, account: Omit<SignInAccount, 'hostId'>): Promise<SignInRow[]> {
  return db
    .select({ at: signIns.createdAt, ip: signIns.ip, country: signIns.country, userAgent: signIns.userAgent })
    .from(signIns)
    .where(and(eq(signIns.accountKind, account.kind), eq(signIns.accountId, account.id)))
    .orderBy(desc(signIns.createdAt), desc(signIns.id))
    .limit(RECENT_SIGN_INS)
    .all();
}
