import { h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import { MINER_STATUS_LABELS, SETTABLE_STATUSES } from '../../../src/equipment/schema';
import type { FieldErrors } from '../../../src/lib/errors';
import { FormErrorSummary, SelectField, TextField } from '../../components/form';
import { AdminLayout, PageHeader } from '../../layouts/admin';

export interface MinerFormValues {
  serial: string;
  mac: string;
  ip: string;
  vendor: string;
  model: string;
  firmware: string;
  nominal_hashrate_ths: string;
  nominal_power_w: string;
  site_id: string;
  rack_location: string;
  status: string;
}

export const EMPTY_MINER_FORM: MinerFormValues = {
  serial: '',
  mac: '',
  ip: '',
  vendor: '',
  model: '',
  firmware: '',
  nominal_hashrate_ths: '',
  nominal_power_w: '',
  site_id: '',
  rack_location: '',
  status: 'staged',
};

export function MinerForm(props: {
  action: string;
  values: MinerFormValues;
  errors?: FieldErrors;
  sites: { id: string; name: string }[];
  /** Set for an assigned unit: its status changes only through unassigning. */
  assignedTo?: { id: string; name: string } | null;
  submitLabel: string;
  cancelHref: string;
}) {
  const { values, errors } = props;
  return (
    <form id="miner-form" class="form-grid" method="post" action={props.action} hx-post={props.action} hx-target="this" hx-swap="outerHTML" novalidate>
      <FormErrorSummary errors={errors} />
      <fieldset>
        <legend>Identity</legend>
        <TextField label="Serial number" name="serial" value={values.serial} errors={errors} maxlength={64} hint="A serial number or a MAC address is required." />
        <TextField label="MAC address" name="mac" value={values.mac} errors={errors} placeholder="a0:b1:c2:d3:e4:f5" hint="How the agent recognises the unit." />
        <TextField label="IP address" name="ip" value={values.ip} errors={errors} placeholder="10.0.1.15" />
        <TextField label="Vendor" name="vendor" value={values.vendor} errors={errors} maxlength={64} placeholder="Bitmain" />
        <TextField label="Model" name="model" value={values.model} errors={errors} maxlength={96} placeholder="Antminer S19j Pro" />
        <TextField label="Firmware" name="firmware" value={values.firmware} errors={errors} maxlength={128} />
      </fieldset>
      <fieldset>
        <legend>Specification and placement</legend>
        <TextField label="Nominal hashrate (TH/s)" name="nominal_hashrate_ths" value={values.nominal_hashrate_ths} errors={errors} placeholder="104" hint="Up to three decimals, like 98.5." />
        <TextField label="Nominal power (W)" name="nominal_power_w" value={values.nominal_power_w} errors={errors} placeholder="3068" />
        <SelectField label="Site" name="site_id" value={values.site_id} errors={errors} options={[['', 'No site'], ...props.sites.map((site) => [site.id, site.name] as const)]} />
        <TextField label="Rack location" name="rack_location" value={values.rack_location} errors={errors} maxlength={100} placeholder="Row A / Rack 3 / Shelf 2" />
        {props.assignedTo ? (
          <div class="field">
            <span class="field-label">Status</span>
            <p>
              Assigned to <a href={`/admin/customers/${props.assignedTo.id}/equipment`}>{props.assignedTo.name}</a>.{' '}
              <span class="muted small">Unassign it from the customer’s Equipment tab to change its status.</span>
            </p>
          </div>
        ) : (
          <SelectField
            label="Status"
            name="status"
            value={values.status}
            errors={errors}
            options={SETTABLE_STATUSES.map((status) => [status, MINER_STATUS_LABELS[status]] as const)}
            hint="Staged: racked, not yet ready. Unassigned: ready for a customer. Retired: out of service. Assign units from a customer’s Equipment tab."
          />
        )}
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

export function MinerFormPage(props: {
  session: StaffSession;
  title: string;
  action: string;
  cancelHref: string;
  submitLabel: string;
  values: MinerFormValues;
  sites: { id: string; name: string }[];
  assignedTo?: { id: string; name: string } | null;
  errors?: FieldErrors;
}) {
  const { session, title, ...form } = props;
  return (
    <AdminLayout session={session} title={title} area="equipment">
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/admin/equipment">Equipment</a> / <span>{title}</span>
      </nav>
      <PageHeader title={title} />
      <MinerForm {...form} />
    </AdminLayout>
  );
}
