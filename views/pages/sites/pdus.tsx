import { Fragment, h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import type { FieldErrors } from '../../../src/lib/errors';
import { formatCount, formatPower } from '../../../src/lib/format';
import {
  MAX_MAPPING_ROWS,
  PDU_FAMILY_LABELS,
  V3_AUTH_PROTOCOLS,
  V3_LEVELS,
  V3_PRIV_PROTOCOLS,
  type PduDetail,
  type PduFormValues,
  type PduSummary,
} from '../../../src/pdu/service';
import type { SiteDetail } from '../../../src/sites/service';
import type { LiveMiner } from '../../../src/telemetry/types';
import { ConfirmAction } from '../../components/confirm';
import { Card, EmptyState, FormErrorSummary, SelectField, TextArea, TextField } from '../../components/form';
import { TableWrap } from '../../components/table';
import { Time } from '../../components/time';
import { AdminLayout, PageHeader } from '../../layouts/admin';

const FAMILY_OPTIONS = Object.entries(PDU_FAMILY_LABELS);
const LEVEL_LABELS: Record<(typeof V3_LEVELS)[number], string> = {
  authPriv: 'Authentication and privacy (authPriv)',
  authNoPriv: 'Authentication only (authNoPriv)',
  noAuthNoPriv: 'Neither (noAuthNoPriv)',
};

/**
 * Add or edit a PDU. Secrets are never rendered back (not even after an error): on edit, blank
 * keeps the stored ones.
 */
export function PduForm(props: { action: string; values: PduFormValues; errors?: FieldErrors; submitLabel: string; editing?: boolean }) {
  const { values, errors } = props;
  const keepHint = props.editing ? ' Leave blank to keep the stored one.' : '';
  return (
    <form id="pdu-form" method="post" action={props.action} novalidate>
      <FormErrorSummary errors={errors} />
      <TextField label="Name" name="name" value={values.name} errors={errors} required maxlength={100} hint="As staff call it, e.g. Row 3 PDU A." />
      <TextField label="IP address" name="address" value={values.address} errors={errors} required maxlength={15} hint="The PDU’s IPv4 address on the facility network." />
      <TextField label="SNMP port" name="port" value={values.port} errors={errors} maxlength={5} hint="161 unless the PDU was set up otherwise." />
      <SelectField label="Family" name="family" value={values.family} errors={errors} options={FAMILY_OPTIONS} required hint="Which MIB the agent reads." />
      <SelectField
        label="SNMP version"
        name="snmp_version"
        value={values.snmp_version}
        errors={errors}
        options={[
          ['2c', 'v2c (community)'],
          ['3', 'v3 (user, authentication, privacy)'],
        ]}
        required
      />
      <fieldset>
        <legend>SNMP v2c</legend>
        <TextField label="Community" name="community" type="password" value="" errors={errors} maxlength={128} autocomplete="off" hint={`A read-only community is enough.${keepHint}`} />
      </fieldset>
      <fieldset>
        <legend>SNMP v3</legend>
        <TextField label="User name" name="v3_user" value={values.v3_user} errors={errors} maxlength={64} autocomplete="off" />
        <SelectField label="Security level" name="v3_level" value={values.v3_level} errors={errors} options={V3_LEVELS.map((l) => [l, LEVEL_LABELS[l]] as const)} />
        <SelectField label="Authentication protocol" name="v3_auth_protocol" value={values.v3_auth_protocol} errors={errors} options={V3_AUTH_PROTOCOLS.map((p) => [p, p.toUpperCase()] as const)} />
        <TextField
          label="Authentication passphrase"
          name="v3_auth_key"
          type="password"
          value=""
          errors={errors}
          maxlength={128}
          autocomplete="off"
          hint={`8 characters or more.${keepHint}`}
        />
        <SelectField label="Privacy protocol" name="v3_priv_protocol" value={values.v3_priv_protocol} errors={errors} options={V3_PRIV_PROTOCOLS.map((p) => [p, p.toUpperCase()] as const)} />
        <TextField label="Privacy passphrase" name="v3_priv_key" type="password" value="" errors={errors} maxlength={128} autocomplete="off" hint={`8 characters or more.${keepHint}`} />
      </fieldset>
      <p class="hint">Credentials are stored encrypted and sent only to this site’s agent.</p>
      <button type="submit" class="btn btn-primary">
        {props.submitLabel}
      </button>
    </form>
  );
}

function Breadcrumbs(props: { site: SiteDetail; pdu?: PduDetail }) {
  return (
    <nav class="breadcrumbs" aria-label="Breadcrumb">
      <a href="/admin/sites">Sites</a> / <a href={`/admin/sites/${props.site.id}`}>{props.site.name}</a> /{' '}
      {props.pdu ? (
        <>
          <a href={`/admin/sites/${props.site.id}/pdus`}>PDUs</a> / <span>{props.pdu.name}</span>
        </>
      ) : (
        <span>PDUs</span>
      )}
    </nav>
  );
}

const LIST_NOTICES: Record<string, string> = { removed: 'PDU removed.' };

export function PdusPage(props: { session: StaffSession; site: SiteDetail; pdus: PduSummary[]; values: PduFormValues; errors?: FieldErrors; notice?: string }) {
  const { site } = props;
  const notice = props.notice ? LIST_NOTICES[props.notice] : undefined;
  return (
    <AdminLayout session={props.session} title={`PDUs · ${site.name}`} area="sites">
      <Breadcrumbs site={site} />
      <PageHeader title="PDUs" subtitle={site.name} />
      {notice && (
        <div class="alert alert-success" role="status">
          {notice}
        </div>
      )}
      <p class="hint">
        The site’s agent reads metered PDUs over SNMP: each mapped outlet’s power and energy counter. Energy from a PDU counter is billed before the miner’s own
        power figure, and that before the model’s nominal power.
      </p>
      {props.pdus.length === 0 ? (
        <EmptyState title="No PDUs yet">Add a PDU below, then map its outlets to units.</EmptyState>
      ) : (
        <TableWrap label="PDUs">
          <table class="table" data-testid="pdus">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Address</th>
                <th scope="col">Family</th>
                <th scope="col">SNMP</th>
                <th scope="col" class="num">
                  Outlets mapped
                </th>
              </tr>
            </thead>
            <tbody>
              {props.pdus.map((p) => (
                <tr>
                  <th scope="row">
                    <a href={`/admin/sites/${site.id}/pdus/${p.id}`}>{p.name}</a>
                  </th>
                  <td>
                    {p.address}:{p.port}
                  </td>
                  <td>{PDU_FAMILY_LABELS[p.family]}</td>
                  <td>v{p.snmpVersion}</td>
                  <td class="num">{formatCount(p.outlets)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <section class="card" aria-labelledby="add-pdu">
        <h2 class="card-title" id="add-pdu">
          Add a PDU
        </h2>
        <PduForm action={`/admin/sites/${site.id}/pdus`} values={props.values} errors={props.errors} submitLabel="Add PDU" />
      </section>
    </AdminLayout>
  );
}

const DETAIL_NOTICES: Record<string, string> = {
  added: 'PDU added: map its outlets to units below.',
  saved: 'PDU saved.',
  mapped: 'Outlet mapped.',
  unmapped: 'Outlet mapping removed.',
};

/** Live power per mapped outlet (the unit's last sample), re-fetched every 30 seconds. */
export function OutletLiveTable(props: { site: SiteDetail; pdu: PduDetail; live: Map<string, LiveMiner>; timezone: string }) {
  const { pdu } = props;
  return (
    <div id="pdu-outlets-live" hx-get={`/admin/sites/${props.site.id}/pdus/${pdu.id}/live`} hx-trigger="every 30s" hx-swap="outerHTML">
      <TableWrap label="Live power per outlet">
        <table class="table table-compact" data-testid="pdu-live">
          <thead>
            <tr>
              <th scope="col">Outlet</th>
              <th scope="col">Unit</th>
              <th scope="col" class="num">
                Power
              </th>
              <th scope="col">Measured by</th>
              <th scope="col">Last sample</th>
            </tr>
          </thead>
          <tbody>
            {pdu.mapping.map((m) => {
              const live = props.live.get(m.minerId);
              return (
                <tr>
                  <th scope="row">{m.outlet}</th>
                  <td>
                    <a href={`/admin/equipment/${m.minerId}`}>{m.unit}</a>
                  </td>
                  <td class="num">{live?.powerW !== null && live?.powerW !== undefined ? formatPower(live.powerW) : <span class="muted">—</span>}</td>
                  <td>{live?.powerSource === 'pdu' ? 'PDU outlet' : live?.powerSource === 'miner' ? <span class="muted">Miner (no PDU reading)</span> : <span class="muted">—</span>}</td>
                  <td>{live?.lastSeenAt ? <Time ms={live.lastSeenAt} timezone={props.timezone} /> : <span class="muted">Never</span>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableWrap>
    </div>
  );
}

export function PduDetailPage(props: {
  session: StaffSession;
  site: SiteDetail;
  pdu: PduDetail;
  live: Map<string, LiveMiner>;
  values: PduFormValues;
  errors?: FieldErrors;
  mapForm?: { values: { outlet: string; unit: string }; errors: FieldErrors };
  importForm?: { csv: string; errors: FieldErrors };
  notice?: string;
  imported?: number;
}) {
  const { site, pdu } = props;
  const tz = props.session.host.timezone;
  const base = `/admin/sites/${site.id}/pdus/${pdu.id}`;
  const notice = props.imported !== undefined ? `${formatCount(props.imported)} outlet(s) mapped from the CSV.` : props.notice ? DETAIL_NOTICES[props.notice] : undefined;
  return (
    <AdminLayout session={props.session} title={`${pdu.name} · PDUs`} area="sites">
      <Breadcrumbs site={site} pdu={pdu} />
      <PageHeader
        title={pdu.name}
        subtitle={`${pdu.address}:${pdu.port} · ${PDU_FAMILY_LABELS[pdu.family]} · SNMP v${pdu.snmpVersion}`}
        actions={
          <ConfirmAction
            action={`${base}/delete`}
            label="Remove PDU"
            consequence={<>The agent stops reading this PDU, and its units’ energy falls back to their own power figures.</>}
            confirmLabel={`Remove ${pdu.name}`}
          />
        }
      />
      {notice && (
        <div class="alert alert-success" role="status">
          {notice}
        </div>
      )}
      <section class="card" id="outlets" aria-labelledby="outlets-title">
        <h2 class="card-title" id="outlets-title">
          Outlets
        </h2>
        {pdu.mapping.length === 0 ? (
          <EmptyState title="No outlets mapped">Map an outlet to a unit below, or import a CSV of outlets and units.</EmptyState>
        ) : (
          <>
            <OutletLiveTable site={site} pdu={pdu} live={props.live} timezone={tz} />
            <TableWrap label="Outlet mapping">
              <table class="table table-compact" data-testid="pdu-mapping">
                <thead>
                  <tr>
                    <th scope="col">Outlet</th>
                    <th scope="col">Unit</th>
                    <th scope="col">Model</th>
                    <th scope="col">Rack location</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {pdu.mapping.map((m) => (
                    <tr>
                      <th scope="row">{m.outlet}</th>
                      <td>{m.unit}</td>
                      <td>{m.model ?? <span class="muted">—</span>}</td>
                      <td>{m.rackLocation ?? <span class="muted">—</span>}</td>
                      <td class="actions">
                        <ConfirmAction
                          action={`${base}/outlets/${encodeURIComponent(m.outlet)}/remove`}
                          label="Unmap"
                          small
                          consequence={<>Outlet {m.outlet} no longer meters {m.unit}.</>}
                          confirmLabel={`Unmap outlet ${m.outlet}`}
                        />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
            <p>
              <a href={`${base}/outlets.csv`}>Download the mapping as CSV</a>
            </p>
          </>
        )}
      </section>
      <div class="panel-grid">
        <Card title="Map an outlet">
          <form method="post" action={`${base}/outlets`} novalidate id="map-outlet-form">
            <FormErrorSummary errors={props.mapForm?.errors} />
            <TextField label="Outlet" name="outlet" value={props.mapForm?.values.outlet ?? ''} errors={props.mapForm?.errors} required maxlength={14} hint="As the PDU numbers it: 7; Sentry 1.1.7; Eaton 0.7." />
            <TextField
              label="Unit"
              name="unit"
              value={props.mapForm?.values.unit ?? ''}
              errors={props.mapForm?.errors}
              required
              maxlength={100}
              hint="Its serial, MAC, IP address or rack location at this site. An outlet or unit already mapped moves here."
            />
            <button type="submit" class="btn btn-primary">
              Map outlet
            </button>
          </form>
        </Card>
        <Card title="Import outlets from CSV">
          <form method="post" action={`${base}/outlets/import`} enctype="multipart/form-data" novalidate id="import-outlets-form">
            <FormErrorSummary errors={props.importForm?.errors} message={props.importForm ? 'Nothing was imported: fix the rows below.' : undefined} />
            <div class="field">
              <label for="f-file">CSV file</label>
              <input id="f-file" name="file" type="file" accept=".csv,text/csv" aria-describedby="csv-hint" />
            </div>
            <TextArea
              label="Or paste it here"
              name="csv"
              value={props.importForm?.csv ?? ''}
              errors={props.importForm?.errors}
              rows={6}
              hint={`A header row outlet,unit, then one outlet per row (unit: serial, MAC, IP or rack location). All rows are checked first; nothing is saved unless every row is fine. At most ${formatCount(MAX_MAPPING_ROWS)} rows.`}
            />
            <button type="submit" class="btn">
              Import
            </button>
          </form>
        </Card>
      </div>
      <section class="card" aria-labelledby="edit-pdu">
        <h2 class="card-title" id="edit-pdu">
          Edit PDU
        </h2>
        <PduForm action={base} values={props.values} errors={props.errors} submitLabel="Save PDU" editing />
      </section>
    </AdminLayout>
  );
}
