import { h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import { can } from '../../../src/auth/permissions';
import type { FieldErrors } from '../../../src/lib/errors';
import { WORKER_PLACEHOLDERS, type DefaultSettingsForm } from '../../../src/default/settings';
import { Card, FormErrorSummary, SelectField, TextArea, TextField, Toggle } from '../../components/form';
import { TableWrap } from '../../components/table';
import { SettingsShell } from '../settings';

/** What the form shows: saved settings, or what was posted (as typed) after a refusal. */
export type DefaultSettingsValues = DefaultSettingsForm;

const SOURCE_OPTIONS = [
  ['manual', 'Entered here, day by day'],
  ['csv', 'Imported from a CSV of daily values'],
  ['url', 'Fetched by the cron from a URL'],
] as const;

export function DefaultSettingsForm(props: { session: StaffSession; values: DefaultSettingsValues; errors?: FieldErrors; saved?: boolean }) {
  const editable = can.manageBilling(props.session.role);
  const { values, errors } = props;
  return (
    <form id="default-settings-form" method="post" action="/admin/settings/default" hx-post="/admin/settings/default" hx-target="this" hx-swap="outerHTML" novalidate>
      {props.saved && (
        <div class="alert alert-success" role="status">
          Default settings saved.
        </div>
      )}
      {!editable && (
        <div class="alert alert-info" role="status">
          Only an owner or admin can change these settings.
        </div>
      )}
      <FormErrorSummary errors={errors} />
      <fieldset disabled={!editable}>
        <legend>Holding pools</legend>
        <p class="small muted">Up to three, in priority order: a redirected unit mines on the first and fails over to the 2nd, then the 3rd, when the one before is down. The worker rule and password below are shared.</p>
        <div class="grid-2">
          <TextField label="1st holding pool stratum URL" name="holding_pool_url" value={values.holding_pool_url} errors={errors} hint="Required to redirect. Where a redirected customer's units mine, e.g. stratum+tcp://pool.example.com:3333." />
          <TextField label="1st pool account" name="holding_account" value={values.holding_account} errors={errors} hint="Your account on that pool; the worker rule's {account}." />
          <TextField label="2nd holding pool stratum URL (backup)" name="holding_pool2_url" value={values.holding_pool2_url} errors={errors} hint="Optional, e.g. the pool's second endpoint." />
          <TextField label="2nd pool account" name="holding_account2" value={values.holding_account2} errors={errors} hint="Blank: the 1st pool's account." />
          <TextField label="3rd holding pool stratum URL (backup)" name="holding_pool3_url" value={values.holding_pool3_url} errors={errors} hint="Optional; needs the 2nd." />
          <TextField label="3rd pool account" name="holding_account3" value={values.holding_account3} errors={errors} hint="Blank: the 1st pool's account." />
        </div>
        <TextField label="Worker name rule" name="worker_rule" value={values.worker_rule} errors={errors} required hint="Placeholders are listed below, e.g. {account}.{serial}." />
        <ul class="hint-list small muted">
          {WORKER_PLACEHOLDERS.map(([name, meaning]) => (
            <li>
              <code>{name}</code>: {meaning}
            </li>
          ))}
        </ul>
        <TextField label="Pool password" name="pool_password" value={values.pool_password} errors={errors} required hint="Sent with every redirected worker; most pools ignore it (x)." />
      </fieldset>
      <fieldset disabled={!editable}>
        <legend>When a default opens and the redirect starts</legend>
        <TextField label="Grace days after the due date" name="grace_days" value={values.grace_days} errors={errors} hint="An overdue invoice opens a default this many days after its due date. Blank: defaults are opened by hand only." />
        <TextField label="Start the redirect after (days)" name="auto_redirect_days" value={values.auto_redirect_days} errors={errors} hint="Days after the default opens. Blank: redirects are started by hand only." />
        <TextField label="Minutes to confirm a unit" name="confirm_minutes" value={values.confirm_minutes} errors={errors} hint="A unit whose reported pool has not changed within this time is marked failed (and can be retried)." />
      </fieldset>
      <fieldset disabled={!editable}>
        <legend>Paying the debt down with hashrate</legend>
        <Toggle label="Redirected hashrate pays the overdue balance down" name="pay_down" checked={values.pay_down} errors={errors} hint="Daily: each unit's hashrate on the holding pool × that day's hashprice, credited to the oldest overdue invoice (USD invoices)." />
        <SelectField label="Hashprice source" name="hashprice_source" value={values.hashprice_source} options={SOURCE_OPTIONS} errors={errors} hint="USD per TH/s per day." />
        <TextField label="Hashprice URL" name="hashprice_url" value={values.hashprice_url} errors={errors} hint='https:// URL answering {"prices":[{"date":"YYYY-MM-DD","usd_per_th_day":"0.052"}]} (docs/DEFAULT.md).' />
      </fieldset>
      <fieldset disabled={!editable}>
        <legend>Notices</legend>
        <Toggle label="Email the customer" name="notice_emails" checked={values.notice_emails} errors={errors} hint="When a default opens, a redirect starts, credit is posted (weekly) and pools are restored." />
        <div class="form-actions">
          <button type="submit" class="btn btn-primary">
            Save default settings
          </button>
        </div>
      </fieldset>
    </form>
  );
}

export interface HashpriceRow {
  day: string;
  priceText: string;
  source: string;
}

export function HashpriceCard(props: { session: StaffSession; rows: HashpriceRow[]; errors?: FieldErrors; values?: { day: string; hashprice: string; csv: string }; notice?: string }) {
  const editable = can.manageBilling(props.session.role);
  const v = props.values ?? { day: '', hashprice: '', csv: '' };
  return (
    <Card title="Hashprice (USD per TH/s per day)">
      {props.notice && (
        <div class="alert alert-success" role="status">
          {props.notice}
        </div>
      )}
      <FormErrorSummary errors={props.errors} />
      <div class="grid-2">
        <form method="post" action="/admin/settings/default/hashprice" novalidate>
          <fieldset disabled={!editable}>
            <legend>One day</legend>
            <TextField label="Day (UTC)" name="day" value={v.day} errors={props.errors} required placeholder="2026-11-30" />
            <TextField label="USD per TH/s per day" name="hashprice" value={v.hashprice} errors={props.errors} required placeholder="0.052" />
            <button type="submit" class="btn">
              Save hashprice
            </button>
          </fieldset>
        </form>
        <form method="post" action="/admin/settings/default/hashprice/import" novalidate>
          <fieldset disabled={!editable}>
            <legend>Import CSV</legend>
            <TextArea label="Lines of date,usd_per_th_day" name="csv" value={v.csv} errors={props.errors} rows={4} maxlength={40000} hint="A header line is skipped. Existing days are replaced. Nothing is stored if a line is wrong." />
            <button type="submit" class="btn">
              Import
            </button>
          </fieldset>
        </form>
      </div>
      {props.rows.length === 0 ? (
        <p class="muted">No hashprice recorded yet.</p>
      ) : (
        <TableWrap label="Recent hashprices">
          <table class="table table-compact">
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col" class="num">
                  USD / TH/s / day
                </th>
                <th scope="col">Source</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((r) => (
                <tr>
                  <td>{r.day}</td>
                  <td class="num">{r.priceText}</td>
                  <td>{r.source}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </Card>
  );
}

export function DefaultSettingsPage(props: {
  session: StaffSession;
  values: DefaultSettingsValues;
  errors?: FieldErrors;
  saved?: boolean;
  hashprices: HashpriceRow[];
  hashpriceErrors?: FieldErrors;
  hashpriceValues?: { day: string; hashprice: string; csv: string };
  hashpriceNotice?: string;
}) {
  return (
    <SettingsShell session={props.session} section="default" title="Default and holding pool">
      <p class="muted">When an unpaid customer goes into default, where its redirected units mine, and how their hashrate pays the debt down. Every change is recorded in the activity log.</p>
      <DefaultSettingsForm session={props.session} values={props.values} errors={props.errors} saved={props.saved} />
      <HashpriceCard session={props.session} rows={props.hashprices} errors={props.hashpriceErrors} values={props.hashpriceValues} notice={props.hashpriceNotice} />
    </SettingsShell>
  );
}
