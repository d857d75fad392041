import { h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import type { FieldErrors } from '../../../src/lib/errors';
import { TIMEZONES } from '../../../src/lib/timezones';
import { FormErrorSummary, SelectField, TextField } from '../../components/form';
import { AdminLayout, PageHeader } from '../../layouts/admin';

/** What the site form shows: the stored values, or what was just posted when it failed. */
export interface SiteFormValues {
  name: string;
  city: string;
  region: string;
  country: string;
  timezone: string;
  capacity_kw: string;
  energy_cost_per_kwh: string;
  staged_cap: string;
}

export const emptySiteForm = (timezone: string): SiteFormValues => ({
  name: '',
  city: '',
  region: '',
  country: '',
  timezone,
  capacity_kw: '',
  energy_cost_per_kwh: '',
  staged_cap: '',
});

export function SiteForm(props: { action: string; values: SiteFormValues; errors?: FieldErrors; currency: string; submitLabel: string; cancelHref: string }) {
  const { values, errors } = props;
  return (
    <form id="site-form" class="form-grid" method="post" action={props.action} hx-post={props.action} hx-target="this" hx-swap="outerHTML" novalidate>
      <FormErrorSummary errors={errors} />
      <fieldset>
        <legend>Site</legend>
        <TextField label="Site name" name="name" value={values.name} errors={errors} required maxlength={200} />
        <TextField label="City" name="city" value={values.city} errors={errors} maxlength={100} hint="City, state/region and country are shown to customers." />
        <TextField label="State / region" name="region" value={values.region} errors={errors} maxlength={100} />
        <TextField label="Country" name="country" value={values.country} errors={errors} maxlength={100} autocomplete="country-name" />
        <SelectField label="Timezone" name="timezone" value={values.timezone} errors={errors} options={TIMEZONES.map((zone) => [zone, zone] as const)} />
      </fieldset>
      <fieldset>
        <legend>Power</legend>
        <TextField label="Capacity (kW)" name="capacity_kw" value={values.capacity_kw} errors={errors} hint="A whole number of kilowatts." pattern="[0-9]*" />
        <TextField
          label={`Energy cost per kWh (${props.currency})`}
          name="energy_cost_per_kwh"
          value={values.energy_cost_per_kwh}
          errors={errors}
          placeholder="Host default"
          hint={`In ${props.currency}, like 0.045. Stored to the millionth (0.0000005 and up rounds up). Leave blank to use the host default.`}
        />
      </fieldset>
      <fieldset>
        <legend>Agent</legend>
        <TextField
          label="Staging cap (units)"
          name="staged_cap"
          value={values.staged_cap}
          errors={errors}
          placeholder="Default"
          pattern="[0-9]*"
          hint="The most units the agent may add as staged before staff confirm them. Leave blank for twice the site’s units (at least 5,000)."
        />
      </fieldset>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary">
          {props.submitLabel}
        </button>
        <a class="btn" href={props.cancelHref}>
          Cancel
        </a>
      </div>
    </form>
  );
}

export function SiteFormPage(props: {
  session: StaffSession;
  title: string;
  action: string;
  cancelHref: string;
  submitLabel: string;
  values: SiteFormValues;
  errors?: FieldErrors;
}) {
  return (
    <AdminLayout session={props.session} title={props.title} area="sites">
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/admin/sites">Sites</a> / <span>{props.title}</span>
      </nav>
      <PageHeader title={props.title} />
      <SiteForm
        action={props.action}
        values={props.values}
        errors={props.errors}
        currency={props.session.host.defaultCurrency}
        submitLabel={props.submitLabel}
        cancelHref={props.cancelHref}
      />
    </AdminLayout>
  );
}
