import { h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import { can } from '../../../src/auth/permissions';
import { ALERT_RULE_LIMITS } from '../../../src/alerts/schema';
import type { FieldErrors } from '../../../src/lib/errors';
import { FieldMessages, FormErrorSummary, Toggle } from '../../components/form';
import { SettingsShell } from '../settings';

/** What the form shows: saved rules, or what was posted (as typed) after a refusal. */
export type AlertRulesValues = Record<keyof typeof ALERT_RULE_LIMITS, string> & { email_customer: boolean };

function NumberField(props: { label: string; name: keyof typeof ALERT_RULE_LIMITS; unit: string; values: AlertRulesValues; errors?: FieldErrors; hint?: string }) {
  const [min, max] = ALERT_RULE_LIMITS[props.name];
  const error = props.errors?.[props.name];
  const hint = `${props.hint ? `${props.hint} ` : ''}${min}–${max} ${props.unit}.`;
  return (
    <div class={error ? 'field has-error' : 'field'}>
      <label for={`f-${props.name}`}>{props.label}</label>
      <span class="input-with-unit">
        <input
          id={`f-${props.name}`}
          name={props.name}
          type="number"
          inputmode="numeric"
          min={min}
          max={max}
          step={1}
          required
          value={props.values[props.name]}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={[error ? `${props.name}-error` : null, `${props.name}-hint`].filter(Boolean).join(' ')}
        />
        <span class="input-unit" aria-hidden="true">
          {props.unit}
        </span>
      </span>
      <FieldMessages name={props.name} error={error} hint={hint} />
    </div>
  );
}

export function AlertRulesForm(props: { session: StaffSession; values: AlertRulesValues; errors?: FieldErrors; saved?: boolean }) {
  const editable = can.manageAlertRules(props.session.role);
  const { values, errors } = props;
  return (
    <form id="alert-rules-form" method="post" action="/admin/settings/alerts" hx-post="/admin/settings/alerts" hx-target="this" hx-swap="outerHTML" novalidate>
      {props.saved && (
        <div class="alert alert-success" role="status">
          Alert rules saved. Sites pick them up within a minute.
        </div>
      )}
      {!editable && (
        <div class="alert alert-info" role="status">
          Only an owner or admin can change alert rules.
        </div>
      )}
      <FormErrorSummary errors={errors} />
      <fieldset disabled={!editable}>
        <legend>Offline</legend>
        <NumberField label="Offline after" name="offline_minutes" unit="minutes" values={values} errors={errors} hint="Open an alert when the site's agent reports but not this miner (or the miner reports an error) for this long." />
      </fieldset>
      <fieldset disabled={!editable}>
        <legend>Low hashrate</legend>
        <NumberField label="Below" name="low_hashrate_pct" unit="%" values={values} errors={errors} hint="Of the miner's nominal hashrate." />
        <NumberField label="Sustained for" name="low_hashrate_minutes" unit="minutes" values={values} errors={errors} hint="0 opens the alert at once." />
      </fieldset>
      <fieldset disabled={!editable}>
        <legend>Over temperature</legend>
        <NumberField label="Above" name="over_temp_c" unit="°C" values={values} errors={errors} hint="The hottest board or chip reading." />
        <NumberField label="Sustained for" name="over_temp_minutes" unit="minutes" values={values} errors={errors} hint="0 opens the alert at once." />
      </fieldset>
      <fieldset disabled={!editable}>
        <legend>Notifications</legend>
        <NumberField label="Cooldown" name="cooldown_minutes" unit="minutes" values={values} errors={errors} hint="After an alert closes, the same alert on the same miner does not open again for this long." />
        <Toggle
          label="Email the customer when an alert opens"
          name="email_customer"
          checked={values.email_customer}
          errors={errors}
          hint="Sent to the customer's billing email (else their contact email) for miners assigned to them, once per alert."
        />
        <div class="form-actions">
          <button type="submit" class="btn btn-primary">
            Save alert rules
          </button>
        </div>
      </fieldset>
    </form>
  );
}

export function AlertRulesPage(props: { session: StaffSession; values: AlertRulesValues; errors?: FieldErrors; saved?: boolean }) {
  return (
    <SettingsShell session={props.session} section="alerts" title="Alert rules">
      <p class="muted">
        These rules apply to every site. Alerts are listed under <a href="/admin/alerts">Alerts</a>; customers see the alerts of their own miners in
        their portal.
      </p>
      <AlertRulesForm {...props} />
    </SettingsShell>
  );
}
