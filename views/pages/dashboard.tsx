import { Fragment, h } from '#jsx';
import type { Child } from 'hono/jsx';
import type { StaffSession } from '../../src/auth/staff-session';
import { AGING_BUCKETS, AGING_LABELS } from '../../src/billing/financials';
import { formatMoney } from '../../src/billing/money';
import { CUSTOMER_STATUSES, STATUS_LABELS } from '../../src/customers/status';
import type { DashboardData } from '../../src/dashboard/service';
import { FLEET_STATUSES } from '../../src/telemetry/fleet';
import { formatHashrate, formatPower } from '../../src/lib/format';
import { Money } from '../components/billing';
import { TableWrap } from '../components/table';
import { HashrateChart } from '../components/chart';
import { Card } from '../components/form';
import { FLEET_STATUS_LABELS } from '../components/live';
import { LiveUnavailableNotice } from '../components/live-unavailable';
import type { UnavailableSite } from '../../src/live/outage';
import { AdminLayout, PageHeader } from '../layouts/admin';

/** A figure that is a link to the list behind it. */
function Figure(props: { label: string; href: string; testId: string; children: Child; note?: Child }) {
  return (
    <a class="summary-card figure-link" href={props.href} data-testid={props.testId}>
      <span class="summary-label">{props.label}</span>
      <span class="summary-value">{props.children}</span>
      {props.note && <span class="summary-unit">{props.note}</span>}
    </a>
  );
}

const moneyList = (items: { currency: string; minor: number }[], fallbackCurrency: string) =>
  items.length === 0 ? formatMoney(0, fallbackCurrency) : items.map((i) => formatMoney(i.minor, i.currency)).join(' · ');

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

export const OUTSTANDING_HREF = '/admin/invoices?status=open';
export const OVERDUE_HREF = '/admin/invoices?status=overdue';
export const ACTIVE_CONTRACTS_HREF = '/admin/contracts?status=active';

export function DashboardPage(props: { session: StaffSession; data: DashboardData; now: number; liveUnavailable?: readonly UnavailableSite[] }) {
  const { data, session } = props;
  const currency = session.host.defaultCurrency;
  const financialsHref = (customerId: string) => `/admin/customers/${customerId}/financials`;
  return (
    <AdminLayout session={session} title="Dashboard" area="dashboard">
      <PageHeader title="Dashboard" subtitle={`${session.host.name} today, ${data.today} (${session.host.timezone})`} />

      <section aria-labelledby="receivables-heading">
        <h2 id="receivables-heading">Receivables</h2>
        <div class="summary-cards">
          <Figure label="Outstanding" href={OUTSTANDING_HREF} testId="outstanding" note="owed on issued invoices">
            {moneyList(data.receivables.map((r) => ({ currency: r.currency, minor: r.outstandingMinor })), currency)}
          </Figure>
          <Figure label="Overdue" href={OVERDUE_HREF} testId="overdue" note="past the due date">
            {moneyList(data.receivables.map((r) => ({ currency: r.currency, minor: r.overdueMinor })), currency)}
          </Figure>
          <Figure
            label={`Billed this month (period ${data.billedPeriod.key})`}
            href={`/admin/invoices?period=${data.billedPeriod.key}`}
            testId="billed"
            note={`${plural(data.billed.reduce((n, b) => n + b.invoices, 0), 'invoice')} for ${data.billedPeriod.start} – ${data.billedPeriod.end}`}
          >
            {moneyList(data.billed.map((b) => ({ currency: b.currency, minor: b.totalMinor })), currency)}
          </Figure>
          <Figure
            label={`Expected this period (${data.currentPeriod.key})`}
            href={ACTIVE_CONTRACTS_HREF}
            testId="expected"
            note={`from ${plural(data.expected.reduce((n, e) => n + e.contracts, 0), 'active contract')}`}
          >
            {moneyList(data.expected.map((e) => ({ currency: e.currency, minor: e.totalMinor })), currency)}
          </Figure>
        </div>
        {data.receivables.length > 0 && (
          <Card title="Aging">
            <TableWrap label="Aging" wide>
              <table class="table table-compact" data-testid="aging">
                <thead>
                  <tr>
                    <th scope="col">Currency</th>
                    {AGING_BUCKETS.map((bucket) => (
                      <th scope="col" class="num">
                        {AGING_LABELS[bucket]}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {data.receivables.map((r) => (
                    <tr>
                      <th scope="row">{r.currency}</th>
                      {AGING_BUCKETS.map((bucket) => (
                        <td class="num" data-bucket={bucket}>
                          <a href={bucket === 'current' ? OUTSTANDING_HREF : OVERDUE_HREF}>
                            <Money minor={r.aging[bucket]} currency={r.currency} />
                          </a>
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          </Card>
        )}
        {data.topBalances.length > 0 && (
          <Card title="Largest balances">
            <TableWrap label="Largest balances" wide>
              <table class="table table-compact" data-testid="top-balances">
                <thead>
                  <tr>
                    <th scope="col">Customer</th>
                    <th scope="col" class="num">
                      Outstanding
                    </th>
                    <th scope="col" class="num">
                      Overdue
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.topBalances.map((b) => (
                    <tr>
                      <td>
                        <a href={financialsHref(b.customerId)}>{b.name}</a>
                      </td>
                      <td class="num">
                        <Money minor={b.outstandingMinor} currency={b.currency} />
                      </td>
                      <td class="num">
                        <Money minor={b.overdueMinor} currency={b.currency} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          </Card>
        )}
        {data.expected.length > 0 && (
          <Card title="Expected revenue, how it is estimated">
            <TableWrap label="Expected revenue" wide>
              <table class="table table-compact" data-testid="expected-breakdown">
                <thead>
                  <tr>
                    <th scope="col">Currency</th>
                    <th scope="col" class="num">
                      Fixed monthly fees
                    </th>
                    <th scope="col" class="num">
                      Infinity (TH/s × days × price)
                    </th>
                    <th scope="col" class="num">
                      Energy (estimate)
                    </th>
                    <th scope="col" class="num">
                      Total
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.expected.map((e) => (
                    <tr>
                      <th scope="row">{e.currency}</th>
                      <td class="num">
                        <Money minor={e.fixedMinor} currency={e.currency} />
                      </td>
                      <td class="num">
                        <Money minor={e.infinityMinor} currency={e.currency} />
                      </td>
                      <td class="num">
                        <Money minor={e.energyEstimateMinor} currency={e.currency} />
                      </td>
                      <td class="num">
                        <Money minor={e.totalMinor} currency={e.currency} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
            <p class="muted small">
              Active contracts over the whole period {data.currentPeriod.start} – {data.currentPeriod.end} ({data.currentPeriod.days} days), without proration or setup fees. Fixed fees: hosted fixed-per-unit and
              lease contracts bill their monthly fee × active units, O&amp;M its monthly fee. Per-kWh hosted contracts are estimated from their energy lines of the last period ({data.billedPeriod.key})
              {data.perKwhWithoutHistory > 0 && <>; {data.perKwhWithoutHistory} of them had no energy invoiced then and count as zero</>}. Tax is not included.
            </p>
          </Card>
        )}
      </section>

      <section aria-labelledby="fleet-heading">
        <h2 id="fleet-heading">Fleet</h2>
        <LiveUnavailableNotice sites={props.liveUnavailable} />
        <div class="summary-cards">
          <Figure label="Hashrate now" href="/admin/equipment" testId="hashrate">
            {formatHashrate(data.fleet.hashrateThs)}
          </Figure>
          <Figure label="Power now" href="/admin/equipment" testId="power">
            {formatPower(data.fleet.powerW)}
          </Figure>
          <Figure label="Units" href="/admin/equipment" testId="units">
            {data.fleet.miners}
          </Figure>
          <Figure label="Open alerts" href="/admin/alerts?state=open" testId="open-alerts">
            {data.openAlerts}
          </Figure>
        </div>
        <Card title="Units by live status">
          <ul class="status-counts" data-testid="units-by-status">
            {FLEET_STATUSES.map((status) => (
              <li>
                <a href={status === 'offline' ? '/admin/alerts?state=open&kind=offline' : '/admin/equipment'}>
                  {FLEET_STATUS_LABELS[status]}: <strong data-status={status}>{data.fleet.byStatus[status]}</strong>
                </a>
              </li>
            ))}
          </ul>
        </Card>
        <Card title="Fleet hashrate, last 24 hours">
          <HashrateChart
            id="dashboard-chart"
            points={data.history}
            endMs={props.now}
            timezone={session.host.timezone}
            nominalThs={data.fleet.nominalThs || null}
            title="Fleet hashrate, last 24 hours"
          />
        </Card>
      </section>

      <section aria-labelledby="customers-heading">
        <h2 id="customers-heading">Customers</h2>
        <div class="summary-cards">
          <Figure label="All customers" href="/admin/customers" testId="customers-all">
            {data.customersTotal}
          </Figure>
          {CUSTOMER_STATUSES.map((status) => (
            <Figure label={STATUS_LABELS[status]} href={`/admin/customers?status=${status}`} testId={`customers-${status}`}>
              {data.customersByStatus[status]}
            </Figure>
          ))}
        </div>
      </section>
    </AdminLayout>
  );
}
