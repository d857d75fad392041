import { Fragment, h } from '#jsx';
import type { FieldErrors } from '../../../src/lib/errors';
import type { InviteForAcceptance } from '../../../src/team/invites';
import type { TransferForAcceptance } from '../../../src/team/ownership';
import type { Membership } from '../../../src/team/service';
import type { StaffSession } from '../../../src/auth/staff-session';
import { FormErrorSummary, TextField } from '../../components/form';
import { AdminLayout, PageHeader } from '../../layouts/admin';
import { AuthLayout } from '../../layouts/auth';

const ROLE_PHRASE = { owner: 'the owner', admin: 'an admin', staff: 'staff' } as const;

/** The page an invitation link opens: new people choose a password, existing accounts confirm theirs. */
export function AcceptInvitePage(props: { token: string; invite: InviteForAcceptance | null; unusable?: string; name?: string; errors?: FieldErrors; message?: string }) {
  const { invite } = props;
  if (!invite || props.unusable) {
    return (
      <AuthLayout title="Invitation">
        <h1>Invitation</h1>
        <div class="alert alert-error" role="alert">
          {props.unusable ?? 'This invitation link is not valid. Check that you copied all of it.'}
        </div>
        <p class="auth-switch">
          <a href="/login">Sign in</a>
        </p>
      </AuthLayout>
    );
  }
  return (
    <AuthLayout title={`Join ${invite.hostName}`}>
      <h1>Join {invite.hostName}</h1>
      <p class="muted">
        You were invited as {ROLE_PHRASE[invite.role]}, as {invite.email}.
      </p>
      <form method="post" action={`/team/invite/${props.token}`} novalidate>
        <FormErrorSummary errors={props.errors} message={props.message} />
        {invite.hasAccount ? (
          <>
            <p>You already have a Hashyard account: confirm it is you with its password.</p>
            <TextField label="Password" name="password" type="password" errors={props.errors} required autocomplete="current-password" />
            <TextField label="Two-factor code" name="code" errors={props.errors} autocomplete="one-time-code" hint="Only if two-factor sign-in is on for your account: the code from your app, or a recovery code." />
          </>
        ) : (
          <>
            <TextField label="Your name" name="name" value={props.name} errors={props.errors} required autocomplete="name" />
            <TextField label="Choose a password" name="password" type="password" errors={props.errors} required autocomplete="new-password" hint="At least 10 characters." />
          </>
        )}
        <button type="submit" class="btn btn-primary btn-block">
          Join {invite.hostName}
        </button>
      </form>
    </AuthLayout>
  );
}

export function AcceptTransferPage(props: { token: string; transfer: TransferForAcceptance | null; unusable?: string; errors?: FieldErrors; message?: string }) {
  const { transfer } = props;
  if (!transfer || props.unusable) {
    return (
      <AuthLayout title="Ownership transfer">
        <h1>Ownership transfer</h1>
        <div class="alert alert-error" role="alert">
          {props.unusable ?? 'This link is not valid. Check that you copied all of it.'}
        </div>
      </AuthLayout>
    );
  }
  return (
    <AuthLayout title={`Become the owner of ${transfer.hostName}`}>
      <h1>Become the owner of {transfer.hostName}</h1>
      <p>
        {transfer.fromName} offers you the ownership of {transfer.hostName}. As owner you alone change its settings, billing and domains, export its data
        and can close it; {transfer.fromName} becomes an admin.
      </p>
      <form method="post" action={`/team/transfer/${props.token}`} novalidate>
        <FormErrorSummary errors={props.errors} message={props.message} />
        <p class="muted">Signed in as {transfer.toEmail}? Confirm with your password.</p>
        <TextField label="Your password" name="password" type="password" errors={props.errors} required autocomplete="current-password" />
        <TextField label="Two-factor code" name="code" errors={props.errors} autocomplete="one-time-code" hint="Only if two-factor sign-in is on for your account: the code from your app, or a recovery code." />
        <button type="submit" class="btn btn-primary btn-block">
          Accept ownership
        </button>
      </form>
    </AuthLayout>
  );
}

/** Which host to work in: after signing in (when there are several) and from the header. */
export function ChooseHostPage(props: { session: StaffSession; memberships: Membership[]; next?: string; notice?: string }) {
  return (
    <AdminLayout session={props.session} title="Choose a host">
      <PageHeader title="Choose a host" subtitle="You belong to several hosts; you work in one at a time." />
      {props.notice && (
        <div class="alert alert-success" role="status">
          {props.notice}
        </div>
      )}
      <ul class="host-choices">
        {props.memberships.map((membership) => (
          <li class="card">
            <form method="post" action="/admin/hosts/switch">
              <input type="hidden" name="host_id" value={membership.hostId} />
              <input type="hidden" name="next" value={props.next ?? ''} />
              <p class="host-choice-name">
                <strong>{membership.hostName}</strong> <span class="muted">({membership.role})</span>
                {membership.hostId === props.session.host.id && <span class="muted"> · current</span>}
              </p>
              <button type="submit" class="btn btn-primary">
                Open {membership.hostName}
              </button>
            </form>
          </li>
        ))}
      </ul>
    </AdminLayout>
  );
}
