import { Fragment, h } from '#jsx';
import type { AgreementInForce } from '../../../src/legal/service';
import type { Child } from 'hono/jsx';
import { formatMoney, microsToRateText } from '../../../src/billing/money';
import { MAX_LEASE_EXTENSIONS } from '../../../src/contracts/schema';
import type { ContractDetail, ContractHistoryEntry } from '../../../src/contracts/service';
import type { FieldErrors } from '../../../src/lib/errors';
import { FieldMessages, FormErrorSummary } from '../../components/form';
import { NominalHashrate } from '../../components/equipment';
import { Time } from '../../components/time';
import { formatScaledDecimal } from '../../../src/lib/decimal';
import { contractHref, ContractStatusBadge, equipmentText, monthlyValueText, pricingText } from './shared';
import { TableWrap } from '../../components/table';

function Row(props: { label: string; children: Child }) {
  return (
    <div class="detail-row">
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

const NOTICES: Record<string, string> = {
  activated: 'Setup complete: the contract is active.',
  extended: 'Lease extended.',
  terminated: 'Contract terminated.',
  scheduled: 'Termination scheduled: the contract ends on its new end date.',
  saved: 'Contract saved.',
};

const ACTION_LABELS: Record<string, string> = {
  'contract.created': 'created the draft',
  'contract.updated': 'changed the terms',
  'contract.units_changed': 'changed the units',
  'contract.sites_changed': 'changed the sites',
  'contract.activated': 'completed setup (activated)',
  'contract.extended': 'extended the lease',
  'contract.termination_scheduled': 'scheduled the termination',
  'contract.terminated': 'terminated the contract',
  'contract.expired': 'expired the contract (term ended)',
  'contract.renewed': 'renewed the contract (auto-renew)',
  'contract.deleted': 'deleted the draft',
};

const show = (value: unknown) => {
  if (value === null || value === undefined || value === '') return <span class="muted">(empty)</span>;
  if (typeof value === 'boolean') return value ? 'On' : 'Off';
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
};

function History(props: { entries: ContractHistoryEntry[]; timezone: string }) {
  if (props.entries.length === 0) return <p class="muted">No history yet.</p>;
  return (
    <ol class="activity" data-testid="contract-history">
      {props.entries.map((entry) => (
        <li class="activity-entry">
          <div class="activity-head">
            <strong>{entry.actorLabel}</strong> {ACTION_LABELS[entry.action] ?? entry.action}
            <span class="activity-time">
              <Time ms={entry.createdAt} timezone={props.timezone} />
            </span>
          </div>
          {entry.changes && Object.keys(entry.changes).some((k) => !k.startsWith('_')) && (
            <TableWrap label="Contract changes" wide>
              <table class="table table-compact changes">
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    <th scope="col">Before</th>
                    <th scope="col">After</th>
                  </tr>
                </thead>
                <tbody>
                  {Object.entries(entry.changes)
                    .filter(([field]) => !field.startsWith('_'))
                    .map(([field, [before, after]]) => (
                      <tr>
                        <td>{field}</td>
                        <td>{show(before)}</td>
                        <td>{show(after)}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </li>
      ))}
    </ol>
  );
}

function Terms(props: { contract: ContractDetail }) {
  const c = props.contract;
  const money = (minor: number | null) => (minor === null ? '—' : formatMoney(minor, c.currency));
  return (
    <dl class="details">
      <Row label="Type">{pricingText(c)}</Row>
      <Row label="Status">
        <ContractStatusBadge status={c.status} />
        {c.status === 'active' && c.endReason && <span class="muted"> (terminating on {c.endDate}: {c.endReason})</span>}
      </Row>
      <Row label="Currency">{c.currency}</Row>
      <Row label="Start">{c.startDate}</Row>
      <Row label="Term">{c.termMonths === 1 ? '1 month' : `${c.termMonths} months`}</Row>
      <Row label="End (last day covered)">{c.endDate}</Row>
      <Row label="Auto-renew">{c.autoRenew ? `On, ${c.renewalNoticeDays} days’ notice` : 'Off'}</Row>
      {c.kind === 'hosted' && c.pricing === 'per_kwh' && (
        <>
          <Row label="kWh source">{c.kwhSource}</Row>
          <Row label="Energy rate">{c.energyRateMicrosPerKwh === null ? 'Each unit’s site rate (or your default)' : `${microsToRateText(c.energyRateMicrosPerKwh)} ${c.currency}/kWh`}</Row>
          {c.kwhSource === 'hashrate' && c.efficiencyMjPerTh !== null && <Row label="Efficiency">{formatScaledDecimal(c.efficiencyMjPerTh, 3)} J/TH</Row>}
        </>
      )}
      {(c.kind === 'lease' || (c.kind === 'hosted' && c.pricing === 'fixed_per_unit')) && <Row label="Monthly fee per unit">{money(c.monthlyFeeMinor)}</Row>}
      {c.kind === 'om' && <Row label="Monthly fee">{money(c.monthlyFeeMinor)}</Row>}
      {c.kind === 'infinity' && (
        <>
          <Row label="Hashrate">{c.infinityMths === null ? '—' : `${formatScaledDecimal(c.infinityMths, 3)} TH/s`}</Row>
          <Row label="Price">{c.priceMicrosPerThDay === null ? '—' : `${microsToRateText(c.priceMicrosPerThDay)} ${c.currency} per TH/s per day`}</Row>
        </>
      )}
      <Row label="Monthly value">{monthlyValueText(c)}</Row>
      <Row label="Setup fee">{money(c.setupFeeMinor)}</Row>
      <Row label="Deposit">{money(c.depositMinor)}</Row>
      {c.kind === 'lease' && <Row label="Extensions">{`${c.extensions} of ${MAX_LEASE_EXTENSIONS}`}</Row>}
      <Row label="Equipment">{equipmentText(c)}</Row>
      {c.status !== 'active' && c.status !== 'draft' && c.endReason && <Row label="End reason">{c.endReason}</Row>}
      <Row label="Notes">{c.notes ? <span class="notes">{c.notes}</span> : <span class="muted">—</span>}</Row>
    </dl>
  );
}

function Actions(props: { customerId: string; contract: ContractDetail; today: string; errors?: FieldErrors }) {
  const c = props.contract;
  const href = (rest: string) => contractHref(props.customerId, c.id, rest);
  const e = props.errors;
  if (c.status === 'draft') {
    return (
      <div class="row-actions" id="contract-actions">
        {c.kind !== 'infinity' && (
          <a class="btn btn-primary" href={href('/equipment')}>
            Resume setup
          </a>
        )}
        <form method="post" action={href('/activate')}>
          <details class="confirm">
            <summary class="btn">Complete Setup</summary>
            <div class="confirm-body">
              <p>The contract becomes active from {c.startDate}{c.kind === 'lease' ? '; its units are assigned to this customer' : ''}.</p>
              <button type="submit" class="btn btn-primary">
                Activate contract
              </button>
            </div>
          </details>
        </form>
        <a class="btn" href={href('/edit')}>
          Edit terms
        </a>
        <form method="post" action={href('/delete')}>
          <details class="confirm">
            <summary class="btn btn-danger-outline">Delete draft</summary>
            <div class="confirm-body">
              <p>The draft and its chosen equipment are removed. Nothing was billed from it.</p>
              <button type="submit" class="btn btn-danger">
                Delete draft
              </button>
            </div>
          </details>
        </form>
      </div>
    );
  }
  if (c.status !== 'active') return null;
  const canExtend = c.kind === 'lease' && c.extensions < MAX_LEASE_EXTENSIONS;
  return (
    <div class="row-actions" id="contract-actions">
      <a class="btn" href={href('/edit')}>
        Edit notes and renewal
      </a>
      {c.kind === 'lease' && (
        <form method="post" action={href('/extend')}>
          <details class="confirm" open={Boolean(e?.months)}>
            <summary class="btn">Extend lease</summary>
            <div class="confirm-body">
              {canExtend ? (
                <>
                  <div class={e?.months ? 'field has-error' : 'field'}>
                    <label for="f-months">Months to extend by</label>
                    <input id="f-months" name="months" inputmode="numeric" placeholder={String(c.termMonths)} aria-describedby="months-hint" />
                    <FieldMessages name="months" error={e?.months} hint={`Leave blank to extend by the lease’s term (${c.termMonths} months). Extension ${c.extensions + 1} of ${MAX_LEASE_EXTENSIONS}.`} />
                  </div>
                  <button type="submit" class="btn btn-primary">
                    Extend lease
                  </button>
                </>
              ) : (
                <p>This lease has been extended {MAX_LEASE_EXTENSIONS} times, the most allowed. Make a new lease to continue.</p>
              )}
            </div>
          </details>
        </form>
      )}
      <form method="post" action={href('/terminate')}>
        <details class="confirm" open={Boolean(e?.end_date || e?.reason)}>
          <summary class="btn btn-danger-outline">Terminate</summary>
          <div class="confirm-body">
            <FormErrorSummary errors={e?.end_date || e?.reason ? Object.fromEntries(Object.entries({ end_date: e.end_date, reason: e.reason }).filter(([, v]) => v)) as FieldErrors : undefined} />
            <div class={e?.end_date ? 'field has-error' : 'field'}>
              <label for="f-end_date">End date (last day billed)</label>
              <input id="f-end_date" type="date" name="end_date" value={props.today} required aria-describedby="end_date-hint" />
              <FieldMessages name="end_date" error={e?.end_date} hint="Today or earlier ends it now; a later date ends it then (auto-renew is turned off)." />
            </div>
            <div class={e?.reason ? 'field has-error' : 'field'}>
              <label for="f-reason">Reason</label>
              <input id="f-reason" name="reason" maxlength={500} required />
              <FieldMessages name="reason" error={e?.reason} />
            </div>
            <p>{c.kind === 'lease' ? 'Its units return to your unassigned stock when it ends.' : 'Its units are released when it ends.'}</p>
            <button type="submit" class="btn btn-danger">
              Terminate contract
            </button>
          </div>
        </details>
      </form>
    </div>
  );
}

/** A contract: its terms, units or sites, actions and history. */
export function ContractDetailPanel(props: {
  customerId: string;
  contract: ContractDetail;
  history: ContractHistoryEntry[];
  timezone: string;
  today: string;
  notice?: string;
  errors?: FieldErrors;
  message?: string;
  /** The legal agreements in force for this contract's kind (issue 13). */
  agreements?: AgreementInForce[];
}) {
  const c = props.contract;
  const notice = props.notice ? NOTICES[props.notice] : undefined;
  return (
    <div class="contract-detail">
      <nav class="breadcrumbs" aria-label="Back">
        <a href={`/admin/customers/${props.customerId}/contracts`}>← All contracts</a>
      </nav>
      {notice && (
        <div class="alert alert-success" role="status">
          {notice}
        </div>
      )}
      {props.message && (
        <div class="alert alert-error" role="alert">
          {props.message}
        </div>
      )}
      <h2>
        {c.name} <ContractStatusBadge status={c.status} />
      </h2>
      <Actions customerId={props.customerId} contract={c} today={props.today} errors={props.errors} />
      <section class="card">
        <h3 class="card-title">Terms</h3>
        <Terms contract={c} />
      </section>
      {(c.kind === 'hosted' || c.kind === 'lease') && (
        <section class="card">
          <h3 class="card-title">Units ({c.units.length.toLocaleString('en-US')})</h3>
          {c.units.length === 0 ? (
            <p class="muted">No units chosen yet.</p>
          ) : (
            <TableWrap label="Contract units" wide>
              <table class="table table-compact" data-testid="contract-units">
                <thead>
                  <tr>
                    <th scope="col">Unit</th>
                    <th scope="col">Model</th>
                    <th scope="col">Site</th>
                    <th scope="col" class="num">
                      Nominal
                    </th>
                    <th scope="col" class="num">
                      Power (W)
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {c.units.map((u) => (
                    <tr data-miner-id={u.id}>
                      <td>
                        <a href={`/admin/equipment/${u.id}`}>{u.label}</a>
                      </td>
                      <td>{u.model ?? <span class="muted">—</span>}</td>
                      <td>{u.siteName ?? <span class="muted">—</span>}</td>
                      <td class="num">
                        <NominalHashrate mths={u.nominalHashrateMths} />
                      </td>
                      <td class="num">{u.nominalPowerW === null ? '—' : u.nominalPowerW.toLocaleString('en-US')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </section>
      )}
      {c.kind === 'om' && (
        <section class="card">
          <h3 class="card-title">Sites ({c.sites.length})</h3>
          {c.sites.length === 0 ? (
            <p class="muted">No sites chosen yet.</p>
          ) : (
            <ul>
              {c.sites.map((s) => (
                <li>
                  <a href={`/admin/sites/${s.id}`}>{s.name}</a>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      {props.agreements && props.agreements.length > 0 && (
        <section class="card" data-testid="contract-agreements">
          <h3 class="card-title">Agreements in force</h3>
          <ul>
            {props.agreements.map((a) => (
              <li>
                {a.title} v{a.version}
                {a.acceptedAt ? (
                  <>
                    {' '}
                    · accepted <Time ms={a.acceptedAt} timezone={props.timezone} />
                  </>
                ) : (
                  ' · not yet accepted'
                )}{' '}
                <code class="hash">{a.sha256.slice(0, 16)}…</code>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section class="card">
        <h3 class="card-title">History</h3>
        <History entries={props.history} timezone={props.timezone} />
      </section>
    </div>
  );
}
