import { h } from '#jsx';
import { currencyOptions as everyCurrency } from '../../../src/lib/currencies';
import type { FieldErrors } from '../../../src/lib/errors';
import { FormErrorSummary, SelectField, TextArea, TextField, Toggle } from '../../components/form';

/** What the form shows: the stored values, or what was just posted when it failed. */
export interface CustomerFormValues {
  name: string;
  company_name: string;
  contact_email: string;
  billing_email: string;
  phone: string;
  billing_currency: string;
  notes: string;
  active: boolean;
  portal_access: boolean;
}

export const EMPTY_CUSTOMER_FORM: CustomerFormValues = {
  name: '',
  company_name: '',
  contact_email: '',
  billing_email: '',
  phone: '',
  billing_currency: '',
  notes: '',
  active: true,
  portal_access: true,
};

export function currencyOptions(hostDefault: string): ReadonlyArray<readonly [string, string]> {
  return [['', `Host default (${hostDefault})`], ...everyCurrency()];
}

export function CustomerForm(props: {
  action: string;
  values: CustomerFormValues;
  errors?: FieldErrors;
  hostDefaultCurrency: string;
  submitLabel: string;
  cancelHref: string;
}) {
  const { values, errors } = props;
  return (
    <form id="customer-form" class="form-grid" method="post" action={props.action} hx-post={props.action} hx-target="this" hx-swap="outerHTML" novalidate>
      <FormErrorSummary errors={errors} />
      <fieldset>
        <legend>Contact</legend>
        <TextField label="Customer name" name="name" value={values.name} errors={errors} required maxlength={200} />
        <TextField label="Company name" name="company_name" value={values.company_name} errors={errors} maxlength={200} autocomplete="organization" />
        <TextField label="Contact email" name="contact_email" type="email" value={values.contact_email} errors={errors} required />
        <TextField
          label="Billing email"
          name="billing_email"
          type="email"
          value={values.billing_email}
          errors={errors}
          hint="Leave blank to send invoices to the contact email."
        />
        <TextField label="Phone" name="phone" type="tel" value={values.phone} errors={errors} maxlength={40} />
      </fieldset>
      <fieldset>
        <legend>Billing and account</legend>
        <SelectField
          label="Billing currency"
          name="billing_currency"
          value={values.billing_currency}
          errors={errors}
          options={currencyOptions(props.hostDefaultCurrency)}
        />
        <TextArea
          label="Notes"
          name="notes"
          value={values.notes}
          errors={errors}
          maxlength={5000}
          hint="Internal: only your staff see these, never the customer."
        />
        <Toggle label="Active Account" name="active" checked={values.active} errors={errors} hint="Off disables the account: the customer cannot use the portal." />
        <Toggle label="Portal Access" name="portal_access" checked={values.portal_access} errors={errors} hint="Off stops the customer signing in to the portal." />
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
