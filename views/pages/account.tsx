import type { StaffSession } from '../../src/auth/staff-session';
import type { FieldErrors } from '../../src/lib/errors';
import { FormErrorSummary, TextField } from '../components/form';
import { AdminLayout, PageHeader } from '../layouts/admin';
import { SignInsCard } from '../components/sign-ins';
import type { SignInRow } from '../../src/security/sign-ins';

export function AccountPage(props: {
  session: StaffSession;
  name?: string;
  errors?: FieldErrors;
  passwordErrors?: FieldErrors;
  notice?: string;
  /** Recent sign-ins of this person; absent when a form re-renders. */
  signIns?: SignInRow[];
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
      {props.signIns && <SignInsCard signIns={props.signIns} timezone={session.host.timezone} signOutAction="/logout" />}
    </AdminLayout>
  );
}
