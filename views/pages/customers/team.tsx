import { h } from '#jsx';
import type { FieldErrors } from '../../../src/lib/errors';
import type { TeamMember } from '../../../src/portal/accounts';
import type { InviteRow } from '../../../src/portal/invites';
import { ConfirmAction } from '../../components/confirm';
import { Card, EmptyState, FormErrorSummary, SelectField, TextField } from '../../components/form';
import { Time } from '../../components/time';
import { TableWrap } from '../../components/table';

const STATE_BADGE: Record<InviteRow['state'], string> = {
  pending: 'badge-active',
  accepted: 'badge-inactive',
  revoked: 'badge-inactive',
  expired: 'badge-in_default',
};

export function CustomerTeamPanel(props: {
  customerId: string;
  teamName: string | null;
  members: TeamMember[];
  invites: InviteRow[];
  hostSlug: string | null;
  timezone: string;
  errors?: FieldErrors;
  values?: { email: string; role: string };
  notice?: string;
}) {
  const base = `/admin/customers/${props.customerId}/team`;
  const hasOwner = props.members.some((member) => member.role === 'owner');
  return (
    <div class="team-panel">
      {props.notice && (
        <div class="alert alert-success" role="status">
          {props.notice}
        </div>
      )}
      <Card title="Team name">
        <form class="inline-form" method="post" action={`${base}/name`} novalidate>
          <TextField label="Shown in the customer's portal" name="team_name" value={props.teamName} errors={props.errors} maxlength={80} />
          <button type="submit" class="btn">
            Save name
          </button>
        </form>
      </Card>
      <Card title="Members">
        {props.members.length === 0 ? (
          <EmptyState title="No team members yet">
            <p>Invite the customer's first user below; they can then invite their own team.</p>
          </EmptyState>
        ) : (
          <TableWrap label="Team members">
            <table class="table" data-testid="team-members">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Joined</th>
                  <th scope="col"><span class="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {props.members.map((member) => (
                  <tr>
                    <td>{member.name}</td>
                    <td>{member.email}</td>
                    <td>{member.role}</td>
                    <td>
                      <Time ms={member.createdAt} timezone={props.timezone} dateOnly />
                    </td>
                    <td>
                      <ConfirmAction
                        action={`${base}/members/${member.id}/remove`}
                        label="Remove access"
                        consequence={`${member.name} is signed out and loses access at once.`}
                        confirmLabel={`Remove ${member.name}`}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Card>
      <Card title="Invite to the portal">
        {props.hostSlug ? (
          <form class="inline-form" method="post" action={`${base}/invites`} novalidate>
            <FormErrorSummary errors={props.errors && !props.errors.team_name ? props.errors : undefined} />
            <TextField label="Email" name="email" type="email" value={props.values?.email} errors={props.errors} required />
            <SelectField
              label="Role"
              name="role"
              value={props.values?.role ?? (hasOwner ? 'member' : 'owner')}
              errors={props.errors}
              options={[
                ['owner', 'Owner (manages the team)'],
                ['member', 'Member'],
              ]}
            />
            <button type="submit" class="btn btn-primary">
              Send invitation
            </button>
          </form>
        ) : (
          <div class="alert alert-info" role="status">
            Invitations link to your branded portal, so set a host slug first in <a href="/admin/settings">Settings → General</a>.
          </div>
        )}
        {props.invites.length > 0 && (
          <TableWrap label="Pending invites">
            <table class="table table-compact" data-testid="team-invites">
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Sent</th>
                  <th scope="col">Expires</th>
                  <th scope="col"><span class="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {props.invites.map((invite) => (
                  <tr>
                    <td>{invite.email}</td>
                    <td>{invite.role}</td>
                    <td>
                      <span class={`badge ${STATE_BADGE[invite.state]}`}>{invite.state}</span>
                    </td>
                    <td>
                      <Time ms={invite.lastSentAt} timezone={props.timezone} />
                      {invite.sendCount > 1 && <span class="muted"> ({invite.sendCount}×)</span>}
                    </td>
                    <td>
                      <Time ms={invite.expiresAt} timezone={props.timezone} dateOnly />
                    </td>
                    <td class="actions">
                      {(invite.state === 'pending' || invite.state === 'expired') && (
                        <form method="post" action={`${base}/invites/${invite.id}/resend`}>
                          <button type="submit" class="btn btn-small">
                            Resend
                          </button>
                        </form>
                      )}
                      {invite.state === 'pending' && (
                        <form method="post" action={`${base}/invites/${invite.id}/revoke`}>
                          <button type="submit" class="btn btn-small btn-danger-outline">
                            Revoke
                          </button>
                        </form>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Card>
    </div>
  );
}
