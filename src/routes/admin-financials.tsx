import { h } from '#jsx';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { invoicesCsv, loadCustomerFinancials, paymentsCsv } from '../billing/financials';
import { applyCreditFormToInput, creditFormToInput, paymentFormToInput } from '../billing/payment-schema';
import { addCredit, applyCredit, recordPayment } from '../billing/payments';
import { autoCloseSettled } from '../default/service';
import { zonedDate } from '../billing/periods';
import { getCustomer, type CustomerDetail } from '../customers/service';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { staffActor } from '../hosts/service';
import { readForm, redirectAfterPost } from '../lib/http';
import { CustomerShell } from '../../views/pages/customers/detail';
import { FinancialsPanel, NOTICES, type FinancialsForms } from '../../views/pages/customers/financials';
import { handleForm } from './forms';

type Ctx = Context<AppEnv>;

/** The customer (404 unless it is this host's) and its billing currency. */
async function resolve(c: Ctx) {
  const session = c.get('staff');
  const db = getDb(c.env.DB);
  const customer = await getCustomer(db, session.host.id, c.req.param('id') ?? '', session.siteIds);
  return { session, db, customer, currency: customer.billingCurrency ?? session.host.defaultCurrency };
}

async function financialsPage(c: Ctx, customer: CustomerDetail, currency: string, forms?: FinancialsForms) {
  const session = c.get('staff');
  const today = zonedDate(Date.now(), session.host.timezone);
  const financials = await loadCustomerFinancials(getDb(c.env.DB), session.host.id, customer.id, today);
  return (
    <CustomerShell session={session} customer={customer} tab="financials">
      <FinancialsPanel
        customerId={customer.id}
        customerCurrency={currency}
        financials={financials}
        timezone={session.host.timezone}
        forms={forms}
        notice={c.req.method === 'GET' ? NOTICES[c.req.query('done') ?? ''] : undefined}
      />
    </CustomerShell>
  );
}

async function csvResponse(c: Ctx, kind: 'invoices' | 'payments') {
  const { session, db, customer } = await resolve(c);
  const financials = await loadCustomerFinancials(db, session.host.id, customer.id, zonedDate(Date.now(), session.host.timezone));
  c.header('Content-Type', 'text/csv; charset=utf-8');
  c.header('Content-Disposition', `attachment; filename="${kind}-${customer.id}.csv"`);
  return c.body(kind === 'invoices' ? invoicesCsv(financials) : paymentsCsv(financials));
}

/**
 * Customer → Financials (staff). Mounted on /admin/customers before the customer routes, so the
 * generic tab dispatcher never sees /:id/financials. Every action resolves the customer first:
 * another host's id is a 404, never a form with errors.
 */
export const adminFinancialsRoutes = new Hono<AppEnv>()
  .get('/:id/financials', async (c) => {
    const { customer, currency } = await resolve(c);
    return c.html(await financialsPage(c, customer, currency));
  })
  .get('/:id/financials/invoices.csv', (c) => csvResponse(c, 'invoices'))
  .get('/:id/financials/payments.csv', (c) => csvResponse(c, 'payments'))
  .post('/:id/financials/payments', async (c) => {
    const { session, db, customer, currency } = await resolve(c);
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await recordPayment(db, session.host.id, staffActor(session), customer.id, paymentFormToInput(form));
        // A payment that clears the overdue balance closes the default at once (the cron would, later).
        await autoCloseSettled(db, c.env, session.host.id, { customerId: customer.id });
        return redirectAfterPost(c, `/admin/customers/${customer.id}/financials?done=payment`);
      },
      async (errors) => {
        const page = await financialsPage(c, customer, currency, { payment: { values: paymentFormToInput(form), errors } });
        return { fragment: page, page };
      },
    );
  })
  .post('/:id/financials/credits', async (c) => {
    const { session, db, customer, currency } = await resolve(c);
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await addCredit(db, session.host.id, staffActor(session), customer.id, creditFormToInput(form));
        return redirectAfterPost(c, `/admin/customers/${customer.id}/financials?done=credit`);
      },
      async (errors) => {
        const page = await financialsPage(c, customer, currency, { credit: { values: creditFormToInput(form), errors } });
        return { fragment: page, page };
      },
    );
  })
  .post('/:id/financials/apply-credit', async (c) => {
    const { session, db, customer, currency } = await resolve(c);
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await applyCredit(db, session.host.id, staffActor(session), customer.id, applyCreditFormToInput(form));
        return redirectAfterPost(c, `/admin/customers/${customer.id}/financials?done=applied`);
      },
      async (errors) => {
        const page = await financialsPage(c, customer, currency, { apply: { values: applyCreditFormToInput(form), errors } });
        return { fragment: page, page };
      },
    );
  });
