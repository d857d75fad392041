import { Fragment, h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import type { FieldErrors } from '../../../src/lib/errors';
import { formatCount } from '../../../src/lib/format';
import { isDownloadable, type HostExport } from '../../../src/team/export';
import { EmptyState, FormErrorSummary, TextField } from '../../components/form';
import { TableWrap } from '../../components/table';
import { Time, TimezoneNote } from '../../components/time';
import { SettingsShell } from '../settings';

const STATUS_LABELS: Record<HostExport['status'], string> = {
  queued: 'Waiting to start',
  running: 'Building',
  ready: 'Ready',
  failed: 'Failed',
  expired: 'Expired',
};

const sizeText = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`);

/** One export's state; htmx polls it every 2 s while it is being built, and stops once it is done. */
export function ExportProgress(props: { row: HostExport; timezone: string; now: number }) {
  const { row } = props;
  const live = row.status === 'queued' || row.status === 'running';
  const downloadable = isDownloadable(row, props.now);
  const expired = row.status === 'expired' || (row.status === 'ready' && !downloadable);
  return (
    <div
      id={`export-${row.id}`}
      class="export-progress"
      data-testid="export-progress"
      data-status={expired ? 'expired' : row.status}
      hx-get={live ? `/admin/settings/export/${row.id}/progress` : undefined}
      hx-trigger={live ? 'every 2s' : undefined}
      hx-swap={live ? 'outerHTML' : undefined}
    >
      <p>
        <strong>{expired ? STATUS_LABELS.expired : STATUS_LABELS[row.status]}</strong>
        {row.rowCount !== null && <span class="muted"> · {formatCount(row.rowCount)} rows</span>}
        {row.sizeBytes !== null && downloadable && <span class="muted"> · {sizeText(row.sizeBytes)}</span>}
      </p>
      {live && (
        <progress max="100" value={String(row.progress)} aria-label="Export progress">
          {row.progress} %
        </progress>
      )}
      {downloadable && (
        <p>
          <a class="btn btn-primary" href={`/admin/settings/export/${row.id}/download`} download>
            Download ZIP
          </a>{' '}
          <span class="muted small">
            Available until <Time ms={row.expiresAt} timezone={props.timezone} />.
          </span>
        </p>
      )}
      {row.status === 'failed' && <p class="field-error">The export could not be built{row.error ? `: ${row.error}` : '.'} Start a new one.</p>}
    </div>
  );
}

export interface ExportPageProps {
  session: StaffSession;
  exports: HostExport[];
  now: number;
  notice?: string;
  closeErrors?: FieldErrors;
}

/** Settings → Export (owner only): the host's data as a ZIP, then closing the account. */
export function ExportPage(props: ExportPageProps) {
  const { session, exports } = props;
  const building = exports.some((row) => row.status === 'queued' || row.status === 'running');
  const latestReady = exports.find((row) => isDownloadable(row, props.now));
  return (
    <SettingsShell session={session} section="export" title="Export">
      {props.notice && (
        <div class="alert alert-success" role="status">
          {props.notice}
        </div>
      )}
      <section aria-labelledby="export-heading">
        <h2 id="export-heading">Export your data</h2>
        <p class="hint">
          One ZIP of CSV files with everything of {session.host.name}: customers, portal users, staff, sites, agents (without their secrets), units, contracts,
          invoices and their lines, payments and credits, hourly usage, alerts, quotes, support tickets and the activity log, with a README of the columns. It is
          built in the background; we email you when it is ready. Each export is kept for 7 days.
        </p>
        <form method="post" action="/admin/settings/export">
          <button type="submit" class="btn btn-primary" disabled={building}>
            {building ? 'An export is being built' : 'Start an export'}
          </button>
        </form>
        {exports.length === 0 ? (
          <EmptyState title="No exports yet">Start one: it takes from seconds to a few minutes depending on your data.</EmptyState>
        ) : (
          <TableWrap label="Exports">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Requested</th>
                  <th scope="col">By</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {exports.map((row) => (
                  <tr>
                    <td>
                      <Time ms={row.createdAt} timezone={session.host.timezone} />
                    </td>
                    <td>{row.requestedByEmail}</td>
                    <td>
                      <ExportProgress row={row} timezone={session.host.timezone} now={props.now} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        <TimezoneNote timezone={session.host.timezone} />
      </section>

      <section aria-labelledby="close-heading" class="danger-zone">
        <h2 id="close-heading">Close this host’s account</h2>
        <p>
          Closing stops everything at once: nobody on your team can sign in, your customers’ portal (its address and any custom domain), their sign-in and quote
          links stop answering, and your facility agents and API keys are refused. Your data is deleted for good 30 days later.
        </p>
        <p>
          <strong>Export your data first.</strong>{' '}
          {latestReady ? (
            <>
              Your latest export is ready: <a href={`/admin/settings/export/${latestReady.id}/download`}>download it</a> before closing, because you cannot sign
              in afterwards.
            </>
          ) : (
            'You have no export ready: start one above and download it before closing, because you cannot sign in afterwards.'
          )}
        </p>
        <form method="post" action="/admin/settings/export/close" novalidate>
          <FormErrorSummary errors={props.closeErrors} />
          <TextField
            label={`Type the host’s name to confirm: ${session.host.name}`}
            name="confirmation"
            value=""
            errors={props.closeErrors}
            required
            autocomplete="off"
            maxlength={200}
          />
          <TextField label="Your password" name="password" type="password" value="" errors={props.closeErrors} required autocomplete="current-password" />
          <button type="submit" class="btn btn-danger">
            Close the account
          </button>
        </form>
      </section>
    </SettingsShell>
  );
}
