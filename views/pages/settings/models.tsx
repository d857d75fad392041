import { Fragment, h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import type { HostModel } from '../../../src/equipment/power-data';
import { MODEL_CATALOGUE } from '../../../src/equipment/models';
import type { FieldErrors } from '../../../src/lib/errors';
import { formatCount, formatHashrate, formatPower } from '../../../src/lib/format';
import { ConfirmAction } from '../../components/confirm';
import { EmptyState, FormErrorSummary, TextField } from '../../components/form';
import { TableWrap } from '../../components/table';
import { SettingsShell } from '../settings';

export interface HostModelValues {
  name: string;
  nominal_hashrate_ths: string;
  nominal_power_w: string;
}

export const hostModelValues = (m: HostModel): HostModelValues => ({
  name: m.name,
  nominal_hashrate_ths: String(m.nominalHashrateMths / 1000),
  nominal_power_w: String(m.nominalPowerW),
});

/** Add or edit one of the host's own models. */
export function HostModelForm(props: { action: string; values: HostModelValues; errors?: FieldErrors; submitLabel: string }) {
  const { values, errors } = props;
  return (
    <form id="host-model-form" method="post" action={props.action} novalidate>
      <FormErrorSummary errors={errors} />
      <TextField
        label="Model name"
        name="name"
        value={values.name}
        errors={errors}
        required
        maxlength={100}
        hint="As the miner reports it, e.g. Antminer S19j Pro+ or M30S++. Matching ignores case, spaces, the vendor's name and hardware revisions."
      />
      <TextField label="Nominal hashrate (TH/s)" name="nominal_hashrate_ths" value={values.nominal_hashrate_ths} errors={errors} required hint="Up to three decimals, e.g. 104.5." />
      <TextField label="Nominal power (W)" name="nominal_power_w" value={values.nominal_power_w} errors={errors} required hint="Whole watts at the wall, e.g. 3068." />
      <button type="submit" class="btn btn-primary">
        {props.submitLabel}
      </button>
    </form>
  );
}

export function ModelsPage(props: {
  session: StaffSession;
  models: HostModel[];
  values?: HostModelValues;
  errors?: FieldErrors;
  notice?: string;
}) {
  return (
    <SettingsShell session={props.session} section="models" title="Models">
      {props.notice && (
        <div class="alert alert-success" role="status">
          {props.notice}
        </div>
      )}
      <section aria-labelledby="own-models">
        <h2 id="own-models">Your models</h2>
        <p class="hint">
          A unit reported, added or imported without nominal specs takes them from here first, then from the built-in catalogue below. Your entries win over the
          catalogue. Changing a model does not change units that already have specs: edit those units.
        </p>
        {props.models.length === 0 ? (
          <EmptyState title="No models of your own">Add one when the catalogue lacks a model you run, or its figures differ from your units'.</EmptyState>
        ) : (
          <TableWrap label="Your models">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col" class="num">
                    Hashrate
                  </th>
                  <th scope="col" class="num">
                    Power
                  </th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {props.models.map((m) => (
                  <tr>
                    <th scope="row">{m.name}</th>
                    <td class="num">{formatHashrate(m.nominalHashrateMths / 1000)}</td>
                    <td class="num">{formatPower(m.nominalPowerW)}</td>
                    <td class="actions">
                      <a class="btn btn-small" href={`/admin/settings/models/${m.id}/edit`}>
                        Edit<span class="visually-hidden"> {m.name}</span>
                      </a>
                      <ConfirmAction
                        action={`/admin/settings/models/${m.id}/delete`}
                        label="Delete"
                        small
                        consequence={<>Units matched from now on use the catalogue's figures for this model (units keep the specs they have).</>}
                        confirmLabel={`Delete ${m.name}`}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        <h3>Add a model</h3>
        <HostModelForm action="/admin/settings/models" values={props.values ?? { name: '', nominal_hashrate_ths: '', nominal_power_w: '' }} errors={props.errors} submitLabel="Add model" />
      </section>
      <section aria-labelledby="catalogue">
        <h2 id="catalogue">Built-in catalogue</h2>
        <p class="hint">
          {formatCount(MODEL_CATALOGUE.length)} models with the manufacturers' published nominal figures (stock firmware, default mode). A hashrate variant in the
          reported name (AvalonMiner 1246-83) takes that hashrate, and power at the model's efficiency.
        </p>
        <TableWrap label="Built-in catalogue">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Cooling</th>
                <th scope="col" class="num">
                  Hashrate
                </th>
                <th scope="col" class="num">
                  Power
                </th>
                <th scope="col">Source</th>
              </tr>
            </thead>
            <tbody>
              {MODEL_CATALOGUE.map((m) => (
                <tr>
                  <th scope="row">{m.name}</th>
                  <td>{m.cooling}</td>
                  <td class="num">{formatHashrate(m.ths)}</td>
                  <td class="num">{formatPower(m.watts)}</td>
                  <td>
                    <a href={m.source} rel="noopener noreferrer">
                      {m.vendor}
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </section>
    </SettingsShell>
  );
}

export function EditModelPage(props: { session: StaffSession; model: HostModel; values: HostModelValues; errors?: FieldErrors }) {
  return (
    <SettingsShell session={props.session} section="models" title={`Edit ${props.model.name}`}>
      <h2>Edit {props.model.name}</h2>
      <HostModelForm action={`/admin/settings/models/${props.model.id}`} values={props.values} errors={props.errors} submitLabel="Save model" />
      <p>
        <a href="/admin/settings/models">Back to models</a>
      </p>
    </SettingsShell>
  );
}
