import { Fragment, h } from '#jsx';
import { can } from '../../../src/auth/permissions';
import type { StaffSession } from '../../../src/auth/staff-session';
import type { FieldErrors } from '../../../src/lib/errors';
import type { StaffInviteRow } from '../../../src/team/invites';
import type { PendingTransfer } from '../../../src/team/ownership';
import { GRANTABLE_ROLES } from '../../../src/team/schema';
import type { TeamMember } from '../../../src/team/service';
import { ConfirmAction } from '../../components/confirm';
import { EmptyState, FormErrorSummary, SelectField, TextField } from '../../components/form';
import { TableWrap } from '../../components/table';
import { Time } from '../../components/time';
import { SettingsShell } from '../settings';
import { SiteAccessFields, siteNames, type SiteChoice } from './site-access';

const ROLE_LABELS = { owner: 'Owner', admin: 'Admin', staff: 'Staff' } as const;
const ROLE_OPTIONS = GRANTABLE_ROLES.map((role) => [role, ROLE_LABELS[role]] as const);
const INVITE_STATE_LABELS = { pending: 'Pending', accepted: 'Accepted', revoked: 'Revoked', expired: 'Expired' } as const;

export interface TeamPageProps {
  session: StaffSession;
  staff: TeamMember[];
  invites: StaffInviteRow[];
  sites: SiteChoice[];
  transfer: PendingTransfer | null;
  values?: { email: string; role: string; siteIds: string[] | null };
  errors?: FieldErrors;
  /** Errors of the transfer form (its own card). */
  transferErrors?: FieldErrors;
  notice?: string;
}

export function TeamPage(props: TeamPageProps) {
  const { session } = props;
  const manage = can.manageStaff(session.role);
  const isOwner = session.role === 'owner';
  const admins = props.staff.filter((member) => member.role === 'admin');
  return (
    <SettingsShell session={session} section="staff" title="Team">
      <p class="muted">
        One owner changes the organisation’s settings, billing, domains and exports; admins manage API keys, branding and the team up to admin;
        staff work with customers. Anyone can be limited to some sites.
      </p>
      {props.notice && (
        <div class="alert alert-success" role="status">
          {props.notice}
        </div>
      )}
      <FormErrorSummary errors={props.errors} />
      <TableWrap label="Team">
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Sites</th>
              <th scope="col">Joined</th>
              {manage && (
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {props.staff.map((member) => {
              const editable = manage && member.userId !== session.user.id && can.manageStaffRole(session.role, member.role);
              return (
                <tr>
                  <td>
                    {member.name}
                    {member.userId === session.user.id && <span class="muted"> (you)</span>}
                  </td>
                  <td>{member.email}</td>
                  <td>
                    {editable ? (
                      <form method="post" action={`/admin/settings/staff/${member.userId}/role`} class="inline-form compact">
                        <label class="visually-hidden" for={`role-${member.userId}`}>
                          Role for {member.name}
                        </label>
                        <select id={`role-${member.userId}`} name="role">
                          {ROLE_OPTIONS.map(([value, label]) => (
                            <option value={value} selected={member.role === value}>
                              {label}
                            </option>
                          ))}
                        </select>
                        <button type="submit" class="btn btn-small">
                          Change
                        </button>
                      </form>
                    ) : (
                      ROLE_LABELS[member.role]
                    )}
                  </td>
                  <td>
                    {editable ? (
                      <details class="site-access-edit">
                        <summary>{siteNames(props.sites, member.siteIds)}</summary>
                        <form method="post" action={`/admin/settings/staff/${member.userId}/sites`}>
                          <SiteAccessFields sites={props.sites} siteIds={member.siteIds} idPrefix={`m-${member.userId}`} legend={`Sites ${member.name} can see`} />
                          <button type="submit" class="btn btn-small">
                            Save sites
                          </button>
                        </form>
                      </details>
                    ) : (
                      siteNames(props.sites, member.siteIds)
                    )}
                  </td>
                  <td>
                    <Time ms={member.joinedAt} timezone={session.host.timezone} dateOnly />
                  </td>
                  {manage && (
                    <td>
                      {editable && (
                        <ConfirmAction
                          action={`/admin/settings/staff/${member.userId}/remove`}
                          label="Remove"
                          consequence={`${member.name} loses access at once.`}
                          confirmLabel={`Remove ${member.name}`}
                          small
                        />
                      )}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableWrap>

      {manage && (
        <form class="card" method="post" action="/admin/settings/staff/invites" novalidate>
          <h2 class="card-title">Invite someone</h2>
          <p class="muted small">They get an email with a link that works once, for 7 days, and choose their own password.</p>
          <TextField label="Email" name="email" type="email" value={props.values?.email} errors={props.errors} required autocomplete="off" />
          <SelectField label="Role" name="role" value={props.values?.role ?? 'staff'} errors={props.errors} options={ROLE_OPTIONS} />
          <SiteAccessFields sites={props.sites} siteIds={props.values?.siteIds ?? null} errors={props.errors} idPrefix="invite" />
          <button type="submit" class="btn btn-primary">
            Send invitation
          </button>
        </form>
      )}

      {manage && (
        <section class="card" aria-labelledby="invites-title">
          <h2 class="card-title" id="invites-title">
            Invitations
          </h2>
          {props.invites.length === 0 ? (
            <EmptyState title="No invitations yet">Invite someone above: they join once they accept.</EmptyState>
          ) : (
            <TableWrap label="Invitations">
              <table class="table">
                <thead>
                  <tr>
                    <th scope="col">Email</th>
                    <th scope="col">Role</th>
                    <th scope="col">Sites</th>
                    <th scope="col">State</th>
                    <th scope="col">Expires</th>
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {props.invites.map((invite) => (
                    <tr>
                      <td>{invite.email}</td>
                      <td>{ROLE_LABELS[invite.role]}</td>
                      <td>{siteNames(props.sites, invite.siteIds)}</td>
                      <td>{INVITE_STATE_LABELS[invite.state]}</td>
                      <td>
                        <Time ms={invite.expiresAt} timezone={session.host.timezone} />
                      </td>
                      <td>
                        {(invite.state === 'pending' || invite.state === 'expired') && (
                          <div class="row-actions">
                            <form method="post" action={`/admin/settings/staff/invites/${invite.id}/resend`}>
                              <button type="submit" class="btn btn-small">
                                Resend
                              </button>
                            </form>
                            <ConfirmAction
                              action={`/admin/settings/staff/invites/${invite.id}/revoke`}
                              label="Revoke"
                              consequence={`The link sent to ${invite.email} stops working.`}
                              confirmLabel="Revoke invitation"
                              small
                            />
                          </div>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </section>
      )}

      {isOwner && (
        <section class="card" aria-labelledby="transfer-title">
          <h2 class="card-title" id="transfer-title">
            Transfer ownership
          </h2>
          {props.transfer ? (
            <>
              <p>
                Waiting for {props.transfer.toName} ({props.transfer.toEmail}) to confirm, until{' '}
                <Time ms={props.transfer.expiresAt} timezone={session.host.timezone} />.
              </p>
              <ConfirmAction action="/admin/settings/staff/transfer/cancel" label="Cancel transfer" consequence="The emailed link stops working." confirmLabel="Cancel transfer" />
            </>
          ) : admins.length === 0 ? (
            <p class="muted">Ownership goes to an admin: make someone an admin first.</p>
          ) : (
            <form method="post" action="/admin/settings/staff/transfer" novalidate>
              <FormErrorSummary errors={props.transferErrors} />
              <p class="muted small">They confirm from an email; you then become an admin.</p>
              <SelectField
                label="New owner"
                name="to_user_id"
                errors={props.transferErrors}
                options={admins.map((admin) => [admin.userId, `${admin.name} (${admin.email})`] as const)}
              />
              <TextField label="Your password" name="password" type="password" errors={props.transferErrors} required autocomplete="current-password" />
              <button type="submit" class="btn btn-primary">
                Offer ownership
              </button>
            </form>
          )}
        </section>
      )}
    </SettingsShell>
  );
}
