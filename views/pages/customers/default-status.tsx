import { Fragment, h } from '#jsx';
import type { CaseRow, OverdueAmount, PlannedUnit, RedirectPlan, RedirectRow, UnitProgress } from '../../../src/default/service';
import type { ActivityEntry } from '../../../src/activity/service';
import { CASE_TIMELINE_LIMIT, redirectPools } from '../../../src/default/service';
import { minerIdent } from '../../../src/equipment/naming';
import type { FieldErrors } from '../../../src/lib/errors';
import { formatEfficiency, formatMoney, NONE } from '../../../src/lib/format';
import { Card, EmptyState, FormErrorSummary, TextArea, TextField } from '../../components/form';
import { TableWrap } from '../../components/table';
import { Time } from '../../components/time';
import { ActivityPanel } from './detail';

export const FAILURE_LABELS: Record<string, string> = {
  unreachable: 'Unreachable',
  refused: 'Refused by the firmware',
  timeout: 'Not confirmed in time',
  no_previous_pool: 'No pool recorded at the start',
};

/** The unit's progress in words: its phase and status together. */
export function unitStateText(unit: Pick<UnitProgress, 'phase' | 'status' | 'failure'>): string {
  if (unit.phase === 'redirect') {
    if (unit.status === 'confirmed') return 'On the holding pool';
    if (unit.status === 'pending') return 'Redirect pending';
    return `Redirect failed: ${FAILURE_LABELS[unit.failure ?? ''] ?? unit.failure ?? 'unknown'}`;
  }
  if (unit.status === 'confirmed') return 'Restored';
  if (unit.status === 'pending') return 'Restore pending';
  return `Not restored: ${FAILURE_LABELS[unit.failure ?? ''] ?? unit.failure ?? 'unknown'}`;
}

const moneyList = (list: OverdueAmount[]) => (list.length === 0 ? formatMoney(0, 'USD') : list.map((m) => formatMoney(m.amountMinor, m.currency)).join(', '));
const poolText = (url: string | null, user: string | null) => (url ? `${url} (${user || 'no worker'})` : 'Unknown');
const scopeText = (r: RedirectRow) => (r.scope === 'all' ? 'All units' : r.scope === 'count' ? `${r.scopeValue} most efficient units` : `${r.scopeValue}% of units, most efficient first`);

export interface DefaultStatusProps {
  customerId: string;
  timezone: string;
  canAct: boolean;
  openCase: CaseRow | null;
  overdue: OverdueAmount[];
  earned: OverdueAmount[];
  activeRedirect: RedirectRow | null;
  units: UnitProgress[];
  history: CaseRow[];
  /** The open case's history (else the last closed case's), newest first, from the activity log. */
  timeline: ActivityEntry[];
  timelineOpen: boolean;
  errors?: FieldErrors;
  message?: string;
  notice?: string;
  values?: Record<string, string>;
}

const NOTICES: Record<string, string> = {
  opened: 'Default opened.',
  redirect: 'Redirect started: the site agents apply the holding pool on their next config pull.',
  ended: 'Redirect ended: units are going back to the pools recorded at the start.',
  closed: 'Default case closed.',
  retried: 'Failed units are being retried.',
};

export function DefaultStatusPanel(props: DefaultStatusProps) {
  const base = `/admin/customers/${props.customerId}/default-status`;
  const c = props.openCase;
  const unrestored = props.units.filter((u) => u.phase === 'restore' && u.status === 'failed');
  const restored = props.units.filter((u) => u.phase === 'restore' && u.status === 'confirmed');
  const activeUnits = props.activeRedirect ? props.units.filter((u) => u.redirectId === props.activeRedirect!.id) : [];
  const failed = props.units.filter((u) => u.status === 'failed' && !(u.phase === 'restore' && u.failure === 'no_previous_pool'));
  return (
    <div class="default-status">
      {props.notice && NOTICES[props.notice] && (
        <div class="alert alert-success" role="status">
          {NOTICES[props.notice]}
        </div>
      )}
      <FormErrorSummary errors={props.errors} message={props.message} />
      {c ? (
        <Card title="Open default case">
          <dl class="facts">
            <dt>Reason</dt>
            <dd data-testid="default-reason">{c.reason}</dd>
            <dt>Opened</dt>
            <dd>
              <Time ms={c.openedAt} timezone={props.timezone} /> by {c.openedBy ?? 'System'}
            </dd>
            <dt>Overdue now</dt>
            <dd data-testid="overdue-now">{moneyList(props.overdue)}</dd>
            <dt>Credit earned by redirected hashrate</dt>
            <dd data-testid="credit-earned">{moneyList(props.earned)}</dd>
            <dt>Status</dt>
            <dd>
              {props.activeRedirect ? (
                <>
                  Pool redirected since <Time ms={props.activeRedirect.startedAt} timezone={props.timezone} /> ({scopeText(props.activeRedirect)}), by {props.activeRedirect.startedBy ?? 'System'}
                </>
              ) : (
                'In default, not redirected'
              )}
            </dd>
            {props.activeRedirect && (
              <>
                <dt>Holding pools, in priority order</dt>
                <dd>
                  <ol class="holding-pools" data-testid="redirect-holding-pools">
                    {redirectPools(props.activeRedirect).map((p) => (
                      <li>
                        <code>{p.url}</code>
                      </li>
                    ))}
                  </ol>
                </dd>
              </>
            )}
          </dl>
          {props.canAct && (
            <div class="actions-row">
              {!props.activeRedirect && <RedirectScopeForm action={`${base}/preview`} values={props.values} errors={props.errors} />}
              {props.activeRedirect && (
                <form method="post" action={`${base}/cases/${c.id}/redirect/end`}>
                  <details class="confirm">
                    <summary class="btn btn-danger-outline">End redirect</summary>
                    <div class="confirm-body">
                      <p>Every unit goes back to the pool it reported when the redirect started. The case stays open.</p>
                      <button type="submit" class="btn btn-danger">
                        End redirect and restore pools
                      </button>
                    </div>
                  </details>
                </form>
              )}
              <form method="post" action={`${base}/cases/${c.id}/close`}>
                <details class="confirm">
                  <summary class="btn btn-danger-outline">Close case</summary>
                  <div class="confirm-body">
                    <TextArea label="Why is the case closed?" name="reason" value={props.values?.close_reason ?? ''} errors={props.errors} rows={2} maxlength={500} />
                    <p>{props.activeRedirect ? 'The redirect ends and every unit goes back to its recorded pool.' : 'The customer is no longer in default.'}</p>
                    <button type="submit" class="btn btn-danger">
                      Close the case
                    </button>
                  </div>
                </details>
              </form>
            </div>
          )}
        </Card>
      ) : (
        <Card title="Not in default">
          <p class="muted">The customer has no open default case.</p>
          {props.canAct && (
            <form method="post" action={`${base}/open`} novalidate>
              <details class="confirm" open={props.errors?.reason ? true : undefined}>
                <summary class="btn btn-danger-outline">Open a default</summary>
                <div class="confirm-body">
                  <TextArea label="Reason (shown to the customer)" name="reason" value={props.values?.reason ?? ''} errors={props.errors} rows={2} maxlength={500} required />
                  <p>The customer's status becomes In Default and, if notices are on, the customer is emailed.</p>
                  <button type="submit" class="btn btn-danger">
                    Open the default
                  </button>
                </div>
              </details>
            </form>
          )}
        </Card>
      )}
      {activeUnits.length > 0 && (
        <Card title="Units of the redirect">
          <UnitTable units={activeUnits} timezone={props.timezone} />
          {props.canAct && c && failed.length > 0 && (
            <form method="post" action={`${base}/cases/${c.id}/retry`}>
              <button type="submit" class="btn">
                Retry {failed.length} failed unit{failed.length === 1 ? '' : 's'}
              </button>
            </form>
          )}
        </Card>
      )}
      {unrestored.length > 0 && (
        <Card title="Units not restored">
          <p class="alert alert-error" role="alert">
            These units could not be confirmed back on the pool recorded at the start. Check them on site.
          </p>
          <UnitTable units={unrestored} timezone={props.timezone} />
        </Card>
      )}
      {!props.activeRedirect && restored.length > 0 && (
        <Card title="Units restored">
          <p class="muted">Back on the pool each unit reported when the redirect started, confirmed by its own report.</p>
          <UnitTable units={restored} timezone={props.timezone} />
        </Card>
      )}
      {props.units.some((u) => u.phase === 'restore' && u.status === 'pending') && (
        <Card title="Restores in progress">
          <UnitTable units={props.units.filter((u) => u.phase === 'restore' && u.status === 'pending')} timezone={props.timezone} />
        </Card>
      )}
      {props.timeline.length > 0 && (
        <Card title={props.timelineOpen ? 'This case, step by step' : 'The last case, step by step'}>
          <ActivityPanel entries={props.timeline} timezone={props.timezone} olderHref={null} />
          {props.timeline.length >= CASE_TIMELINE_LIMIT && (
            <p class="muted">
              The latest {CASE_TIMELINE_LIMIT} steps. <a href={`/admin/customers/${props.customerId}/activity`}>All activity</a>
            </p>
          )}
        </Card>
      )}
      <Card title="History">
        {props.history.length === 0 ? (
          <EmptyState title="No earlier cases" />
        ) : (
          <TableWrap label="Default cases">
            <table class="table table-compact">
              <thead>
                <tr>
                  <th scope="col">Opened</th>
                  <th scope="col">Reason</th>
                  <th scope="col">By</th>
                  <th scope="col">Closed</th>
                  <th scope="col">Closed because</th>
                </tr>
              </thead>
              <tbody>
                {props.history.map((past) => (
                  <tr>
                    <td>
                      <Time ms={past.openedAt} timezone={props.timezone} />
                    </td>
                    <td>{past.reason}</td>
                    <td>{past.openedBy ?? NONE}</td>
                    <td>{past.closedAt ? <Time ms={past.closedAt} timezone={props.timezone} /> : 'Open'}</td>
                    <td>{past.closeReason ?? NONE}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Card>
    </div>
  );
}

function UnitTable(props: { units: UnitProgress[]; timezone: string }) {
  return (
    <TableWrap label="Units">
      <table class="table table-compact" data-testid="redirect-units">
        <thead>
          <tr>
            <th scope="col">Unit</th>
            <th scope="col">Site</th>
            <th scope="col">Pool before</th>
            <th scope="col">Holding pool worker</th>
            <th scope="col">Progress</th>
            <th scope="col">Confirmed</th>
          </tr>
        </thead>
        <tbody>
          {props.units.map((u) => (
            <tr data-unit={u.minerId} data-state={`${u.phase}-${u.status}`}>
              <td>{minerIdent(u)}</td>
              <td>{u.siteName ?? NONE}</td>
              <td>{poolText(u.previousPoolUrl, u.previousPoolUser)}</td>
              <td>{poolText(u.targetPoolUrl, u.targetPoolUser)}</td>
              <td>
                {unitStateText(u)}
                {u.failureMessage && <div class="small muted">{u.failureMessage}</div>}
                {u.attempts > 1 && <div class="small muted">Attempt {u.attempts}</div>}
              </td>
              <td>{u.confirmedAt ? <Time ms={u.confirmedAt} timezone={props.timezone} /> : NONE}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function RedirectScopeForm(props: { action: string; values?: Record<string, string>; errors?: FieldErrors }) {
  const scope = props.values?.scope ?? 'all';
  const e = props.errors ?? {};
  return (
    <form method="get" action={props.action} class="redirect-scope" novalidate>
      <fieldset>
        <legend>Redirect to the holding pool</legend>
        <label class="choice">
          <input type="radio" name="scope" value="all" checked={scope === 'all'} /> All units
        </label>
        <label class="choice">
          <input type="radio" name="scope" value="count" checked={scope === 'count'} /> A number of units
        </label>
        <label class="choice">
          <input type="radio" name="scope" value="percent" checked={scope === 'percent'} /> A percentage of units
        </label>
        <div class={e.count ? 'field has-error' : 'field'}>
          <label for="f-count">Number of units</label>
          <input id="f-count" name="count" inputmode="numeric" value={props.values?.count ?? ''} aria-invalid={e.count ? 'true' : undefined} />
          {e.count && <p class="field-error">{e.count}</p>}
        </div>
        <div class={e.percent ? 'field has-error' : 'field'}>
          <label for="f-percent">Percentage of units</label>
          <input id="f-percent" name="percent" inputmode="numeric" value={props.values?.percent ?? ''} aria-invalid={e.percent ? 'true' : undefined} />
          {e.percent && <p class="field-error">{e.percent}</p>}
        </div>
        {e.scope && <p class="field-error">{e.scope}</p>}
        <p class="hint">A share picks the most efficient units first (lowest nominal J/TH).</p>
        <button type="submit" class="btn">
          Preview the redirect
        </button>
      </fieldset>
    </form>
  );
}

/** What staff type to start a redirect from the preview (the API takes the request as it is). */
export const REDIRECT_CONFIRMATION = 'REDIRECT';

export function RedirectPreviewPanel(props: { customerId: string; caseId: string; plan: RedirectPlan; errors?: FieldErrors }) {
  const base = `/admin/customers/${props.customerId}/default-status`;
  const { plan } = props;
  return (
    <Card title="Preview: start the redirect">
      <FormErrorSummary errors={props.errors} />
      <p>
        {plan.units.length} of {plan.totalUnits} unit{plan.totalUnits === 1 ? '' : 's'} will be pointed at <code>{plan.poolUrl}</code>
        {plan.pools.length > 1 ? `, with ${plan.pools.length - 1} backup holding pool${plan.pools.length === 2 ? '' : 's'} after it` : ''}. Each unit's current pool is recorded now and restored when the redirect ends.
      </p>
      <h3 class="holding-pools-title">Holding pools the units get, in priority order</h3>
      <ol class="holding-pools" data-testid="holding-pools">
        {plan.pools.map((p, i) => (
          <li>
            <code>{p.url}</code> <span class="small muted">{i === 0 ? 'mined on' : 'backup: used when the pools above it are down'}; worker {p.template}</span>
          </li>
        ))}
      </ol>
      <TableWrap label="Units that will change">
        <table class="table table-compact" data-testid="redirect-preview">
          <thead>
            <tr>
              <th scope="col">Unit</th>
              <th scope="col">Site</th>
              <th scope="col">Efficiency (nominal)</th>
              <th scope="col">From pool</th>
              <th scope="col">To pool</th>
            </tr>
          </thead>
          <tbody>
            {plan.units.map((u: PlannedUnit) => (
              <tr data-unit={u.minerId}>
                <td>{minerIdent(u)}</td>
                <td>{u.siteName ?? NONE}</td>
                <td>{u.efficiencyMjth === null ? NONE : formatEfficiency(u.efficiencyMjth / 1000)}</td>
                <td>
                  {poolText(u.fromUrl, u.fromUser)}
                  {u.fromSource === 'record' && <div class="small muted">From the record: the unit has not reported a pool.</div>}
                </td>
                <td>
                  {poolText(u.toUrl, u.toUser)}
                  {u.toBackups.map((b, i) => (
                    <div class="small muted">
                      Backup {i + 2}: {poolText(b.url, b.user)}
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      <form method="post" action={`${base}/cases/${props.caseId}/redirect`} novalidate>
        <input type="hidden" name="scope" value={plan.scope.scope} />
        {plan.scope.scope === 'count' && <input type="hidden" name="count" value={String(plan.scope.value)} />}
        {plan.scope.scope === 'percent' && <input type="hidden" name="percent" value={String(plan.scope.value)} />}
        <TextField
          label={`Type ${REDIRECT_CONFIRMATION} to confirm`}
          name="confirmation"
          value=""
          errors={props.errors}
          required
          autocomplete="off"
          hint={`The ${plan.units.length} unit${plan.units.length === 1 ? '' : 's'} above will mine for the holding pool until the redirect ends.`}
        />
        <div class="form-actions">
          <button type="submit" class="btn btn-danger">
            Start the redirect
          </button>
          <a class="btn" href={base}>
            Cancel
          </a>
        </div>
      </form>
    </Card>
  );
}
