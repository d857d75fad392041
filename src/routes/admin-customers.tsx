import { h } from '#jsx';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { listCustomerActivity } from '../activity/service';
import { customerFormToInput, CUSTOMER_SORTS, type CustomerSort } from '../customers/schema';
import { createCustomer, customerListReads, getCustomer, getCustomerOverview, listCustomers, updateCustomer, type CustomerDetail } from '../customers/service';
import { CUSTOMER_STATUSES, type CustomerStatus } from '../customers/status';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { notFound } from '../lib/errors';
import { isHtmx, readForm, redirectAfterPost } from '../lib/http';
import { pagePrefetch } from '../middleware/page-prefetch';
import { staffActor } from '../hosts/service';
import { CustomerForm, EMPTY_CUSTOMER_FORM, type CustomerFormValues } from '../../views/pages/customers/form';
import { CustomerFormPage } from '../../views/pages/customers/edit';
import {
  ActivityPanel,
  ComingTabPanel,
  CUSTOMER_TABS,
  CustomerOverviewPanel,
  CustomerShell,
  type CustomerTab,
} from '../../views/pages/customers/detail';
import { CustomerListPage, CustomerResults, type CustomerListFilters } from '../../views/pages/customers/list';
import { handleForm } from './forms';
import { customersCsv } from '../customers/csv';
import { listTeam, removeMember, setTeamName } from '../portal/accounts';
import { createInvite, listInvites, resendInvite, revokeInvite } from '../portal/invites';
import { recordPortalView } from '../portal/preview';
import { resolveHostById } from '../portal/tenant';
import { CustomerTeamPanel } from '../../views/pages/customers/team';
import { adminCustomerEquipmentRoutes, customerEquipmentPanel } from './admin-customer-equipment';

const formValuesOf = (customer: CustomerDetail): CustomerFormValues => ({
  name: customer.name,
  company_name: customer.companyName ?? '',
  contact_email: customer.contactEmail,
  billing_email: customer.billingEmail ?? '',
  phone: customer.phone ?? '',
  billing_currency: customer.billingCurrency ?? '',
  notes: customer.notes ?? '',
  active: customer.active,
  portal_access: customer.portalAccess,
});

/** What was posted, echoed back into a form that failed validation. */
const postedValues = (form: Record<string, string>): CustomerFormValues => {
  const input = customerFormToInput(form);
  return { ...EMPTY_CUSTOMER_FORM, ...(input as Partial<CustomerFormValues>) };
};

/** Query-string filters, tolerant of junk: an unknown status or sort falls back to the default. */
function listFilters(query: Record<string, string>): CustomerListFilters {
  const status = CUSTOMER_STATUSES.includes(query.status as CustomerStatus) ? (query.status as CustomerStatus) : '';
  const sort = CUSTOMER_SORTS.includes(query.sort as CustomerSort) ? (query.sort as CustomerSort) : 'name';
  return { q: (query.q ?? '').trim().slice(0, 200), status, sort };
}

const TEAM_NOTICES: Record<string, string> = {
  invited: 'Invitation sent.',
  resent: 'Invitation resent with a new link.',
  revoked: 'Invitation revoked.',
  removed: 'Team member removed; their session has ended.',
  named: 'Team name saved.',
};

async function teamPanel(
  c: Context<AppEnv>,
  customer: CustomerDetail,
  extra: { errors?: Record<string, string>; values?: { email: string; role: string } } = {},
) {
  const session = c.get('staff');
  const db = getDb(c.env.DB);
  const [members, invites, host] = await Promise.all([
    listTeam(db, session.host.id, customer.id),
    listInvites(db, session.host.id, customer.id),
    resolveHostById(db, session.host.id),
  ]);
  return (
    <CustomerTeamPanel
      customerId={customer.id}
      teamName={customer.teamName}
      members={members}
      invites={invites}
      hostSlug={host?.hostSlug ?? null}
      timezone={session.host.timezone}
      notice={TEAM_NOTICES[c.req.query('done') ?? '']}
      {...extra}
    />
  );
}

async function portalHostOf(c: Context<AppEnv>) {
  const host = await resolveHostById(getDb(c.env.DB), c.get('staff').host.id);
  if (!host) throw notFound();
  return host;
}

const staffInviter = (c: Context<AppEnv>) => {
  const session = c.get('staff');
  return { kind: 'staff' as const, id: session.user.id, label: session.user.name };
};

/** Host-side Team tab actions and View Portal; each checks the customer is this host's. */
const adminTeamRoutes = new Hono<AppEnv>()
  .post('/:id/team/name', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const customer = await getCustomer(db, session.host.id, c.req.param('id'), session.siteIds);
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await setTeamName(db, session.host.id, customer.id, staffActor(session), form);
        return redirectAfterPost(c, `/admin/customers/${customer.id}/team?done=named`);
      },
      async (errors) => {
        const page = (
          <CustomerShell session={session} customer={customer} tab="team">
            {await teamPanel(c, { ...customer, teamName: form.team_name ?? null }, { errors })}
          </CustomerShell>
        );
        return { fragment: page, page };
      },
    );
  })
  .post('/:id/team/invites', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const customer = await getCustomer(db, session.host.id, c.req.param('id'), session.siteIds);
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await createInvite(db, c.env, await portalHostOf(c), customer.id, staffInviter(c), form, c.req.url);
        return redirectAfterPost(c, `/admin/customers/${customer.id}/team?done=invited`);
      },
      async (errors) => {
        const page = (
          <CustomerShell session={session} customer={customer} tab="team">
            {await teamPanel(c, customer, { errors, values: { email: form.email ?? '', role: form.role ?? 'member' } })}
          </CustomerShell>
        );
        return { fragment: page, page };
      },
    );
  })
  .post('/:id/team/invites/:inviteId/resend', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const customer = await getCustomer(db, session.host.id, c.req.param('id'), session.siteIds);
    await resendInvite(db, c.env, await portalHostOf(c), customer.id, c.req.param('inviteId'), staffInviter(c), c.req.url);
    return redirectAfterPost(c, `/admin/customers/${customer.id}/team?done=resent`);
  })
  .post('/:id/team/invites/:inviteId/revoke', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const customer = await getCustomer(db, session.host.id, c.req.param('id'), session.siteIds);
    await revokeInvite(db, session.host.id, customer.id, c.req.param('inviteId'), staffActor(session));
    return redirectAfterPost(c, `/admin/customers/${customer.id}/team?done=revoked`);
  })
  .post('/:id/team/members/:memberId/remove', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const customer = await getCustomer(db, session.host.id, c.req.param('id'), session.siteIds);
    await removeMember(db, session.host.id, customer.id, c.req.param('memberId'), staffActor(session));
    return redirectAfterPost(c, `/admin/customers/${customer.id}/team?done=removed`);
  })
  .post('/:id/view-portal', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const customer = await getCustomer(db, session.host.id, c.req.param('id'), session.siteIds);
    await recordPortalView(db, session.host.id, customer.id, staffActor(session));
    return redirectAfterPost(c, `/admin/customers/${customer.id}/portal`);
  });

/** The list's service query from the URL (the same for the prefetch and the page). */
function customerListQuery(c: Context<AppEnv>) {
  const query = c.req.query();
  const filters = listFilters(query);
  return { q: filters.q || undefined, status: filters.status || undefined, sort: filters.sort, cursor: query.cursor, before: query.before };
}

/** The list's page and total travel with the session check (src/middleware/staff-auth.ts). */
export const customerListPrefetch = pagePrefetch((c, db, hostId: string) => customerListReads(db, hostId, customerListQuery(c)));

export const adminCustomerRoutes = new Hono<AppEnv>()
  .route('/', adminTeamRoutes)
  .route('/', adminCustomerEquipmentRoutes)
  .get('/', async (c) => {
    const session = c.get('staff');
    const filters = listFilters(c.req.query());
    // The prefetch reads for the host; a member limited to some sites reads through their scope instead.
    const page = (session.siteIds === null ? customerListPrefetch.take(c) : null) ?? (await listCustomers(getDb(c.env.DB), session.host.id, customerListQuery(c), session.siteIds));
    if (isHtmx(c) && c.req.header('HX-Target') === 'customer-results') {
      return c.html(<CustomerResults page={page} filters={filters} timezone={session.host.timezone} />);
    }
    return c.html(<CustomerListPage session={session} page={page} filters={filters} />);
  })
  .get('/export.csv', async (c) => {
    const session = c.get('staff');
    const filters = listFilters(c.req.query());
    const csv = await customersCsv(getDb(c.env.DB), session.host.id, { q: filters.q || undefined, status: filters.status || undefined, sort: filters.sort }, session.siteIds);
    c.header('Content-Type', 'text/csv; charset=utf-8');
    c.header('Content-Disposition', 'attachment; filename="customers.csv"');
    return c.body(csv);
  })
  .get('/new', (c) =>
    c.html(
      <CustomerFormPage
        session={c.get('staff')}
        title="Add Customer"
        action="/admin/customers"
        cancelHref="/admin/customers"
        submitLabel="Add Customer"
        values={EMPTY_CUSTOMER_FORM}
      />,
    ),
  )
  .post('/', async (c) => {
    const session = c.get('staff');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        const customer = await createCustomer(getDb(c.env.DB), session.host.id, staffActor(session), customerFormToInput(form));
        return redirectAfterPost(c, `/admin/customers/${customer.id}`);
      },
      (errors) => {
        const props = { action: '/admin/customers', cancelHref: '/admin/customers', submitLabel: 'Add Customer', values: postedValues(form), errors };
        return {
          fragment: <CustomerForm {...props} hostDefaultCurrency={session.host.defaultCurrency} />,
          page: <CustomerFormPage session={session} title="Add Customer" {...props} />,
        };
      },
    );
  })
  .get('/:id/edit', async (c) => {
    const session = c.get('staff');
    const customer = await getCustomer(getDb(c.env.DB), session.host.id, c.req.param('id'), session.siteIds);
    return c.html(
      <CustomerFormPage
        session={session}
        title={`Edit ${customer.name}`}
        action={`/admin/customers/${customer.id}`}
        cancelHref={`/admin/customers/${customer.id}`}
        submitLabel="Save changes"
        values={formValuesOf(customer)}
      />,
    );
  })
  .post('/:id', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const id = c.req.param('id');
    // Resolve first, so another host's id is a 404 rather than a form with errors.
    const customer = await getCustomer(db, session.host.id, id, session.siteIds);
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await updateCustomer(db, session.host.id, staffActor(session), id, customerFormToInput(form));
        return redirectAfterPost(c, `/admin/customers/${id}`);
      },
      (errors) => {
        const props = {
          action: `/admin/customers/${id}`,
          cancelHref: `/admin/customers/${id}`,
          submitLabel: 'Save changes',
          values: postedValues(form),
          errors,
        };
        return {
          fragment: <CustomerForm {...props} hostDefaultCurrency={session.host.defaultCurrency} />,
          page: <CustomerFormPage session={session} title={`Edit ${customer.name}`} {...props} />,
        };
      },
    );
  })
  .get('/:id/:tab?', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const tab = (c.req.param('tab') ?? 'overview') as CustomerTab;
    if (!CUSTOMER_TABS.some((t) => t.key === tab)) throw notFound();
    const customer = await getCustomer(db, session.host.id, c.req.param('id'), session.siteIds);
    let panel;
    if (tab === 'overview') {
      const overview = await getCustomerOverview(db, session.host.id, customer.id);
      panel = <CustomerOverviewPanel customer={customer} overview={overview} hostDefaultCurrency={session.host.defaultCurrency} />;
    } else if (tab === 'team') {
      panel = await teamPanel(c, customer);
    } else if (tab === 'equipment') {
      panel = await customerEquipmentPanel(c, customer);
      // The panel polls itself (live columns); a poll gets the panel alone, not the whole page.
      if (isHtmx(c) && c.req.header('HX-Target') === 'customer-equipment-live') return c.html(panel);
    } else if (tab === 'activity') {
      const before = Number(c.req.query('before'));
      const { entries, nextBeforeSeq } = await listCustomerActivity(db, session.host.id, customer.id, Number.isInteger(before) && before > 0 ? before : undefined);
      const olderHref = nextBeforeSeq ? `/admin/customers/${customer.id}/activity?before=${nextBeforeSeq}` : null;
      panel = <ActivityPanel entries={entries} timezone={session.host.timezone} olderHref={olderHref} />;
    } else {
      panel = <ComingTabPanel tab={tab} />;
    }
    return c.html(
      <CustomerShell session={session} customer={customer} tab={tab}>
        {panel}
      </CustomerShell>,
    );
  });
