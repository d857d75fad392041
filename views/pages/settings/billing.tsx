import { h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import { can } from '../../../src/auth/permissions';
import { currencyOptions } from '../../../src/lib/currencies';
import type { FieldErrors } from '../../../src/lib/errors';
import { TIMEZONES } from '../../../src/lib/timezones';
import { FormErrorSummary, SelectField, TextArea, TextField, Toggle } from '../../components/form';
import { SettingsShell } from '../settings';

/** What the form shows: saved settings, or what was posted (as typed) after a refusal. */
export interface BillingSettingsValues {
  default_currency: string;
  timezone: string;
  default_energy_rate_per_kwh: string;
  net_days: string;
  billing_day: string;
  invoice_prefix: string;
  tax_enabled: boolean;
  tax_label: string;
  tax_rate_percent: string;
  business_address: string;
  remit_to: string;
  invoice_footer: string;
}

const TIMEZONE_OPTIONS = TIMEZONES.map((tz) => [tz, tz] as const);

export function BillingSettingsForm(props: { session: StaffSession; values: BillingSettingsValues; errors?: FieldErrors; saved?: boolean }) {
  const editable = can.manageBilling(props.session.role);
  const { values, errors } = props;
  return (
    <form id="billing-settings-form" method="post" action="/admin/settings/billing" hx-post="/admin/settings/billing" hx-target="this" hx-swap="outerHTML" novalidate>
      {props.saved && (
        <div class="alert alert-success" role="status">
          Billing settings saved.
        </div>
      )}
      {!editable && (
        <div class="alert alert-info" role="status">
          Only an owner or admin can change billing settings.
        </div>
      )}
      <FormErrorSummary errors={errors} />
      <fieldset disabled={!editable}>
        <legend>Money and periods</legend>
        <SelectField label="Default currency" name="default_currency" value={values.default_currency} options={currencyOptions()} errors={errors} hint="Customers bill in this currency unless their record names another." />
        <TextField
          label="Default energy rate per kWh"
          name="default_energy_rate_per_kwh"
          value={values.default_energy_rate_per_kwh}
          errors={errors}
          hint="In the default currency, e.g. 0.065. Sites with a blank rate, and contracts without their own rate, use it."
        />
        <TextField label="Payment terms (net days)" name="net_days" value={values.net_days} errors={errors} required hint="An invoice is due this many days after it is issued." />
        <TextField label="Billing day of the month" name="billing_day" value={values.billing_day} errors={errors} required hint="1–28. A period runs from this day to the day before it next month." />
        <SelectField label="Time zone for periods" name="timezone" value={values.timezone} options={TIMEZONE_OPTIONS} errors={errors} hint="Periods, due dates and invoice dates are days in this zone." />
        <TextField label="Invoice number prefix" name="invoice_prefix" value={values.invoice_prefix} errors={errors} required hint="Numbers read PREFIX-YEAR-0001, one sequence per year, without gaps." />
      </fieldset>
      <fieldset disabled={!editable}>
        <legend>Tax</legend>
        <Toggle label="Charge tax" name="tax_enabled" checked={values.tax_enabled} errors={errors} hint="Added to every customer's invoice unless the customer is marked tax exempt." />
        <TextField label="Tax label" name="tax_label" value={values.tax_label} errors={errors} hint="As printed on the invoice, e.g. Sales tax." />
        <TextField label="Tax rate (%)" name="tax_rate_percent" value={values.tax_rate_percent} errors={errors} hint="Up to two decimals, e.g. 8.25." />
      </fieldset>
      <fieldset disabled={!editable}>
        <legend>Printed on invoices</legend>
        <TextArea label="Your business address" name="business_address" value={values.business_address} errors={errors} maxlength={500} rows={3} />
        <TextArea label="Remit to / payment instructions" name="remit_to" value={values.remit_to} errors={errors} maxlength={2000} rows={4} hint="Bank details, wallet address, or how to pay." />
        <TextArea label="Invoice footer" name="invoice_footer" value={values.invoice_footer} errors={errors} maxlength={1000} rows={2} />
        <div class="form-actions">
          <button type="submit" class="btn btn-primary">
            Save billing settings
          </button>
        </div>
      </fieldset>
    </form>
  );
}

export function BillingSettingsPage(props: { session: StaffSession; values: BillingSettingsValues; errors?: FieldErrors; saved?: boolean }) {
  return (
    <SettingsShell session={props.session} section="billing" title="Billing settings">
      <p class="muted">How invoices are numbered, dated, taxed and printed. Every change is recorded in the activity log.</p>
      <BillingSettingsForm {...props} />
    </SettingsShell>
  );
}
