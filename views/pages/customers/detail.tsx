import { Fragment, h } from '#jsx';
import type { Child } from 'hono/jsx';
import type { ActivityEntry } from '../../../src/activity/service';
import type { StaffSession } from '../../../src/auth/staff-session';
import type { CustomerDetail, CustomerOverview } from '../../../src/customers/service';
import { Card, EmptyState } from '../../components/form';
import { StatusBar } from '../../components/status';
import { Time } from '../../components/time';
import { AdminLayout, PageHeader } from '../../layouts/admin';
import { TableWrap } from '../../components/table';

export const CUSTOMER_TABS = [
  { key: 'overview', label: 'Overview' },
  { key: 'contracts', label: 'Contracts' },
  { key: 'equipment', label: 'Equipment' },
  { key: 'usage', label: 'Usage' },
  { key: 'financials', label: 'Financials' },
  { key: 'default-status', label: 'Default status' },
  { key: 'activity', label: 'Activity' },
  { key: 'legal', label: 'Legal' },
  { key: 'team', label: 'Team' },
  { key: 'support', label: 'Support' },
] as const;
export type CustomerTab = (typeof CUSTOMER_TABS)[number]['key'];

const tabHref = (customerId: string, tab: CustomerTab) =>
  tab === 'overview' ? `/admin/customers/${customerId}` : `/admin/customers/${customerId}/${tab}`;

export function CustomerShell(props: { session: StaffSession; customer: CustomerDetail; tab: CustomerTab; children: Child }) {
  const { customer } = props;
  return (
    <AdminLayout session={props.session} title={customer.name} area="customers">
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/admin/customers">Customers</a> / <span>{customer.name}</span>
      </nav>
      <PageHeader
        title={customer.name}
        subtitle={customer.companyName ?? undefined}
        actions={
          <>
            <form method="post" action={`/admin/customers/${customer.id}/view-portal`}>
              <button type="submit" class="btn">
                View Portal
              </button>
            </form>
            <a class="btn btn-primary" href={`/admin/customers/${customer.id}/edit`}>
              Edit
            </a>
          </>
        }
      />
      <StatusBar status={customer.status} defaultReason={customer.defaultReason} />
      <nav class="tabs" aria-label="Customer sections">
        {CUSTOMER_TABS.map((tab) => (
          <a href={tabHref(customer.id, tab.key)} aria-current={props.tab === tab.key ? 'page' : undefined}>
            {tab.label}
          </a>
        ))}
      </nav>
      <div class="tab-panel">{props.children}</div>
    </AdminLayout>
  );
}

function Detail(props: { label: string; children: Child }) {
  return (
    <div class="detail-row">
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

export function CustomerOverviewPanel(props: { customer: CustomerDetail; overview: CustomerOverview; hostDefaultCurrency: string }) {
  const { customer, overview } = props;
  return (
    <>
      <div class="summary-cards">
        <div class="summary-card">
          <span class="summary-label">Active contracts</span>
          <span class="summary-value" data-testid="active-contracts">
            {overview.activeContracts}
          </span>
        </div>
        <div class="summary-card">
          <span class="summary-label">Assigned equipment</span>
          <span class="summary-value" data-testid="assigned-units">
            {overview.assignedUnits}
          </span>
          <span class="summary-unit">{overview.assignedUnits === 1 ? 'unit' : 'units'}</span>
        </div>
        {overview.omSites && (
          <div class="summary-card">
            <span class="summary-label">Assigned sites (O&amp;M)</span>
            <span class="summary-value" data-testid="om-sites">
              {overview.omSites.length}
            </span>
            <span class="summary-unit">{overview.omSites.map((site) => site.name).join(', ')}</span>
          </div>
        )}
      </div>
      <Card title="Contact information">
        <dl class="details">
          <Detail label="Contact email">
            <a href={`mailto:${customer.contactEmail}`}>{customer.contactEmail}</a>
          </Detail>
          <Detail label="Billing email">
            <span data-testid="effective-billing-email">{customer.effectiveBillingEmail}</span>
            {customer.billingEmail === null && <span class="muted"> (contact email; no separate billing email)</span>}
          </Detail>
          <Detail label="Phone">{customer.phone ?? <span class="muted">—</span>}</Detail>
          <Detail label="Company">{customer.companyName ?? <span class="muted">—</span>}</Detail>
          <Detail label="Billing currency">
            {customer.billingCurrency ?? (
              <>
                {props.hostDefaultCurrency} <span class="muted">(host default)</span>
              </>
            )}
          </Detail>
          <Detail label="Portal access">{customer.portalAccess ? 'On' : 'Off'}</Detail>
        </dl>
      </Card>
      {customer.notes && (
        <Card title="Internal notes">
          <p class="notes">{customer.notes}</p>
          <p class="muted small">Only your staff see these notes.</p>
        </Card>
      )}
    </>
  );
}

/** Tabs whose features arrive with later work: an honest empty state, not a fake table. */
const COMING: Partial<Record<CustomerTab, { title: string; body: string }>> = {
  contracts: { title: 'No contracts yet', body: "Hosting, lease, hashrate and O&M contracts will be listed here once contract management is available." },
  usage: { title: 'No usage recorded', body: 'Metered energy (kWh) and hashrate per hour will appear here once telemetry is connected.' },
  legal: { title: 'No legal documents', body: 'Agreements and their acceptances will appear here once legal documents are available.' },
};

export function ComingTabPanel(props: { tab: CustomerTab }) {
  const copy = COMING[props.tab];
  if (!copy) return null;
  return (
    <EmptyState title={copy.title}>
      <p>{copy.body}</p>
    </EmptyState>
  );
}

const FIELD_LABELS: Record<string, string> = {
  name: 'Customer name',
  company_name: 'Company name',
  contact_email: 'Contact email',
  billing_email: 'Billing email',
  phone: 'Phone',
  billing_currency: 'Billing currency',
  notes: 'Notes',
  active: 'Active Account',
  portal_access: 'Portal Access',
  team_name: 'Team name',
  unit: 'Unit',
  status: 'Status',
  serial: 'Serial',
  mac: 'MAC',
  ip: 'IP',
  vendor: 'Vendor',
  model: 'Model',
  firmware: 'Firmware',
  nominal_hashrate_ths: 'Nominal hashrate',
  nominal_power_w: 'Nominal power (W)',
  site: 'Site',
  rack_location: 'Rack location',
  method: 'Method',
  reference: 'Reference',
  received_on: 'Received on',
  amount: 'Amount',
  applied_to: 'Applied to',
  invoice: 'Invoice',
  kind: 'Kind',
  reason: 'Reason',
};

const ACTION_LABELS: Record<string, string> = {
  'customer.created': 'created the customer',
  'customer.updated': 'changed the customer',
  'invite.sent': 'sent a portal invitation',
  'invite.resent': 'resent a portal invitation',
  'invite.revoked': 'revoked a portal invitation',
  'member.joined': 'joined the portal team',
  'member.removed': 'removed a portal team member',
  'portal.viewed': 'viewed the portal (View Portal)',
  'equipment.assigned': 'assigned equipment',
  'equipment.unassigned': 'unassigned equipment',
  'miner.updated': 'changed an assigned unit',
  'payment.recorded': 'recorded a payment',
  'payment.allocated': 'applied a payment to an invoice',
  'credit.created': 'added credit',
  'credit.applied': 'applied credit to an invoice',
  'credit.invoiced': 'took credit into a new invoice',
  'contract.created': 'created a contract draft',
  'contract.updated': 'changed a contract',
  'contract.units_changed': 'changed a contract’s units',
  'contract.sites_changed': 'changed a contract’s sites',
  'contract.activated': 'activated a contract',
  'contract.extended': 'extended a lease',
  'contract.termination_scheduled': 'scheduled a contract’s termination',
  'contract.terminated': 'terminated a contract',
  'contract.expired': 'expired a contract (term ended)',
  'contract.renewed': 'renewed a contract (auto-renew)',
  'contract.deleted': 'deleted a contract draft',
  'ticket.opened': 'opened a support ticket',
  'ticket.replied': 'replied to a support ticket',
  'ticket.reopened': 'reopened a support ticket by replying',
  'ticket.noted': 'added an internal note to a support ticket',
  'ticket.status_changed': 'changed a support ticket’s status',
  'ticket.assigned': 'assigned a support ticket',
  'ticket.credited': 'resolved a disputed invoice line with credit',
  // Defaults and pool redirects (docs/DEFAULT.md).
  'invoice.overdue': 'marked an invoice overdue',
  'default.opened': 'opened a default case',
  'default.closed': 'closed the default case',
  'redirect.started': 'started a pool redirect',
  'redirect.ended': 'ended the pool redirect',
  'redirect.retried': 'retried the units the redirect could not switch',
  'redirect.unit_joined': 'added a newly assigned unit to the redirect',
  'redirect.unit_left': 'took a unit no longer assigned out of the redirect',
  'redirect.unit_confirmed': 'confirmed a unit on the holding pool',
  'redirect.unit_failed': 'reported a unit the redirect could not switch',
  'restore.unit_confirmed': 'confirmed a unit back on its recorded pool',
  'restore.unit_failed': 'reported a unit that could not be restored',
  'hashrate_credit.posted': 'posted credit for redirected hashrate',
  'customer.pool_change_notice_on': 'turned on pool change notices',
  'customer.pool_change_notice_off': 'turned off pool change notices',
};

function showValue(value: unknown) {
  if (value === null || value === undefined || value === '') return <span class="muted">(empty)</span>;
  if (typeof value === 'boolean') return value ? 'On' : 'Off';
  return String(value);
}

export function ActivityPanel(props: { entries: ActivityEntry[]; timezone: string; olderHref: string | null }) {
  if (props.entries.length === 0) {
    return (
      <EmptyState title="No activity yet">
        <p>Changes to this customer will be recorded here.</p>
      </EmptyState>
    );
  }
  return (
    <>
      <ol class="activity" data-testid="activity">
        {props.entries.map((entry) => (
          <li class="activity-entry">
            <div class="activity-head">
              <strong>{entry.actorLabel}</strong> {ACTION_LABELS[entry.action] ?? entry.action}
              {entry.actorKind === 'api_key' && <span class="muted"> (API)</span>}
              <span class="activity-time">
                <Time ms={entry.createdAt} timezone={props.timezone} />
              </span>
            </div>
            {entry.changes && Object.keys(entry.changes).some((field) => !field.startsWith('_')) && (
              <TableWrap label="Changes">
                <table class="table table-compact changes">
                  <thead>
                    <tr>
                      <th scope="col">Field</th>
                      <th scope="col">Before</th>
                      <th scope="col">After</th>
                    </tr>
                  </thead>
                  <tbody>
                    {/* Keys starting with "_" tie an entry to a record (a unit's id); they are not changes. */}
                    {Object.entries(entry.changes)
                      .filter(([field]) => !field.startsWith('_'))
                      .map(([field, [before, after]]) => (
                        <tr>
                          <td>{FIELD_LABELS[field] ?? field}</td>
                          <td>{showValue(before)}</td>
                          <td>{showValue(after)}</td>
                        </tr>
                      ))}
                  </tbody>
                </table>
              </TableWrap>
            )}
          </li>
        ))}
      </ol>
      {props.olderHref && (
        <a class="btn" href={props.olderHref}>
          Older activity
        </a>
      )}
    </>
  );
}
