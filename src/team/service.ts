import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { activityInsert } from '../activity/service';
import { can, requireThat } from '../auth/permissions';
import { parseSiteIds, type StaffSession } from '../auth/staff-session';
import type { Db } from '../db/client';
import { hosts, hostUsers, sites, users, type StaffRole } from '../db/schema';
import { staffActor } from '../hosts/service';
import { AppError, notFound, ValidationError } from '../lib/errors';
import { parseInput } from '../lib/validation';
import { checkGrantableSites } from './invites';
import { accessFromForm, changeRoleSchema, memberSitesSchema } from './schema';

export interface TeamMember {
  userId: string;
  name: string;
  email: string;
  role: StaffRole;
  siteIds: string[] | null;
  joinedAt: number;
}

export async function listStaff(db: Db, hostId: string): Promise<TeamMember[]> {
  const rows = await db
    .select({ userId: users.id, name: users.name, email: users.email, role: hostUsers.role, siteIds: hostUsers.siteIds, joinedAt: hostUsers.createdAt })
    .from(hostUsers)
    .innerJoin(users, eq(users.id, hostUsers.userId))
    .where(eq(hostUsers.hostId, hostId))
    .orderBy(asc(hostUsers.createdAt))
    .all();
  return rows.map((row) => ({ ...row, siteIds: parseSiteIds(row.siteIds) }));
}

export async function membershipOf(db: Db, hostId: string, userId: string) {
  const row = await db
    .select({ role: hostUsers.role, email: users.email, name: users.name, siteIds: hostUsers.siteIds })
    .from(hostUsers)
    .innerJoin(users, eq(users.id, hostUsers.userId))
    .where(and(eq(hostUsers.hostId, hostId), eq(hostUsers.userId, userId)))
    .get();
  if (!row) throw notFound('Staff member');
  return row;
}

/** A member the actor may manage: never the owner (their role moves only by a transfer). */
async function manageableMember(db: Db, session: StaffSession, userId: string) {
  requireThat(can.manageStaff(session.role), 'Only the owner and admins can manage staff.');
  const member = await membershipOf(db, session.host.id, userId);
  if (!can.manageStaffRole(session.role, member.role)) {
    throw new AppError('forbidden', 'The owner’s role changes only by a transfer of ownership.');
  }
  return member;
}

/** Admin ↔ staff, by the owner or an admin; the guarded UPDATE never touches the owner row. */
export async function changeStaffRole(db: Db, session: StaffSession, userId: string, raw: unknown): Promise<void> {
  requireThat(can.manageStaff(session.role), 'Only the owner and admins can change roles.');
  const { role } = parseInput(changeRoleSchema, raw);
  const member = await manageableMember(db, session, userId);
  if (member.role === role) return;
  const now = Date.now();
  await db.batch([
    db
      .update(hostUsers)
      .set({ role })
      .where(and(eq(hostUsers.hostId, session.host.id), eq(hostUsers.userId, userId), sql`${hostUsers.role} <> 'owner'`)),
    activityInsert(db, session.host.id, staffActor(session), 'staff.role_changed', null, { [member.email]: [member.role, role] }, now),
  ]);
}

/** Which sites a member may see (null = all). Takes effect on their next request. */
export async function setMemberSites(db: Db, session: StaffSession, userId: string, form: Record<string, string>): Promise<void> {
  const { siteIds } = parseInput(memberSitesSchema, accessFromForm(form));
  const member = await manageableMember(db, session, userId);
  await checkGrantableSites(db, session, siteIds);
  const stored = siteIds === null ? null : JSON.stringify(siteIds);
  if (stored === member.siteIds) return;
  const now = Date.now();
  await db.batch([
    db.update(hostUsers).set({ siteIds: stored }).where(and(eq(hostUsers.hostId, session.host.id), eq(hostUsers.userId, userId), sql`${hostUsers.role} <> 'owner'`)),
    activityInsert(db, session.host.id, staffActor(session), 'staff.sites_changed', null, { [member.email]: [parseSiteIds(member.siteIds) ?? 'all', siteIds ?? 'all'] }, now),
  ]);
}

/** Removal takes effect on the member's next request: sessions re-check membership every time. */
export async function removeStaff(db: Db, session: StaffSession, userId: string): Promise<void> {
  if (userId === session.user.id) throw new AppError('conflict', 'To leave this host yourself, use Leave on your account page.');
  const member = await manageableMember(db, session, userId);
  const now = Date.now();
  await db.batch([
    db.delete(hostUsers).where(and(eq(hostUsers.hostId, session.host.id), eq(hostUsers.userId, userId), sql`${hostUsers.role} <> 'owner'`)),
    activityInsert(db, session.host.id, staffActor(session), 'staff.removed', null, { [member.email]: [member.role, null] }, now),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Several hosts per person.

export interface Membership {
  hostId: string;
  hostName: string;
  role: StaffRole;
  joinedAt: number;
}

/** Every open host this person belongs to, in the order they joined. */
export async function listMemberships(db: Db, userId: string): Promise<Membership[]> {
  return db
    .select({ hostId: hosts.id, hostName: hosts.name, role: hostUsers.role, joinedAt: hostUsers.createdAt })
    .from(hostUsers)
    .innerJoin(hosts, eq(hosts.id, hostUsers.hostId))
    .where(and(eq(hostUsers.userId, userId), isNull(hosts.closedAt)))
    .orderBy(asc(hostUsers.createdAt))
    .all();
}

/** Switching re-checks membership: the new session names a host only if the person is in it now. */
export async function checkMembership(db: Db, userId: string, hostId: string): Promise<void> {
  const row = await db
    .select({ hostId: hostUsers.hostId })
    .from(hostUsers)
    .innerJoin(hosts, eq(hosts.id, hostUsers.hostId))
    .where(and(eq(hostUsers.userId, userId), eq(hostUsers.hostId, hostId), isNull(hosts.closedAt)))
    .get();
  if (!row) throw notFound('Host');
}

/** Leaves a host; the owner cannot (they transfer ownership first), so a host always keeps one. */
export async function leaveHost(db: Db, session: StaffSession, hostId: string): Promise<void> {
  const member = await db
    .select({ role: hostUsers.role })
    .from(hostUsers)
    .where(and(eq(hostUsers.hostId, hostId), eq(hostUsers.userId, session.user.id)))
    .get();
  if (!member) throw notFound('Host');
  if (member.role === 'owner') throw new ValidationError({ host: 'You own this host: transfer ownership to an admin before leaving.' }, 'You own this host: transfer ownership to an admin before leaving.');
  const now = Date.now();
  await db.batch([
    db.delete(hostUsers).where(and(eq(hostUsers.hostId, hostId), eq(hostUsers.userId, session.user.id), sql`${hostUsers.role} <> 'owner'`)),
    activityInsert(db, hostId, staffActor(session), 'staff.left', null, { [session.user.email]: [member.role, null] }, now),
  ]);
}

/** The host's sites as options for the site-access checkboxes. */
export async function siteChoices(db: Db, hostId: string) {
  return db.select({ id: sites.id, name: sites.name }).from(sites).where(eq(sites.hostId, hostId)).orderBy(asc(sites.name)).all();
}
