import { h } from '#jsx';
import { disputesForInvoice } from '../support/service';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { can, requireThat } from '../auth/permissions';
import {
  billingCustomerOptions,
  createCorrectedInvoice,
  discardDraft,
  generateInvoice,
  getInvoiceDocument,
  invoicesCsvRows,
  issueInvoice,
  listInvoices,
  previewInvoice,
  voidInvoice,
  type InvoiceListFilters,
} from '../billing/invoices';
import { isPeriodKey } from '../billing/periods';
import { removeUnitFee, setUnitFees } from '../billing/unit-fees';
import { csvCell } from '../customers/csv';
import { getDb } from '../db/client';
import { INVOICE_STATUSES } from '../db/schema';
import type { AppEnv } from '../env';
import { staffActor } from '../hosts/service';
import { ValidationError, type FieldErrors } from '../lib/errors';
import { isHtmx, readForm, redirectAfterPost } from '../lib/http';
import { BaseLayout } from '../../views/layouts/base';
import { InvoiceDocumentView } from '../../views/pages/invoices/document';
import { InvoiceDetailPage, InvoiceListPage, InvoiceResults, NewInvoicePage } from '../../views/pages/invoices/staff';
import type { UnitFeeValues } from '../../views/pages/invoices/unit-fees';
import { handleForm } from './forms';

type Ctx = Context<AppEnv>;

function listFilters(query: Record<string, string>): InvoiceListFilters {
  const status = query.status === 'open' || (INVOICE_STATUSES as readonly string[]).includes(query.status ?? '') ? query.status : undefined;
  const page = Number(query.page);
  return {
    q: query.q?.trim() || undefined,
    status,
    customerId: query.customer_id || undefined,
    period: query.period && isPeriodKey(query.period) ? query.period : undefined,
    page: Number.isInteger(page) && page > 0 ? page : 1,
  };
}

/** The saved logo as staff pages show it (the key in the query changes with every upload). */
const staffLogo = (logoKey: string | null) => (logoKey ? `/admin/settings/branding/logo?v=${encodeURIComponent(logoKey.split('/').pop()!)}` : null);

const NOTICES: Record<string, string> = {
  generated: 'Draft generated. Check it, then issue it.',
  regenerated: 'Draft regenerated from the latest contracts and usage.',
  unchanged: 'This period’s invoice is already issued; it was left as it is.',
  issued: 'Invoice issued.',
  voided: 'Invoice voided.',
  fees: 'Fixed fee saved: the units are billed it instead of energy for this period.',
  fee_removed: 'Fixed fee removed: the unit is billed from its energy again (or blocks, while its energy is unknown).',
};

type FeeForm = { values: UnitFeeValues; errors: FieldErrors };

async function detailPage(c: Ctx, invoiceId: string, extra: { errors?: Record<string, string>; fee?: FeeForm } = {}) {
  const session = c.get('staff');
  const db = getDb(c.env.DB);
  const [doc, disputes] = await Promise.all([getInvoiceDocument(db, session.host.id, invoiceId), disputesForInvoice(db, session.host.id, invoiceId)]);
  // A draft shows what still blocks it (and the fixed-fee choice), computed as a regeneration would.
  const draftPreview = doc.invoice.status === 'draft' ? await previewInvoice(db, session.host.id, doc.invoice.customerId, doc.invoice.periodKey) : undefined;
  const notice = c.req.method === 'GET' ? NOTICES[c.req.query('done') ?? ''] : undefined;
  return <InvoiceDetailPage session={session} doc={doc} logoSrc={staffLogo(doc.issuer.logoKey)} notice={notice} errors={extra.errors} disputes={disputes} draftPreview={draftPreview} fee={extra.fee} />;
}

/** Every value of a repeated form field (the units' checkboxes), and the last of each other field. */
async function feeForm(c: Ctx): Promise<{ fields: Record<string, string>; minerIds: string[] }> {
  const body = await c.req.parseBody({ all: true });
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (typeof last === 'string') fields[key] = last;
  }
  const raw = body.miner_ids;
  const minerIds = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((v): v is string => typeof v === 'string').slice(0, 500);
  return { fields, minerIds };
}

/** After a fee change: the regenerated draft when there is one, else the preview. */
function afterFeeChange(c: Ctx, customerId: string, periodKey: string, draftId: string | null, done: string) {
  if (draftId) return redirectAfterPost(c, `/admin/invoices/${draftId}?done=${done}`);
  return redirectAfterPost(c, `/admin/invoices/new?customer_id=${encodeURIComponent(customerId)}&period=${encodeURIComponent(periodKey)}&done=${done}`);
}

/** A refused fee form, back on the page it was posted from (the draft's, else the preview). */
async function feeFormPage(c: Ctx, customerId: string, periodKey: string, from: string, fee: FeeForm) {
  const session = c.get('staff');
  const db = getDb(c.env.DB);
  const preview = isPeriodKey(periodKey) ? await previewInvoice(db, session.host.id, customerId, periodKey) : null;
  if (from === 'draft' && preview?.existing?.status === 'draft') return detailPage(c, preview.existing.id, { fee });
  const customers = await billingCustomerOptions(db, session.host.id);
  return <NewInvoicePage session={session} customers={customers} values={{ customer_id: customerId, period: periodKey }} preview={preview} fee={fee} />;
}

/** Host OS → Invoices: list, preview/generate, detail with issue/void, printable copy, CSV. */
export const adminInvoiceRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const filters = listFilters(c.req.query());
    const [list, customers] = await Promise.all([listInvoices(db, session.host.id, filters), billingCustomerOptions(db, session.host.id)]);
    if (isHtmx(c) && c.req.header('HX-Target') === 'invoice-results') return c.html(<InvoiceResults {...list} filters={filters} />);
    return c.html(<InvoiceListPage session={session} list={list} filters={filters} customers={customers} />);
  })
  .get('/export.csv', async (c) => {
    const session = c.get('staff');
    const rows = await invoicesCsvRows(getDb(c.env.DB), session.host.id, { ...listFilters(c.req.query()), page: undefined });
    const date = new Date().toISOString().slice(0, 10);
    return c.body(`${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`, 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="invoices-${date}.csv"`,
      'Cache-Control': 'no-store',
    });
  })
  .get('/new', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const values = { customer_id: c.req.query('customer_id') ?? '', period: c.req.query('period') ?? '' };
    const customers = await billingCustomerOptions(db, session.host.id);
    if (!values.customer_id && !values.period) return c.html(<NewInvoicePage session={session} customers={customers} values={values} preview={null} />);
    const errors: Record<string, string> = {};
    if (!customers.some((cu) => cu.id === values.customer_id)) errors.customer_id = 'Choose a customer.';
    if (!isPeriodKey(values.period)) errors.period = 'Enter a month as YYYY-MM, e.g. 2026-11.';
    if (Object.keys(errors).length > 0) return c.html(<NewInvoicePage session={session} customers={customers} values={values} errors={errors} preview={null} />, 422);
    const preview = await previewInvoice(db, session.host.id, values.customer_id, values.period);
    return c.html(<NewInvoicePage session={session} customers={customers} values={values} preview={preview} notice={NOTICES[c.req.query('done') ?? '']} />);
  })
  .post('/unit-fees', async (c) => {
    const session = c.get('staff');
    requireThat(can.manageInvoices(session.role), 'Only an owner or admin can set fixed fees.');
    const { fields, minerIds } = await feeForm(c);
    const db = getDb(c.env.DB);
    const customerId = fields.customer_id ?? '';
    const periodKey = fields.period ?? '';
    const values: UnitFeeValues = { miner_ids: minerIds, all_blocked: fields.all_blocked === '1', fee: fields.fee ?? '', note: fields.note ?? '' };
    return handleForm(
      c,
      async () => {
        const result = await setUnitFees(db, session.host.id, staffActor(session), { customerId, periodKey, minerIds, allBlocked: values.all_blocked, fee: values.fee, note: values.note });
        return afterFeeChange(c, customerId, result.preview.period.key, result.draft?.invoice.id ?? null, 'fees');
      },
      async (errors) => {
        const page = await feeFormPage(c, customerId, periodKey, fields.from ?? 'preview', { values, errors });
        return { fragment: page, page };
      },
    );
  })
  .post('/unit-fees/remove', async (c) => {
    const session = c.get('staff');
    requireThat(can.manageInvoices(session.role), 'Only an owner or admin can remove fixed fees.');
    const form = await readForm(c);
    const customerId = form.customer_id ?? '';
    const result = await removeUnitFee(getDb(c.env.DB), session.host.id, staffActor(session), customerId, form.period ?? '', form.miner_id ?? '');
    return afterFeeChange(c, customerId, result.preview.period.key, result.draft?.invoice.id ?? null, 'fee_removed');
  })
  .post('/', async (c) => {
    const session = c.get('staff');
    requireThat(can.manageInvoices(session.role), 'Only an owner or admin can generate invoices.');
    const form = await readForm(c);
    const db = getDb(c.env.DB);
    return handleForm(
      c,
      async () => {
        const customers = await billingCustomerOptions(db, session.host.id);
        if (!customers.some((cu) => cu.id === form.customer_id)) throw new ValidationError({ customer_id: 'Choose a customer.' });
        const result = await generateInvoice(db, session.host.id, form.customer_id!, form.period ?? '', staffActor(session));
        const done = result.outcome === 'created' ? 'generated' : result.outcome;
        return redirectAfterPost(c, `/admin/invoices/${result.invoice.id}?done=${done}`);
      },
      async (errors) => {
        const customers = await billingCustomerOptions(db, session.host.id);
        const page = <NewInvoicePage session={session} customers={customers} values={{ customer_id: form.customer_id ?? '', period: form.period ?? '' }} errors={errors} preview={null} />;
        return { fragment: page, page };
      },
    );
  })
  .get('/:id', async (c) => c.html(await detailPage(c, c.req.param('id'))))
  .get('/:id/print', async (c) => {
    const session = c.get('staff');
    const doc = await getInvoiceDocument(getDb(c.env.DB), session.host.id, c.req.param('id'));
    return c.html(
      <BaseLayout title={`${doc.invoice.number ?? 'Draft invoice'} · ${doc.issuer.name}`} bodyClass="print-page">
        <main id="main">
          <p class="no-print">
            <a href={`/admin/invoices/${doc.invoice.id}`}>← Back to the invoice</a> · Use your browser's Print (Ctrl+P / ⌘P) to save it as a PDF.
          </p>
          <InvoiceDocumentView doc={doc} logoSrc={staffLogo(doc.issuer.logoKey)} audience="staff" evidenceHref={(lineId) => `/admin/invoices/${doc.invoice.id}/lines/${lineId}/evidence.csv`} />
        </main>
      </BaseLayout>,
    );
  })
  .post('/:id/issue', async (c) => {
    const session = c.get('staff');
    requireThat(can.manageInvoices(session.role), 'Only an owner or admin can issue invoices.');
    const invoice = await issueInvoice(getDb(c.env.DB), { ...c.env, origin: new URL(c.req.url).origin }, session.host.id, c.req.param('id'), staffActor(session));
    return redirectAfterPost(c, `/admin/invoices/${invoice.id}?done=issued`);
  })
  .post('/:id/discard', async (c) => {
    const session = c.get('staff');
    requireThat(can.manageInvoices(session.role), 'Only an owner or admin can discard invoices.');
    await discardDraft(getDb(c.env.DB), session.host.id, c.req.param('id'), staffActor(session));
    return redirectAfterPost(c, '/admin/invoices');
  })
  .post('/:id/void', async (c) => {
    const session = c.get('staff');
    requireThat(can.manageInvoices(session.role), 'Only an owner or admin can void invoices.');
    const form = await readForm(c);
    const id = c.req.param('id');
    return handleForm(
      c,
      async () => {
        await voidInvoice(getDb(c.env.DB), session.host.id, id, form.reason ?? '', staffActor(session));
        return redirectAfterPost(c, `/admin/invoices/${id}?done=voided`);
      },
      async (errors) => {
        const page = await detailPage(c, id, { errors });
        return { fragment: page, page };
      },
    );
  })
  .post('/:id/correct', async (c) => {
    const session = c.get('staff');
    requireThat(can.manageInvoices(session.role), 'Only an owner or admin can correct invoices.');
    const result = await createCorrectedInvoice(getDb(c.env.DB), session.host.id, c.req.param('id'), staffActor(session));
    return redirectAfterPost(c, `/admin/invoices/${result.invoice.id}?done=generated`);
  });
