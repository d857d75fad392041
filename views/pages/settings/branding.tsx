import { h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import { can } from '../../../src/auth/permissions';
import type { FieldErrors } from '../../../src/lib/errors';
import { ConfirmAction } from '../../components/confirm';
import { FieldMessages, FormErrorSummary, TextField } from '../../components/form';
import { brandContrastWarnings, isHexColor } from '../../../src/lib/color';
import { SettingsShell } from '../settings';

/**
 * Colours that fail WCAG AA contrast, said in words (src/lib/color.ts). Rendered for the values
 * on the page; /js/brand-preview.js rewrites it live as the host picks colours (same rules).
 */
function ContrastWarnings(props: { primary: string; accent: string }) {
  const warnings = isHexColor(props.primary) && isHexColor(props.accent) ? brandContrastWarnings(props.primary.toLowerCase(), props.accent.toLowerCase()) : [];
  return (
    <div class="contrast-warnings" id="brand-contrast-warnings" role="status" aria-live="polite" data-testid="contrast-warnings">
      {warnings.map((text) => (
        <p class="alert alert-warning">{text}</p>
      ))}
    </div>
  );
}

export interface BrandingValues {
  slogan: string;
  primary_color: string;
  accent_color: string;
}

function ColorField(props: { label: string; name: string; value: string; errors?: FieldErrors }) {
  const error = props.errors?.[props.name];
  return (
    <div class={error ? 'field color-field has-error' : 'field color-field'}>
      <label for={`f-${props.name}`}>{props.label}</label>
      <div class="color-input">
        <input
          id={`f-${props.name}`}
          name={props.name}
          type="color"
          value={props.value}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={error ? `${props.name}-error` : undefined}
        />
        <code id={`${props.name}-value`} data-color-value={props.name}>
          {props.value}
        </code>
      </div>
      <FieldMessages name={props.name} error={error} />
    </div>
  );
}

/**
 * Settings → Branding. The preview is plain markup: /js/brand-preview.js (no inline script or
 * style: the CSP forbids both) copies the form's values into it as they change, through CSS
 * custom properties set with element.style.setProperty and an object URL for a chosen logo.
 */
export function BrandingPage(props: {
  session: StaffSession;
  hostName: string;
  values: BrandingValues;
  /** URL of the saved logo (admin route), or null. */
  logoUrl: string | null;
  defaults: { primary: string; accent: string };
  errors?: FieldErrors;
  notice?: string;
}) {
  const { session, values, errors } = props;
  const editable = can.manageBranding(session.role);
  const logoError = errors?.logo;
  return (
    <SettingsShell session={session} section="branding" title="Branding">
      <p class="muted">Your customers see your logo, name, slogan and colours on their portal sign-in page, in the portal and in emails.</p>
      {props.notice && (
        <div class="alert alert-success" role="status">
          {props.notice}
        </div>
      )}
      {!editable && (
        <div class="alert alert-info" role="status">
          Only owners and admins can change the branding.
        </div>
      )}
      <div class="branding-layout">
        <div class="branding-form">
          <form id="branding-form" method="post" action="/admin/settings/branding" enctype="multipart/form-data" novalidate>
            <FormErrorSummary errors={errors} />
            <fieldset disabled={!editable}>
              <div class={logoError ? 'field has-error' : 'field'}>
                <label for="f-logo">
                  Logo <span class="optional"> (optional)</span>
                </label>
                <input
                  id="f-logo"
                  name="logo"
                  type="file"
                  accept="image/png,image/jpeg,image/webp"
                  aria-invalid={logoError ? 'true' : undefined}
                  aria-describedby={logoError ? 'logo-error logo-hint' : 'logo-hint'}
                />
                <FieldMessages
                  name="logo"
                  error={logoError}
                  hint={`Square, from 200×200 to 4096×4096 pixels, at most 2 MB; PNG, JPEG or WebP.${props.logoUrl ? ' Leave empty to keep the current logo.' : ''}`}
                />
              </div>
              <TextField label="Slogan" name="slogan" value={values.slogan} errors={errors} maxlength={150} hint="Up to 150 characters, shown under your name." />
              <ColorField label="Primary colour" name="primary_color" value={values.primary_color} errors={errors} />
              <ColorField label="Accent colour" name="accent_color" value={values.accent_color} errors={errors} />
              <ContrastWarnings primary={values.primary_color || props.defaults.primary} accent={values.accent_color || props.defaults.accent} />
              <div class="form-actions">
                <button type="submit" class="btn btn-primary">
                  Save branding
                </button>
              </div>
            </fieldset>
          </form>
          {editable && props.logoUrl && (
            <ConfirmAction
              action="/admin/settings/branding/logo/remove"
              formClass="remove-logo-form"
              label="Remove logo"
              consequence="Your portal shows your name instead until you upload another logo."
              confirmLabel="Remove logo"
            />
          )}
        </div>
        <section
          class="brand-preview"
          id="brand-preview"
          aria-labelledby="brand-preview-title"
          data-default-primary={props.defaults.primary}
          data-default-accent={props.defaults.accent}
          data-saved-logo={props.logoUrl ?? ''}
        >
          <h2 class="card-title" id="brand-preview-title">
            Preview <span class="muted small">(updates as you edit; nothing is saved until you press Save)</span>
          </h2>
          <p class="field-error" id="brand-preview-warning" role="status" hidden></p>
          <div class="brand-preview-card" data-testid="brand-preview-card">
            <div class="brand-preview-logo">
              <img id="brand-preview-logo" src={props.logoUrl ?? undefined} alt={`${props.hostName} logo`} hidden={!props.logoUrl} />
              <span id="brand-preview-initial" class="brand-preview-initial" aria-hidden="true" hidden={Boolean(props.logoUrl)}>
                {props.hostName.slice(0, 1).toUpperCase()}
              </span>
            </div>
            <p class="brand-preview-name">{props.hostName}</p>
            <p class="brand-preview-slogan" id="brand-preview-slogan" hidden={!values.slogan}>
              {values.slogan}
            </p>
            <p class="brand-preview-heading">Sign in to your portal</p>
            <span class="brand-preview-label">Email</span>
            <span class="brand-preview-input" aria-hidden="true"></span>
            <span class="brand-preview-label">Password</span>
            <span class="brand-preview-input" aria-hidden="true"></span>
            <span class="brand-preview-button">Sign in</span>
            <span class="brand-preview-link">Forgot your password?</span>
          </div>
        </section>
      </div>
      <script src="/js/brand-preview.js" defer></script>
    </SettingsShell>
  );
}
