import { h } from '#jsx';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { getCustomer, type CustomerDetail } from '../customers/service';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { assignEquipment, listMiners, modelOptions, unassignEquipment, type AssignmentResult } from '../equipment/service';
import { staffActor } from '../hosts/service';
import { ValidationError, type FieldErrors } from '../lib/errors';
import { siteOptions } from '../sites/service';
import { CustomerShell } from '../../views/pages/customers/detail';
import { AssignEquipmentPanel, CustomerEquipmentPanel } from '../../views/pages/customers/equipment';
import { HashrateChart } from '../../views/components/chart';
import { fleetIndexOf, fleetSitesQuery, HISTORY_SPAN_MS } from '../telemetry/fleet';
import { readCustomerHistory, tolerantLive } from '../live/client';
import { unavailableSites } from '../live/outage';
import { LiveUnavailableNotice } from '../../views/components/live-unavailable';
import { parseEquipmentFilters, serviceQuery } from './admin-equipment';

/** Every value of a repeated form field (checkboxes), however the form was encoded. */
async function formList(c: Context<AppEnv>, name: string): Promise<string[]> {
  const body = await c.req.parseBody({ all: true });
  const value = body[name];
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.filter((v): v is string => typeof v === 'string');
}

/** Customer → Equipment tab: the customer's units (live columns), a page at a time. */
export async function customerEquipmentPanel(
  c: Context<AppEnv>,
  customer: CustomerDetail,
  extra: { report?: { result: AssignmentResult; verb: 'assigned' | 'unassigned' }; errors?: FieldErrors } = {},
) {
  const session = c.get('staff');
  const query = c.req.method === 'GET' ? c.req.query() : {};
  const db = getDb(c.env.DB);
  const live = tolerantLive(c.env);
  // The page's units, and the whole fleet's ids per site (one row per site) for its chart.
  const [page, siteRows] = await Promise.all([
    listMiners(db, live, session.host.id, {
      customer: customer.id,
      sort: 'serial',
      ...(query.cursor ? { cursor: query.cursor } : {}),
      ...(query.before ? { before: query.before } : {}),
    }),
    fleetSitesQuery(db, session.host.id, customer.id).all(),
  ]);
  const pageHref = (cursor: { cursor?: string; before?: string }) =>
    `/admin/customers/${customer.id}/equipment?${new URLSearchParams(cursor as Record<string, string>).toString()}`;
  // The whole fleet's 24 hours, not just this page's units: one RPC per site.
  const fleet = fleetIndexOf(siteRows);
  const unitCount = fleet.unitCount;
  const now = Date.now();
  const history = unitCount > 0 ? await readCustomerHistory(live, fleet.sites, customer.id, now - HISTORY_SPAN_MS) : [];
  const liveUnavailable = await unavailableSites(db, session.host.id, live.outage);
  const nominalThs = fleet.nominalMths / 1000;
  const selfHref = `/admin/customers/${customer.id}/equipment${query.cursor || query.before ? `?${new URLSearchParams(query.cursor ? { cursor: query.cursor } : { before: query.before ?? '' }).toString()}` : ''}`;
  return (
    <div id="customer-equipment-live" hx-get={selfHref} hx-trigger="every 15s" hx-target="this" hx-swap="outerHTML">
      <LiveUnavailableNotice sites={liveUnavailable} />
      {unitCount > 0 && (
        <section class="card">
          <HashrateChart
            id="customer-fleet-chart"
            points={history}
            endMs={now}
            timezone={session.host.timezone}
            nominalThs={nominalThs || null}
            title={`${customer.name}: hashrate of ${unitCount} assigned ${unitCount === 1 ? 'unit' : 'units'}, last 24 hours`}
          />
        </section>
      )}
      <CustomerEquipmentPanel customerId={customer.id} page={page} pageHref={pageHref} {...extra} />
    </div>
  );
}

async function assignPanel(c: Context<AppEnv>, customer: CustomerDetail, extra: { report?: AssignmentResult; errors?: FieldErrors } = {}) {
  const session = c.get('staff');
  const db = getDb(c.env.DB);
  const query = c.req.method === 'GET' ? c.req.query() : {};
  const parsed = parseEquipmentFilters(query);
  // Only staged or unassigned units are offered; any other status filter means "both".
  const filters = { ...parsed, status: parsed.status === 'staged' || parsed.status === 'unassigned' ? parsed.status : ('' as const), customer: '' };
  const [page, sites, models] = await Promise.all([
    listMiners(db, c.env, session.host.id, serviceQuery(filters, { cursor: query.cursor, before: query.before, limit: 100 }), 'assignable'),
    siteOptions(db, session.host.id),
    modelOptions(db, session.host.id),
  ]);
  return (
    <AssignEquipmentPanel
      customerId={customer.id}
      customerName={customer.name}
      page={page}
      filters={filters}
      options={{ sites, models, customers: [] }}
      {...extra}
    />
  );
}

/**
 * Assigning equipment from the customer's page. Each handler resolves the customer within the
 * session's host first (another host's customer is a 404); the services guard every unit.
 */
export const adminCustomerEquipmentRoutes = new Hono<AppEnv>()
  .get('/:id/equipment/assign', async (c) => {
    const session = c.get('staff');
    const customer = await getCustomer(getDb(c.env.DB), session.host.id, c.req.param('id'), session.siteIds);
    return c.html(
      <CustomerShell session={session} customer={customer} tab="equipment">
        {await assignPanel(c, customer)}
      </CustomerShell>,
    );
  })
  .post('/:id/equipment/assign', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const customer = await getCustomer(db, session.host.id, c.req.param('id'), session.siteIds);
    const ids = await formList(c, 'miner_ids');
    try {
      const result = await assignEquipment(db, session.host.id, staffActor(session), customer.id, { miner_ids: ids });
      // The result is shown in this response: which units were assigned and which could not be.
      return c.html(
        <CustomerShell session={session} customer={customer} tab="equipment">
          {await customerEquipmentPanel(c, customer, { report: { result, verb: 'assigned' } })}
        </CustomerShell>,
      );
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return c.html(
        <CustomerShell session={session} customer={customer} tab="equipment">
          {await assignPanel(c, customer, { errors: error.fields })}
        </CustomerShell>,
        422,
      );
    }
  })
  .post('/:id/equipment/unassign', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const customer = await getCustomer(db, session.host.id, c.req.param('id'), session.siteIds);
    const ids = await formList(c, 'miner_ids');
    try {
      const result = await unassignEquipment(db, session.host.id, staffActor(session), customer.id, { miner_ids: ids });
      return c.html(
        <CustomerShell session={session} customer={customer} tab="equipment">
          {await customerEquipmentPanel(c, customer, { report: { result, verb: 'unassigned' } })}
        </CustomerShell>,
      );
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return c.html(
        <CustomerShell session={session} customer={customer} tab="equipment">
          {await customerEquipmentPanel(c, customer, { errors: error.fields })}
        </CustomerShell>,
        422,
      );
    }
  });
