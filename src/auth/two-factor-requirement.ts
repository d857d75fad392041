import { eq } from 'drizzle-orm';
import { activityInsert } from '../activity/service';
import type { Db } from '../db/client';
import { hosts } from '../db/schema';
import { staffActor } from '../hosts/service';
import { ValidationError } from '../lib/errors';
import { enabledTwoFactor } from '../security/two-factor';
import { can, requireThat } from './permissions';
import type { StaffSession } from './staff-session';

export interface TwoFactorRequirements {
  staff: boolean;
  portal: boolean;
}

export async function getTwoFactorRequirements(db: Db, hostId: string): Promise<TwoFactorRequirements> {
  const row = await db.select({ staff: hosts.requireStaffTwoFactor, portal: hosts.requirePortalTwoFactor }).from(hosts).where(eq(hosts.id, hostId)).get();
  return { staff: Boolean(row?.staff), portal: Boolean(row?.portal) };
}

/**
 * Settings → Security (owner only). With a requirement on, a member or portal account without
 * two-factor sees only its set-up page until it is done (src/middleware/staff-auth.ts,
 * src/routes/portal.tsx). The owner must have it on first: they would be the first one stopped.
 */
export async function setTwoFactorRequirements(db: Db, session: StaffSession, form: Record<string, string | undefined>): Promise<TwoFactorRequirements> {
  requireThat(can.changeCoreSettings(session.role), 'Only the owner can change security settings.');
  const wanted = { staff: form.require_staff === 'on', portal: form.require_portal === 'on' };
  if (wanted.staff && !(await enabledTwoFactor(db, 'staff', session.user.id))) {
    throw new ValidationError({ require_staff: 'Turn on two-factor sign-in for your own account first (Your account → Two-factor sign-in).' });
  }
  const before = await getTwoFactorRequirements(db, session.host.id);
  const changes: Record<string, [boolean, boolean]> = {};
  if (before.staff !== wanted.staff) changes.require_staff_two_factor = [before.staff, wanted.staff];
  if (before.portal !== wanted.portal) changes.require_portal_two_factor = [before.portal, wanted.portal];
  if (Object.keys(changes).length === 0) return wanted;
  const now = Date.now();
  await db.batch([
    db.update(hosts).set({ requireStaffTwoFactor: wanted.staff, requirePortalTwoFactor: wanted.portal, updatedAt: now }).where(eq(hosts.id, session.host.id)),
    activityInsert(db, session.host.id, staffActor(session), 'host.two_factor_requirement', null, changes, now),
  ]);
  return wanted;
}
