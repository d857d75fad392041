import { h } from '#jsx';
import type { StaffSession } from '../../src/auth/staff-session';
import type { FieldErrors } from '../../src/lib/errors';
import type { Membership } from '../../src/team/service';
import { ConfirmAction } from '../components/confirm';
import { FormErrorSummary, TextField } from '../components/form';
import { TableWrap } from '../components/table';
import { AdminLayout, PageHeader } from '../layouts/admin';
import { SignInsCard } from '../components/sign-ins';
import { TwoFactorSummaryCard } from './two-factor';
import type { SignInRow } from '../../src/security/sign-ins';

export function AccountPage(props: {
  session: StaffSession;
  name?: string;
  errors?: FieldErrors;
  passwordErrors?: FieldErrors;
  notice?: string;
  memberships?: Membership[];
  /** Recent sign-ins of this person; absent when a form re-renders. */
  signIns?: SignInRow[];
  /** Whether two-factor sign-in is on; absent when a form re-renders. */
  twoFactorEnabled?: boolean;
}) {
  const { session } = props;
  return (
    <AdminLayout session={session} title="Your account">
      <PageHeader title="Your account" subtitle={session.user.email} />
      {props.notice && (
        <div class="alert alert-success" role="status">
          {props.notice}
        </div>
      )}
      <form class="card" method="post" action="/admin/account" novalidate>
        <h2 class="card-title">Your details</h2>
        <FormErrorSummary errors={props.errors} />
        <TextField label="Your name" name="name" value={props.name ?? session.user.name} errors={props.errors} required autocomplete="name" />
        <button type="submit" class="btn btn-primary">
          Save
        </button>
      </form>
      <form class="card" method="post" action="/admin/account/password" novalidate>
        <h2 class="card-title">Change password</h2>
        <FormErrorSummary errors={props.passwordErrors} />
        <TextField label="Current password" name="current_password" type="password" errors={props.passwordErrors} required autocomplete="current-password" />
        <TextField
          label="New password"
          name="new_password"
          type="password"
          errors={props.passwordErrors}
          required
          autocomplete="new-password"
          hint="At least 10 characters. Your other signed-in browsers are signed out."
        />
        <button type="submit" class="btn btn-primary">
          Change password
        </button>
      </form>
      {props.twoFactorEnabled !== undefined && <TwoFactorSummaryCard enabled={props.twoFactorEnabled} href="/admin/account/two-factor" />}
      {props.memberships && (
        <section class="card" aria-labelledby="memberships-title">
          <h2 class="card-title" id="memberships-title">
            Your hosts
          </h2>
          <TableWrap label="Your hosts">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Host</th>
                  <th scope="col">Role</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {props.memberships.map((membership) => (
                  <tr>
                    <td>
                      {membership.hostName}
                      {membership.hostId === session.host.id && <span class="muted"> (current)</span>}
                    </td>
                    <td>{membership.role}</td>
                    <td>
                      {membership.role === 'owner' ? (
                        <span class="muted small">Transfer ownership to leave</span>
                      ) : (
                        <ConfirmAction
                          action={`/admin/hosts/${membership.hostId}/leave`}
                          label="Leave"
                          consequence={`You lose access to ${membership.hostName} at once; only a new invitation brings you back.`}
                          confirmLabel={`Leave ${membership.hostName}`}
                          small
                        />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </section>
      )}
      {props.signIns && <SignInsCard signIns={props.signIns} timezone={session.host.timezone} signOutAction="/logout" />}
    </AdminLayout>
  );
}
