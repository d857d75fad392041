import { h } from '#jsx';
import type { FieldErrors } from '../../../src/lib/errors';
import { TwoFactorStepForm } from '../two-factor';
import type { PortalContext } from '../../../src/portal/context';
import { FormErrorSummary, TextField } from '../../components/form';
import { PortalAuthLayout, portalHref } from '../../layouts/portal';

export function PortalSignInForm(props: { portal: PortalContext; email?: string; errors?: FieldErrors; message?: string }) {
  const action = portalHref(props.portal, '/auth');
  return (
    <form id="portal-signin-form" method="post" action={action} hx-post={action} hx-target="this" hx-swap="outerHTML" novalidate>
      <FormErrorSummary errors={props.errors} message={props.message} />
      <TextField label="Email" name="email" type="email" value={props.email} errors={props.errors} required autocomplete="username" />
      <TextField label="Password" name="password" type="password" required autocomplete="current-password" />
      <button type="submit" class="btn btn-primary btn-block">
        Sign in
      </button>
      <p class="auth-switch">
        <a href={portalHref(props.portal, '/auth/forgot')}>Forgot your password?</a>
      </p>
    </form>
  );
}

export function PortalSignInPage(props: { portal: PortalContext; email?: string; errors?: FieldErrors; message?: string; notice?: string }) {
  return (
    <PortalAuthLayout portal={props.portal} title="Sign in">
      <h1>Sign in</h1>
      {props.notice && (
        <div class="alert alert-info" role="status">
          {props.notice}
        </div>
      )}
      <PortalSignInForm portal={props.portal} email={props.email} errors={props.errors} message={props.message} />
      <p class="muted small">New here? Your account starts with an invitation from {props.portal.host.name} or your team owner.</p>
    </PortalAuthLayout>
  );
}

/** A dead end with one clear sentence (used, expired or withdrawn links; locked accounts). */
export function PortalNoticePage(props: { portal: PortalContext; title: string; message: string; status?: 'error' | 'info'; reference?: string }) {
  return (
    <PortalAuthLayout portal={props.portal} title={props.title}>
      <h1>{props.title}</h1>
      <div class={props.status === 'info' ? 'alert alert-info' : 'alert alert-error'} role="alert">
        {props.message}
      </div>
      {props.reference && <p class="muted small">Reference: {props.reference}</p>}
      <p>
        <a href={portalHref(props.portal, '/auth')}>Go to sign in</a>
      </p>
    </PortalAuthLayout>
  );
}

export interface InviteView {
  token: string;
  email: string;
  customerName: string;
}

export function AcceptInviteForms(props: {
  portal: PortalContext;
  invite: InviteView;
  values?: { name?: string };
  errors?: FieldErrors;
  signInErrors?: FieldErrors;
}) {
  const { portal, invite } = props;
  const signUpAction = portalHref(portal, `/auth/invite/${invite.token}`);
  const signInAction = portalHref(portal, `/auth/invite/${invite.token}/sign-in`);
  return (
    <div id="accept-invite">
      <form method="post" action={signUpAction} hx-post={signUpAction} hx-target="#accept-invite" hx-swap="outerHTML" novalidate>
        <h2>Create your account</h2>
        <FormErrorSummary errors={props.errors} />
        <TextField label="Email" name="email" type="email" value={invite.email} errors={props.errors} required autocomplete="username" hint="The invitation is for this address." />
        <TextField label="Your name" name="name" value={props.values?.name} errors={props.errors} required autocomplete="name" />
        <TextField label="Password" name="password" type="password" errors={props.errors} required autocomplete="new-password" hint="At least 10 characters." />
        <button type="submit" class="btn btn-primary btn-block">
          Create account and join
        </button>
      </form>
      <details class="existing-account" open={props.signInErrors ? true : undefined}>
        <summary>Already have an account on this portal? Sign in to accept</summary>
        <form method="post" action={signInAction} hx-post={signInAction} hx-target="#accept-invite" hx-swap="outerHTML" novalidate>
          <FormErrorSummary errors={props.signInErrors} />
          <TextField label="Email" name="email" type="email" value={invite.email} errors={props.signInErrors} required autocomplete="username" />
          <TextField label="Password" name="password" type="password" required autocomplete="current-password" />
          <button type="submit" class="btn btn-block">
            Sign in and join
          </button>
        </form>
      </details>
    </div>
  );
}

export function AcceptInvitePage(props: { portal: PortalContext; invite: InviteView; values?: { name?: string }; errors?: FieldErrors; signInErrors?: FieldErrors }) {
  return (
    <PortalAuthLayout portal={props.portal} title="Accept your invitation">
      <h1>Join {props.invite.customerName}</h1>
      <p class="muted">You have been invited to {props.portal.host.name}'s customer portal.</p>
      <AcceptInviteForms {...props} />
    </PortalAuthLayout>
  );
}

export function ForgotPasswordPage(props: { portal: PortalContext; email?: string; errors?: FieldErrors; sent?: boolean }) {
  const action = portalHref(props.portal, '/auth/forgot');
  return (
    <PortalAuthLayout portal={props.portal} title="Reset your password">
      <h1>Reset your password</h1>
      {props.sent ? (
        <div class="alert alert-success" role="status">
          If an account exists for that email, a reset link is on its way. It works for one hour.
        </div>
      ) : (
        <form method="post" action={action} novalidate>
          <FormErrorSummary errors={props.errors} />
          <TextField label="Email" name="email" type="email" value={props.email} errors={props.errors} required autocomplete="username" />
          <button type="submit" class="btn btn-primary btn-block">
            Send reset link
          </button>
        </form>
      )}
      <p class="auth-switch">
        <a href={portalHref(props.portal, '/auth')}>Back to sign in</a>
      </p>
    </PortalAuthLayout>
  );
}

export function ResetPasswordPage(props: { portal: PortalContext; token: string; errors?: FieldErrors }) {
  const action = portalHref(props.portal, `/auth/reset/${props.token}`);
  return (
    <PortalAuthLayout portal={props.portal} title="Choose a new password">
      <h1>Choose a new password</h1>
      <form method="post" action={action} novalidate>
        <FormErrorSummary errors={props.errors} />
        <TextField label="New password" name="password" type="password" errors={props.errors} required autocomplete="new-password" hint="At least 10 characters." />
        <button type="submit" class="btn btn-primary btn-block">
          Set password and sign in
        </button>
      </form>
    </PortalAuthLayout>
  );
}

export function PortalTwoFactorStepPage(props: { portal: PortalContext; errors?: FieldErrors; message?: string }) {
  return (
    <PortalAuthLayout portal={props.portal} title="Two-factor sign-in">
      <h1>Enter your code</h1>
      <p class="muted">Your password was right. Open your authenticator app for the code.</p>
      <TwoFactorStepForm action={portalHref(props.portal, '/auth/two-factor')} errors={props.errors} message={props.message} />
      <p class="muted small">
        <a href={portalHref(props.portal, '/auth')}>Start again</a>
      </p>
    </PortalAuthLayout>
  );
}
