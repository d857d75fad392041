import { h } from '#jsx';
import type { FieldErrors } from '../../src/lib/errors';
import { TwoFactorStepForm } from './two-factor';
import { FormErrorSummary, TextField } from '../components/form';
import { AuthLayout } from '../layouts/auth';

export interface SignUpValues {
  organisation_name?: string;
  main_slug?: string;
  owner_name?: string;
  email?: string;
}

export function SignUpForm(props: { values: SignUpValues; errors?: FieldErrors }) {
  const { values, errors } = props;
  return (
    <form id="signup-form" method="post" action="/signup" hx-post="/signup" hx-target="this" hx-swap="outerHTML" novalidate>
      <FormErrorSummary errors={errors} />
      <TextField label="Organisation name" name="organisation_name" value={values.organisation_name} errors={errors} required autocomplete="organization" />
      <TextField
        label="Main slug"
        name="main_slug"
        value={values.main_slug}
        errors={errors}
        required
        hint="Lowercase letters, digits and hyphens, like texas-mine. Used in your customers' portal address."
      />
      <TextField label="Your name" name="owner_name" value={values.owner_name} errors={errors} required autocomplete="name" />
      <TextField label="Email" name="email" type="email" value={values.email} errors={errors} required autocomplete="email" />
      <TextField label="Password" name="password" type="password" errors={errors} required autocomplete="new-password" hint="At least 10 characters." />
      <button type="submit" class="btn btn-primary btn-block">
        Create host
      </button>
    </form>
  );
}

export function SignUpPage(props: { values: SignUpValues; errors?: FieldErrors }) {
  return (
    <AuthLayout title="Create your host">
      <h1>Create your host</h1>
      <p class="muted">Run your facility's customers, equipment and billing from one place.</p>
      <SignUpForm {...props} />
      <p class="auth-switch">
        Already have an account? <a href="/login">Sign in</a>
      </p>
    </AuthLayout>
  );
}

export function SignInForm(props: { email?: string; next?: string; errors?: FieldErrors; message?: string }) {
  return (
    <form id="signin-form" method="post" action="/login" hx-post="/login" hx-target="this" hx-swap="outerHTML" novalidate>
      <FormErrorSummary errors={props.errors} message={props.message} />
      <input type="hidden" name="next" value={props.next ?? ''} />
      <TextField label="Email" name="email" type="email" value={props.email} errors={props.errors} required autocomplete="username" />
      <TextField label="Password" name="password" type="password" required autocomplete="current-password" />
      <button type="submit" class="btn btn-primary btn-block">
        Sign in
      </button>
    </form>
  );
}

export function SignInPage(props: { email?: string; next?: string; errors?: FieldErrors; message?: string; notice?: string }) {
  return (
    <AuthLayout title="Sign in">
      <h1>Sign in</h1>
      {props.notice && (
        <div class="alert alert-info" role="status">
          {props.notice}
        </div>
      )}
      <SignInForm {...props} />
      <p class="auth-switch">
        New hosting provider? <a href="/signup">Create your host</a>
      </p>
    </AuthLayout>
  );
}

export function TwoFactorStepPage(props: { errors?: FieldErrors; message?: string }) {
  return (
    <AuthLayout title="Two-factor sign-in">
      <h1>Enter your code</h1>
      <p class="muted">Your password was right. Open your authenticator app for the code.</p>
      <TwoFactorStepForm action="/login/two-factor" errors={props.errors} message={props.message} />
      <p class="auth-switch">
        <a href="/login">Start again</a>
      </p>
    </AuthLayout>
  );
}
