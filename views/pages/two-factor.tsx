import { Fragment, h } from '#jsx';
import { raw } from 'hono/html';
import type { FieldErrors } from '../../src/lib/errors';
import type { TwoFactorStatus } from '../../src/security/two-factor';
import { REMEMBER_DAYS } from '../../src/security/two-factor';
import { groupKey } from '../../src/security/totp';
import { FormErrorSummary, TextField, Toggle } from '../components/form';
import { Time } from '../components/time';

/**
 * Two-factor sign-in, shared by the staff account page and the portal profile: the bodies only,
 * each caller wraps them in its own layout. `base` is where the forms post (…/two-factor).
 */
export interface TwoFactorManageProps {
  base: string;
  status: TwoFactorStatus;
  timezone: string;
  /** The QR code (SVG from src/security/qr.ts) of the pending key. */
  qrSvg?: string;
  /** Shown once, right after they were made. */
  recoveryCodes?: string[];
  /** The host requires two-factor and this account has none yet. */
  required?: boolean;
  notice?: string;
  confirmErrors?: FieldErrors;
  disableErrors?: FieldErrors;
  recoveryErrors?: FieldErrors;
  /** Where "Done" leads after the recovery codes. */
  doneHref: string;
}

const CODE_HINT = 'The 6-digit code your authenticator app shows now.';

export function TwoFactorManage(props: TwoFactorManageProps) {
  const { status } = props;
  return (
    <>
      {props.required && !status.enabled && (
        <div class="alert alert-warning" role="alert">
          Your organisation requires two-factor sign-in. Set it up to continue.
        </div>
      )}
      {props.notice && (
        <div class="alert alert-success" role="status">
          {props.notice}
        </div>
      )}
      {props.recoveryCodes ? (
        <RecoveryCodesCard codes={props.recoveryCodes} doneHref={props.doneHref} />
      ) : status.enabled ? (
        <EnabledCards {...props} />
      ) : status.pendingSecret ? (
        <SetupCard {...props} secret={status.pendingSecret} />
      ) : (
        <section class="card" aria-labelledby="two-factor-start-title">
          <h2 class="card-title" id="two-factor-start-title">
            Two-factor sign-in is off
          </h2>
          <p>
            With two-factor sign-in, signing in needs your password and a 6-digit code from an authenticator app on your phone (for example Google
            Authenticator, 1Password, Authy or Microsoft Authenticator).
          </p>
          <form method="post" action={`${props.base}/start`}>
            <button type="submit" class="btn btn-primary">
              Set up two-factor sign-in
            </button>
          </form>
        </section>
      )}
    </>
  );
}

function SetupCard(props: TwoFactorManageProps & { secret: string }) {
  return (
    <section class="card" aria-labelledby="two-factor-setup-title">
      <h2 class="card-title" id="two-factor-setup-title">
        Set up two-factor sign-in
      </h2>
      <ol class="steps">
        <li>Open your authenticator app and add an account.</li>
        <li>Scan this QR code, or type the key below.</li>
        <li>Enter the code the app shows.</li>
      </ol>
      <div class="two-factor-setup">
        <div class="qr-frame">{props.qrSvg ? raw(props.qrSvg) : null}</div>
        <div>
          <p class="muted small">Key (time-based, 6 digits, 30 seconds):</p>
          <p>
            <code id="manual-key" class="manual-key">
              {groupKey(props.secret)}
            </code>
          </p>
        </div>
      </div>
      <form method="post" action={`${props.base}/confirm`} novalidate>
        <FormErrorSummary errors={props.confirmErrors} />
        <TextField label="Code from the app" name="code" errors={props.confirmErrors} required autocomplete="one-time-code" hint={CODE_HINT} maxlength={7} />
        <button type="submit" class="btn btn-primary">
          Turn on two-factor sign-in
        </button>
      </form>
      <form method="post" action={`${props.base}/start`} class="inline-form">
        <button type="submit" class="btn btn-link">
          Start over with a new key
        </button>
      </form>
    </section>
  );
}

function RecoveryCodesCard(props: { codes: string[]; doneHref: string }) {
  return (
    <section class="card" aria-labelledby="recovery-codes-title">
      <h2 class="card-title" id="recovery-codes-title">
        Save your recovery codes
      </h2>
      <div class="alert alert-warning" role="status">
        These codes are shown only now. Keep them somewhere safe: each one signs you in once if you lose your phone.
      </div>
      <ol class="recovery-codes">
        {props.codes.map((code) => (
          <li>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <a class="btn btn-primary" href={props.doneHref}>
        I have saved them
      </a>
    </section>
  );
}

function EnabledCards(props: TwoFactorManageProps) {
  const { status } = props;
  return (
    <>
      <section class="card" aria-labelledby="two-factor-on-title">
        <h2 class="card-title" id="two-factor-on-title">
          Two-factor sign-in is on
        </h2>
        <p>
          {status.enabledAt !== null && (
            <>
              Since <Time ms={status.enabledAt} timezone={props.timezone} />.{' '}
            </>
          )}
          Recovery codes left: <strong>{status.recoveryCodesLeft}</strong> of 10.
        </p>
      </section>
      <form class="card" method="post" action={`${props.base}/recovery-codes`} novalidate>
        <h2 class="card-title">Replace recovery codes</h2>
        <p class="muted">The old codes stop working; you see the ten new ones once.</p>
        <FormErrorSummary errors={props.recoveryErrors} />
        <TextField label="Code from the app" name="code" errors={props.recoveryErrors} required autocomplete="one-time-code" hint={CODE_HINT} />
        <button type="submit" class="btn">
          Make new recovery codes
        </button>
      </form>
      <form class="card" method="post" action={`${props.base}/disable`} novalidate>
        <h2 class="card-title">Turn off two-factor sign-in</h2>
        <p class="muted">Your password and a code (or a recovery code) are needed. Your other signed-in browsers are signed out.</p>
        <FormErrorSummary errors={props.disableErrors} />
        <TextField label="Password" name="password" type="password" errors={props.disableErrors} required autocomplete="current-password" />
        <TextField label="Code or recovery code" name="code" errors={props.disableErrors} required autocomplete="one-time-code" />
        <button type="submit" class="btn btn-danger">
          Turn off two-factor sign-in
        </button>
      </form>
    </>
  );
}

/** The second sign-in step (no session yet): a code or a recovery code, and "remember this device". */
export function TwoFactorStepForm(props: { action: string; errors?: FieldErrors; message?: string; remember?: boolean }) {
  return (
    <form id="two-factor-form" method="post" action={props.action} novalidate>
      <FormErrorSummary errors={props.errors} message={props.message} />
      <TextField
        label="Code"
        name="code"
        errors={props.errors}
        required
        autocomplete="one-time-code"
        hint="The 6-digit code from your authenticator app, or one of your recovery codes."
      />
      <Toggle label={`Remember this device for ${REMEMBER_DAYS} days`} name="remember" checked={props.remember ?? false} />
      <button type="submit" class="btn btn-primary btn-block">
        Verify
      </button>
    </form>
  );
}

/** A one-line status for account pages, linking to the management page. */
export function TwoFactorSummaryCard(props: { enabled: boolean; href: string }) {
  return (
    <section class="card" aria-labelledby="two-factor-summary-title">
      <h2 class="card-title" id="two-factor-summary-title">
        Two-factor sign-in
      </h2>
      <p>
        {props.enabled ? 'On: signing in asks for a code from your authenticator app.' : 'Off: your password alone signs you in.'}{' '}
        <a href={props.href}>{props.enabled ? 'Manage two-factor sign-in' : 'Set up two-factor sign-in'}</a>
      </p>
    </section>
  );
}
