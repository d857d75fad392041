import { h } from '#jsx';
import type { FieldErrors } from '../../../src/lib/errors';
import { FieldMessages, FormErrorSummary, SelectField, TextArea, TextField, Toggle } from '../../components/form';

export type ContractFormValues = Record<string, string>;

export const EMPTY_CONTRACT_FORM: ContractFormValues = {
  kind: 'hosted',
  name: '',
  start_date: '',
  term_months: '12',
  end_date: '',
  auto_renew: '',
  renewal_notice_days: '30',
  pricing: 'per_kwh',
  kwh_source: 'metered',
  energy_rate_per_kwh: '',
  efficiency_j_per_th: '',
  monthly_fee: '',
  infinity_ths: '',
  price_per_th_day: '',
  setup_fee: '',
  deposit: '',
  notes: '',
};

/** A date input with the same label, hint and error wiring as TextField. */
function DateField(props: { label: string; name: string; value: string; errors?: FieldErrors; required?: boolean; hint?: string }) {
  const error = props.errors?.[props.name];
  const described = [error ? `${props.name}-error` : null, props.hint ? `${props.name}-hint` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div class={error ? 'field has-error' : 'field'}>
      <label for={`f-${props.name}`}>
        {props.label}
        {props.required ? <span class="required"> (required)</span> : <span class="optional"> (optional)</span>}
      </label>
      <input
        id={`f-${props.name}`}
        name={props.name}
        type="date"
        value={props.value}
        required={props.required}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={described}
      />
      <FieldMessages name={props.name} error={error} hint={props.hint} />
    </div>
  );
}

/**
 * Step 1 of New Contract: type and terms. Without JavaScript every field shows; each group says
 * which type it is for, and the service ignores (stores null for) fields that do not apply.
 */
export function ContractTermsForm(props: {
  action: string;
  values: ContractFormValues;
  currency: string;
  errors?: FieldErrors;
  /** An existing draft keeps its type editable; changing it clears the chosen equipment. */
  editing?: boolean;
  cancelHref: string;
}) {
  const v = props.values;
  const e = props.errors;
  return (
    <form method="post" action={props.action} class="contract-form" id="contract-form" hx-post={props.action} hx-target="this" hx-swap="outerHTML" novalidate>
      <FormErrorSummary errors={e} />
      <ol class="steps" aria-label="New contract steps">
        <li aria-current="step">1. Type and terms</li>
        <li>2. Assign equipment</li>
      </ol>
      <fieldset>
        <legend>Contract</legend>
        <SelectField
          label="Type"
          name="kind"
          value={v.kind}
          errors={e}
          required
          options={[
            ['hosted', 'Hosted — the customer’s own units'],
            ['lease', 'Lease — your units, a monthly fee per unit'],
            ['infinity', 'Infinity — TH/s at a price per TH per day'],
            ['om', 'O&M — operations and maintenance of sites'],
          ]}
          hint={props.editing ? 'Changing the type of a draft clears the units or sites chosen for it.' : undefined}
        />
        <TextField label="Contract name" name="name" value={v.name} errors={e} required maxlength={200} placeholder="e.g. 2027 hosting, Row A" />
        <p class="muted small">
          Currency: <strong>{props.currency}</strong> (the customer’s billing currency; every amount below is in it).
        </p>
      </fieldset>
      <fieldset>
        <legend>Term</legend>
        <DateField label="Start date" name="start_date" value={v.start_date ?? ''} errors={e} required />
        <TextField label="Term (months)" name="term_months" value={v.term_months} errors={e} required hint="1 to 120 months." />
        <DateField label="End date" name="end_date" value={v.end_date ?? ''} errors={e} hint="Leave blank to end the day before start + term (the last day covered)." />
        <Toggle label="Auto-renew for another term at the end" name="auto_renew" checked={v.auto_renew === 'on'} errors={e} />
        <TextField label="Renewal notice (days)" name="renewal_notice_days" value={v.renewal_notice_days} errors={e} hint="How many days before the end either side must give notice." />
      </fieldset>
      <fieldset>
        <legend>Hosted pricing (hosted contracts)</legend>
        <SelectField
          label="Pricing"
          name="pricing"
          value={v.pricing}
          errors={e}
          options={[
            ['per_kwh', 'Per kWh'],
            ['fixed_per_unit', 'Fixed monthly fee per unit'],
          ]}
        />
        <SelectField
          label="kWh source (per kWh)"
          name="kwh_source"
          value={v.kwh_source}
          errors={e}
          options={[
            ['metered', 'Metered — PDU or miner-reported power'],
            ['spec', 'Spec — nominal power × hours mining'],
            ['hashrate', 'Hashrate — J/TH × TH delivered'],
          ]}
        />
        <TextField
          label={`Energy rate (${props.currency} per kWh)`}
          name="energy_rate_per_kwh"
          value={v.energy_rate_per_kwh}
          errors={e}
          hint="Leave blank to use each unit’s site rate (or your default rate)."
        />
        <TextField label="Efficiency (J/TH, hashrate source)" name="efficiency_j_per_th" value={v.efficiency_j_per_th} errors={e} placeholder="e.g. 21.5" />
      </fieldset>
      <fieldset>
        <legend>Monthly fee (hosted fixed, lease, O&amp;M)</legend>
        <TextField
          label={`Monthly fee (${props.currency})`}
          name="monthly_fee"
          value={v.monthly_fee}
          errors={e}
          hint="Per unit per month for hosted fixed-fee and lease contracts; per month in all for O&M."
        />
      </fieldset>
      <fieldset>
        <legend>Infinity (hashrate contracts)</legend>
        <TextField label="Hashrate bought (TH/s)" name="infinity_ths" value={v.infinity_ths} errors={e} placeholder="e.g. 250" />
        <TextField label={`Price (${props.currency} per TH/s per day)`} name="price_per_th_day" value={v.price_per_th_day} errors={e} placeholder="e.g. 0.055" />
      </fieldset>
      <fieldset>
        <legend>Fees and notes</legend>
        <TextField label={`Setup fee (${props.currency})`} name="setup_fee" value={v.setup_fee} errors={e} />
        <TextField label={`Deposit (${props.currency})`} name="deposit" value={v.deposit} errors={e} />
        <TextArea label="Notes" name="notes" value={v.notes} errors={e} maxlength={2000} />
      </fieldset>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" name="intent" value="next">
          Next: Assign Equipment
        </button>
        <button type="submit" class="btn" name="intent" value="draft">
          Save draft
        </button>
        <a class="btn" href={props.cancelHref}>
          Cancel
        </a>
      </div>
      <p class="muted small">Infinity contracts have no equipment step: Next completes their setup and activates them.</p>
    </form>
  );
}
