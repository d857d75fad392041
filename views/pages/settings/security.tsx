import { h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import type { TwoFactorRequirements } from '../../../src/auth/two-factor-requirement';
import { can } from '../../../src/auth/permissions';
import type { FieldErrors } from '../../../src/lib/errors';
import { FormErrorSummary, Toggle } from '../../components/form';
import { SettingsShell } from '../settings';

/** Settings → Security: whether two-factor sign-in is required of staff and of portal accounts. */
export function SecuritySettingsPage(props: { session: StaffSession; values: TwoFactorRequirements; errors?: FieldErrors; saved?: boolean }) {
  const editable = can.changeCoreSettings(props.session.role);
  return (
    <SettingsShell session={props.session} section="security" title="Security settings">
      <form class="card" method="post" action="/admin/settings/security" novalidate>
        <h2 class="card-title">Two-factor sign-in</h2>
        {props.saved && (
          <div class="alert alert-success" role="status">
            Security settings saved.
          </div>
        )}
        {!editable && (
          <div class="alert alert-info" role="status">
            Only the owner can change these settings.
          </div>
        )}
        <FormErrorSummary errors={props.errors} />
        <fieldset disabled={!editable} class="bare">
          <Toggle
            label="Require two-factor sign-in for every staff member"
            name="require_staff"
            checked={props.values.staff}
            errors={props.errors}
            hint="Members without it can open only its set-up page until they turn it on. Turn it on for your own account first."
          />
          <Toggle
            label="Require two-factor sign-in for customers' portal accounts"
            name="require_portal"
            checked={props.values.portal}
            errors={props.errors}
            hint="Portal accounts without it are asked to set it up right after signing in."
          />
          <button type="submit" class="btn btn-primary">
            Save
          </button>
        </fieldset>
      </form>
    </SettingsShell>
  );
}
