import { Fragment, h } from '#jsx';
import { TwoFactorSummaryCard } from '../two-factor';
import { SignInsCard } from '../../components/sign-ins';
import type { SignInRow } from '../../../src/security/sign-ins';
import type { AlertView } from '../../../src/alerts/service';
import type { FieldErrors } from '../../../src/lib/errors';
import { ConfirmAction } from '../../components/confirm';
import type { FleetSummary } from '../../../src/telemetry/fleet';
import type { TeamMember } from '../../../src/portal/accounts';
import type { PortalContext } from '../../../src/portal/context';
import type { InviteRow } from '../../../src/portal/invites';
import { Card, EmptyState, FormErrorSummary, SelectField, TextField } from '../../components/form';
import { Time } from '../../components/time';
import { PortalLayout, portalHref, type PortalSection } from '../../layouts/portal';
import { DashboardAlertsPanel, DashboardEquipmentPanel } from './equipment';
import { LiveUnavailableNotice } from '../../components/live-unavailable';
import type { UnavailableSite } from '../../../src/live/outage';
import { TableWrap } from '../../components/table';

export function PortalDashboard(props: { portal: PortalContext; teamSize: number; fleet: FleetSummary; openAlerts: AlertView[]; openAlertTotal: number; liveUnavailable?: readonly UnavailableSite[] }) {
  const { portal } = props;
  const customer = portal.customer!;
  return (
    <PortalLayout portal={portal} title="Dashboard" section="dashboard">
      <h1>Welcome{portal.member ? `, ${portal.member.name}` : ''}</h1>
      <LiveUnavailableNotice sites={props.liveUnavailable} />
      <div class="summary-cards">
        <div class="summary-card">
          <span class="summary-label">Account</span>
          <span class="summary-value summary-value-text">{customer.name}</span>
          {customer.companyName && <span class="summary-unit">{customer.companyName}</span>}
        </div>
        <div class="summary-card">
          <span class="summary-label">Team</span>
          <span class="summary-value">{props.teamSize}</span>
          <span class="summary-unit">{props.teamSize === 1 ? 'member' : 'members'}</span>
        </div>
        <div class="summary-card">
          <span class="summary-label">Invoices go to</span>
          <span class="summary-value summary-value-text">{customer.billingEmail ?? customer.contactEmail}</span>
        </div>
      </div>
      <div class="panel-grid">
        <DashboardEquipmentPanel portal={portal} summary={props.fleet} />
        <DashboardAlertsPanel portal={portal} open={props.openAlerts} openTotal={props.openAlertTotal} />
        <Card title="Invoices">
          <p>
            Your invoices, balance, credit and payment history are on the <a href={portalHref(portal, '/invoices')}>Invoices</a> page.
          </p>
        </Card>
      </div>
    </PortalLayout>
  );
}

const SECTION_COPY: Partial<Record<PortalSection, { title: string; empty: string; body: string }>> = {
  invoices: { title: 'Invoices', empty: 'No invoices yet', body: 'Your invoices will be listed here, with their lines and payment status.' },
  support: { title: 'Support', empty: 'No support tickets', body: 'Support tickets with your hosting provider will appear here.' },
};

export function PortalSectionPage(props: { portal: PortalContext; section: 'invoices' | 'support' }) {
  const copy = SECTION_COPY[props.section]!;
  return (
    <PortalLayout portal={props.portal} title={copy.title} section={props.section}>
      <h1>{copy.title}</h1>
      <EmptyState title={copy.empty}>
        <p>{copy.body}</p>
      </EmptyState>
    </PortalLayout>
  );
}

export function PortalTeamPage(props: {
  portal: PortalContext;
  members: TeamMember[];
  invites: InviteRow[];
  values?: { email: string; role: string };
  errors?: FieldErrors;
  notice?: string;
}) {
  const { portal } = props;
  const isOwner = portal.member?.role === 'owner';
  // In View Portal staff see what an owner sees, with every control disabled.
  const showOwnerTools = isOwner || portal.preview !== null;
  const disabled = portal.preview !== null;
  const pending = props.invites.filter((invite) => invite.state === 'pending');
  return (
    <PortalLayout portal={portal} title="Team" section="team">
      <h1>{portal.customer?.teamName ?? 'Team'}</h1>
      <p class="muted">Everyone here sees the same equipment, earnings and invoices.</p>
      {props.notice && (
        <div class="alert alert-success" role="status">
          {props.notice}
        </div>
      )}
      <TableWrap label="Team members">
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Joined</th>
              {showOwnerTools && <th scope="col"><span class="visually-hidden">Actions</span></th>}
            </tr>
          </thead>
          <tbody>
            {props.members.map((member) => (
              <tr>
                <td>
                  {member.name}
                  {member.id === portal.member?.id && <span class="muted"> (you)</span>}
                </td>
                <td>{member.email}</td>
                <td>{member.role}</td>
                <td>
                  <Time ms={member.createdAt} timezone={portal.host.timezone} dateOnly />
                </td>
                {showOwnerTools && (
                  <td>
                    {member.id !== portal.member?.id && (
                      <ConfirmAction
                        action={portalHref(portal, `/team/members/${member.id}/remove`)}
                        label="Remove"
                        consequence={`${member.name} loses access at once.`}
                        confirmLabel={`Remove ${member.name}`}
                        disabled={disabled}
                      />
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      {showOwnerTools && (
        <>
          {pending.length > 0 && (
            <Card title="Pending invitations">
              <ul class="plain-list">
                {pending.map((invite) => (
                  <li>
                    {invite.email} <span class="muted">({invite.role}, expires <Time ms={invite.expiresAt} timezone={portal.host.timezone} dateOnly />)</span>
                  </li>
                ))}
              </ul>
            </Card>
          )}
          <form class="card" method="post" action={portalHref(portal, '/team/invites')} novalidate>
            <h2 class="card-title">Invite a team member</h2>
            <FormErrorSummary errors={props.errors} />
            <fieldset disabled={disabled} class="bare">
              <TextField label="Email" name="email" type="email" value={props.values?.email} errors={props.errors} required />
              <SelectField label="Role" name="role" value={props.values?.role ?? 'member'} errors={props.errors} options={[['member', 'Member'], ['owner', 'Owner (can invite and remove)']]} />
              <button type="submit" class="btn btn-primary">
                Send invitation
              </button>
            </fieldset>
          </form>
        </>
      )}
    </PortalLayout>
  );
}

export function PortalProfilePage(props: {
  portal: PortalContext;
  name: string;
  email: string;
  errors?: FieldErrors;
  passwordErrors?: FieldErrors;
  notice?: string;
  /** Recent sign-ins of this account; absent when a form re-renders. */
  signIns?: SignInRow[];
  /** Whether two-factor sign-in is on; absent when a form re-renders. */
  twoFactorEnabled?: boolean;
}) {
  const { portal } = props;
  const disabled = portal.preview !== null;
  return (
    <PortalLayout portal={portal} title="Profile" section="profile">
      <h1>Profile</h1>
      {props.notice && (
        <div class="alert alert-success" role="status">
          {props.notice}
        </div>
      )}
      <form class="card" method="post" action={portalHref(portal, '/profile')} novalidate>
        <h2 class="card-title">Your details</h2>
        <FormErrorSummary errors={props.errors} />
        <fieldset disabled={disabled} class="bare">
          <TextField label="Your name" name="name" value={props.name} errors={props.errors} required />
          <p>
            <span class="muted">Email:</span> {props.email}
          </p>
          <button type="submit" class="btn btn-primary">
            Save
          </button>
        </fieldset>
      </form>
      {props.twoFactorEnabled !== undefined && <TwoFactorSummaryCard enabled={props.twoFactorEnabled} href={portalHref(portal, '/profile/two-factor')} />}
      <form class="card" method="post" action={portalHref(portal, '/profile/password')} novalidate>
        <h2 class="card-title">Change password</h2>
        <FormErrorSummary errors={props.passwordErrors} />
        <fieldset disabled={disabled} class="bare">
          <TextField label="Current password" name="current_password" type="password" errors={props.passwordErrors} required autocomplete="current-password" />
          <TextField label="New password" name="new_password" type="password" errors={props.passwordErrors} required autocomplete="new-password" hint="At least 10 characters. Other signed-in devices are signed out." />
          <button type="submit" class="btn btn-primary">
            Change password
          </button>
        </fieldset>
      </form>
      {props.signIns && <SignInsCard signIns={props.signIns} timezone={portal.host.timezone} signOutAction={portalHref(portal, '/auth/logout')} />}
    </PortalLayout>
  );
}

/** View Portal has no member of its own, so there is no personal profile to show. */
export function PortalProfileInPreview(props: { portal: PortalContext }) {
  return (
    <PortalLayout portal={props.portal} title="Profile" section="profile">
      <h1>Profile</h1>
      <EmptyState title="Each team member has their own profile">
        <p>Team members change their name and password here. View Portal is not a member, so there is nothing to show.</p>
      </EmptyState>
    </PortalLayout>
  );
}
