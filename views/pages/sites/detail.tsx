import { Fragment, h } from '#jsx';
import { PowerDataWarning } from '../equipment/list';
import type { Child } from 'hono/jsx';
import type { AgentListItem, AgentState } from '../../../src/agents/service';
import { can } from '../../../src/auth/permissions';
import type { StaffSession } from '../../../src/auth/staff-session';
import type { FieldErrors } from '../../../src/lib/errors';
import { microsToDecimal } from '../../../src/sites/schema';
import type { SiteDetail } from '../../../src/sites/service';
import type { SiteSummary } from '../../../src/telemetry/types';
import { formatCount, formatHashrate, formatPower } from '../../../src/lib/format';
import { Card, EmptyState, FormErrorSummary, TextField } from '../../components/form';
import { Time } from '../../components/time';
import { AdminLayout, PageHeader } from '../../layouts/admin';
import { AgentConnectionText, siteLocation } from './list';
import { TableWrap } from '../../components/table';
import { LiveUnavailableNotice } from '../../components/live-unavailable';
import type { UnavailableSite } from '../../../src/live/outage';
import { STAGING_CAP_FLOOR } from '../../../src/live/registry';

const AGENT_STATE_BADGES: Record<AgentState, { label: string; badge: string }> = {
  awaiting: { label: 'Awaiting registration', badge: 'badge-in_default' },
  expired: { label: 'Code expired', badge: 'badge-inactive' },
  registered: { label: 'Registered', badge: 'badge-active' },
  revoked: { label: 'Revoked', badge: 'badge-pool_redirected' },
};

export interface IssuedCodeView {
  agentName: string;
  code: string;
  expiresAt: number;
}

function Detail(props: { label: string; children: Child }) {
  return (
    <div class="detail-row">
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

/**
 * The site's live totals. It re-fetches itself every 15 seconds (htmx polling): the fragment
 * route answers this same markup, polling attributes included, so polling carries on.
 */
export function LiveSummaryCard(props: { siteId: string; summary: SiteSummary | null; timezone: string; liveUnavailable?: readonly UnavailableSite[] }) {
  const s = props.summary;
  return (
    <div id="site-live-card" hx-get={`/admin/sites/${props.siteId}/live`} hx-trigger="every 15s" hx-swap="outerHTML">
    <Card title="Live">
      {props.liveUnavailable?.length ? (
        <LiveUnavailableNotice sites={props.liveUnavailable} />
      ) : !s || s.miners === 0 ? (
        <p class="muted" data-testid="site-live">
          No data yet: live figures appear once the site’s agent reports.
        </p>
      ) : (
        <dl class="details" data-testid="site-live">
          <Detail label="Miners reporting">{formatCount(s.miners)}</Detail>
          <Detail label="Active / degraded / offline">
            {s.byStatus.active} / {s.byStatus.degraded} / {s.byStatus.offline}
          </Detail>
          <Detail label="Hashrate">{formatHashrate(s.hashrateThs)}</Detail>
          <Detail label="Power">{formatPower(s.powerW)}</Detail>
          <Detail label="Last report">{s.lastReportAt ? <Time ms={s.lastReportAt} timezone={props.timezone} /> : <span class="muted">—</span>}</Detail>
        </dl>
      )}
    </Card>
    </div>
  );
}

export function SegmentsCard(props: { site: SiteDetail; values?: { cidr: string; label: string }; errors?: FieldErrors }) {
  const { site } = props;
  return (
    <section class="card" id="segments">
      <h2 class="card-title">Network segments</h2>
      <p class="muted small">The agent scans these IPv4 ranges for miners (TCP 4028). Use /16 to /32.</p>
      {site.segments.length === 0 ? (
        <p class="muted">No segments yet.</p>
      ) : (
        <TableWrap label="Network segments">
          <table class="table table-compact" data-testid="segments">
            <thead>
              <tr>
                <th scope="col">CIDR</th>
                <th scope="col">Label</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {site.segments.map((segment) => (
                <tr>
                  <td>
                    <code>{segment.cidr}</code>
                  </td>
                  <td>{segment.label ?? <span class="muted">—</span>}</td>
                  <td>
                    <form method="post" action={`/admin/sites/${site.id}/segments/${segment.id}/remove`}>
                      <button type="submit" class="btn btn-small btn-danger-outline">
                        Remove {segment.cidr}
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <form class="inline-form" method="post" action={`/admin/sites/${site.id}/segments`} novalidate>
        <FormErrorSummary errors={props.errors} />
        <TextField label="CIDR" name="cidr" value={props.values?.cidr} errors={props.errors} required placeholder="10.0.1.0/24" />
        <TextField label="Label" name="label" value={props.values?.label} errors={props.errors} placeholder="Row A" maxlength={100} />
        <button type="submit" class="btn">
          Add segment
        </button>
      </form>
    </section>
  );
}

export function AgentsCard(props: {
  session: StaffSession;
  site: SiteDetail;
  agents: AgentListItem[];
  issued?: IssuedCodeView;
  origin: string;
  errors?: FieldErrors;
}) {
  const { site, session } = props;
  const manage = can.manageAgents(session.role);
  const tz = session.host.timezone;
  return (
    <section class="card" id="agents">
      <h2 class="card-title">Agents</h2>
      <p class="muted small">
        A facility agent runs on a machine inside the site’s network and reports its miners. Add one to get a one-time registration code (valid 30 minutes,
        single use).
      </p>
      {props.issued && (
        <div class="alert alert-success secret-reveal" role="status">
          <p>
            Registration code for <strong>{props.issued.agentName}</strong>. Copy it now: it is shown once, works once, and expires at{' '}
            <Time ms={props.issued.expiresAt} timezone={tz} />.
          </p>
          <code class="secret agent-code" data-testid="agent-code">
            {props.issued.code}
          </code>
          <p class="small">
            On the agent machine: <code>npm run agent -- --api {props.origin} --code {props.issued.code}</code>
          </p>
        </div>
      )}
      {manage ? (
        <form class="inline-form" method="post" action={`/admin/sites/${site.id}/agents`} novalidate>
          <FormErrorSummary errors={props.errors} />
          <TextField label="Agent name" name="name" errors={props.errors} placeholder="e.g. Rack A box" maxlength={100} />
          <button type="submit" class="btn btn-primary">
            Add agent
          </button>
        </form>
      ) : (
        <p class="muted small">Owners and admins add and revoke agents.</p>
      )}
      {props.agents.length === 0 ? (
        <EmptyState title="No agent">
          <p>This site has no agent yet, so its miners are not reported live.</p>
        </EmptyState>
      ) : (
        <TableWrap label="Facility agents">
          <table class="table" data-testid="agents">
            <thead>
              <tr>
                <th scope="col">Agent</th>
                <th scope="col">Status</th>
                <th scope="col">Hostname</th>
                <th scope="col">Version</th>
                <th scope="col">Last seen</th>
                {manage && (
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {props.agents.map((agent) => {
                const state = AGENT_STATE_BADGES[agent.state];
                return (
                  <tr data-agent-id={agent.id}>
                    <td>{agent.name}</td>
                    <td>
                      <span class={`badge ${state.badge}`}>{state.label}</span>
                      {agent.state === 'awaiting' && agent.codeExpiresAt && (
                        <span class="muted small">
                          {' '}
                          until <Time ms={agent.codeExpiresAt} timezone={tz} />
                        </span>
                      )}
                    </td>
                    <td>{agent.hostname ?? <span class="muted">—</span>}</td>
                    <td>{agent.version ?? <span class="muted">—</span>}</td>
                    <td>{agent.lastSeenAt ? <Time ms={agent.lastSeenAt} timezone={tz} /> : <span class="muted">Never</span>}</td>
                    {manage && (
                      <td class="row-actions">
                        {agent.state !== 'registered' && (
                          <form method="post" action={`/admin/sites/${site.id}/agents/${agent.id}/regenerate`}>
                            <button type="submit" class="btn btn-small">
                              New code
                            </button>
                          </form>
                        )}
                        {agent.state !== 'revoked' && (
                          <form method="post" action={`/admin/sites/${site.id}/agents/${agent.id}/revoke`}>
                            <details class="confirm">
                              <summary class="btn btn-small btn-danger-outline">Revoke</summary>
                              <div class="confirm-body">
                                <p>The agent stops reporting at once; it needs a new code to register again.</p>
                                <button type="submit" class="btn btn-danger">
                                  Revoke {agent.name}
                                </button>
                              </div>
                            </details>
                          </form>
                        )}
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  );
}

const NOTICES: Record<string, string> = {
  saved: 'Site saved.',
  'segment-added': 'Network segment added.',
  'segment-removed': 'Network segment removed.',
  revoked: 'Agent revoked.',
};

export function SiteDetailPage(props: {
  session: StaffSession;
  site: SiteDetail;
  agents: AgentListItem[];
  summary: SiteSummary | null;
  liveUnavailable?: readonly UnavailableSite[];
  /** Units of the site without power data (flagged with a link to fix them). */
  withoutPowerData?: number;
  origin: string;
  notice?: string;
  issued?: IssuedCodeView;
  segmentForm?: { values: { cidr: string; label: string }; errors: FieldErrors };
  agentErrors?: FieldErrors;
}) {
  const { site, session } = props;
  const tz = session.host.timezone;
  const notice = props.notice ? NOTICES[props.notice] : undefined;
  return (
    <AdminLayout session={session} title={site.name} area="sites">
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/admin/sites">Sites</a> / <span>{site.name}</span>
      </nav>
      <PageHeader
        title={site.name}
        subtitle={siteLocation(site) || undefined}
        actions={
          <>
            <a class="btn" href={`/admin/equipment?site=${site.id}`}>
              Equipment ({formatCount(site.minerCount)})
            </a>
            <a class="btn" href={`/admin/sites/${site.id}/pdus`}>
              PDUs
            </a>
            <a class="btn btn-primary" href={`/admin/sites/${site.id}/edit`}>
              Edit
            </a>
          </>
        }
      />
      {notice && (
        <div class="alert alert-success" role="status">
          {notice}
        </div>
      )}
      <PowerDataWarning count={props.withoutPowerData ?? 0} href={`/admin/equipment?site=${encodeURIComponent(site.id)}&power=missing`} />
      {site.stagingRefusedAt !== null && (
        <div class="alert alert-error" role="alert" data-testid="staging-refused">
          The agent reported {formatCount(site.stagingRefusedCount ?? 0)} new unit(s) that were not added (last at <Time ms={site.stagingRefusedAt} timezone={tz} />
          ): this site has reached its staging cap ({site.stagedCap === null ? `twice its units, at least ${formatCount(STAGING_CAP_FLOOR)}` : formatCount(site.stagedCap)} staged units). Confirm or delete staged units in{' '}
          <a href={`/admin/equipment?site=${site.id}&status=staged`}>Equipment</a>, or raise the cap under <a href={`/admin/sites/${site.id}/edit`}>Edit</a>.
        </div>
      )}
      <div class="panel-grid">
        <Card title="Details">
          <dl class="details">
            <Detail label="Location">{siteLocation(site) || <span class="muted">—</span>}</Detail>
            <Detail label="Timezone">{site.timezone}</Detail>
            <Detail label="Capacity">{site.capacityKw === null ? <span class="muted">—</span> : `${formatCount(site.capacityKw)} kW`}</Detail>
            <Detail label="Energy cost">
              {site.energyCostMicrosPerKwh === null ? (
                <span class="muted">Host default</span>
              ) : (
                `${microsToDecimal(site.energyCostMicrosPerKwh)} ${session.host.defaultCurrency}/kWh`
              )}
            </Detail>
            <Detail label="Agent">
              <AgentConnectionText agent={site.agent} timezone={tz} />
            </Detail>
          </dl>
        </Card>
        <LiveSummaryCard siteId={props.site.id} summary={props.summary} liveUnavailable={props.liveUnavailable} timezone={tz} />
      </div>
      <SegmentsCard site={site} values={props.segmentForm?.values} errors={props.segmentForm?.errors} />
      <AgentsCard session={session} site={site} agents={props.agents} issued={props.issued} origin={props.origin} errors={props.agentErrors} />
    </AdminLayout>
  );
}
