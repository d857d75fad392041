import { h } from '#jsx';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { resolveHostById } from '../portal/tenant';
import { staffActor } from '../hosts/service';
import { AppError } from '../lib/errors';
import { readForm, redirectAfterPost } from '../lib/http';
import { createQuote, getQuote, isEditableQuote, listQuotes, quoteFigures, quoteFormToInput, quoteFormValues, quotesCsv, sendQuote, todayIn, updateQuote, type QuoteDetail, type QuoteStatus } from '../quotes/service';
import { QUOTE_STATUSES } from '../db/schema';
import { PrintableQuotePage, QuoteDetailPage, QuoteFormPage, QuotesListPage } from '../../views/pages/quotes/pages';
import { handleForm } from './forms';

const listFilters = (c: Context<AppEnv>) => {
  const status = c.req.query('status') ?? '';
  return { status: (QUOTE_STATUSES as readonly string[]).includes(status) ? status : '', q: (c.req.query('q') ?? '').trim().slice(0, 200) };
};

const editingOf = (quote: QuoteDetail) => ({ id: quote.id, number: quote.number, status: quote.status, prospectEmail: quote.prospectEmail });

/** Host OS → Quotes (mounted at /admin/quotes). */
export const adminQuoteRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const filters = listFilters(c);
    const today = todayIn(session.host.timezone);
    const [rows, figures] = await Promise.all([listQuotes(db, session.host.id, { status: (filters.status || undefined) as QuoteStatus | undefined, q: filters.q || undefined }, today), quoteFigures(db, session.host.id)]);
    return c.html(<QuotesListPage session={session} quotes={rows} figures={figures} filters={filters} />);
  })
  .get('/new', (c) => c.html(<QuoteFormPage session={c.get('staff')} values={{ currency: c.get('staff').host.defaultCurrency }} />))
  .post('/', async (c) => {
    const session = c.get('staff');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        const id = await createQuote(getDb(c.env.DB), session.host.id, { ...staffActor(session), email: session.user.email }, quoteFormToInput(form), todayIn(session.host.timezone));
        return redirectAfterPost(c, `/admin/quotes/${id}?created=1`);
      },
      (errors) => {
        const page = <QuoteFormPage session={session} values={form} errors={errors} />;
        return { fragment: page, page };
      },
    );
  })
  .get('/:id', async (c) => {
    const session = c.get('staff');
    const quote = await getQuote(getDb(c.env.DB), session.host.id, c.req.param('id'), todayIn(session.host.timezone));
    const notice = c.req.query('created')
      ? 'Draft saved. Send it when it is ready.'
      : c.req.query('edited')
        ? 'Changes saved. The quote is a draft again: send it when it is ready.'
        : c.req.query('sent')
          ? `Sent to ${quote.prospectEmail}.`
          : undefined;
    return c.html(<QuoteDetailPage session={session} quote={quote} notice={notice} />);
  })
  .get('/:id/edit', async (c) => {
    const session = c.get('staff');
    const quote = await getQuote(getDb(c.env.DB), session.host.id, c.req.param('id'), todayIn(session.host.timezone));
    if (!isEditableQuote(quote)) return c.html(<QuoteDetailPage session={session} quote={quote} error={`This quote was ${quote.status}: it can no longer be edited.`} />, 409);
    return c.html(<QuoteFormPage session={session} values={quoteFormValues(quote)} editing={editingOf(quote)} />);
  })
  .post('/:id', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const today = todayIn(session.host.timezone);
    const form = await readForm(c);
    try {
      return await handleForm(
        c,
        async () => {
          await updateQuote(db, session.host.id, staffActor(session), c.req.param('id'), quoteFormToInput(form), today);
          return redirectAfterPost(c, `/admin/quotes/${c.req.param('id')}?edited=1`);
        },
        async (errors) => {
          const quote = await getQuote(db, session.host.id, c.req.param('id'), today);
          const page = <QuoteFormPage session={session} values={form} errors={errors} editing={editingOf(quote)} />;
          return { fragment: page, page };
        },
      );
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'conflict') throw error;
      const quote = await getQuote(db, session.host.id, c.req.param('id'), today);
      return c.html(<QuoteDetailPage session={session} quote={quote} error={error.message} />, 409);
    }
  })
  .get('/:id/print', async (c) => {
    const session = c.get('staff');
    const quote = await getQuote(getDb(c.env.DB), session.host.id, c.req.param('id'), todayIn(session.host.timezone));
    return c.html(<PrintableQuotePage session={session} quote={quote} />);
  })
  .post('/:id/send', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const today = todayIn(session.host.timezone);
    try {
      await sendQuote(db, c.env, (await resolveHostById(db, session.host.id))!, staffActor(session), c.req.param('id'), c.req.url, today);
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'conflict') throw error;
      const quote = await getQuote(db, session.host.id, c.req.param('id'), today);
      return c.html(<QuoteDetailPage session={session} quote={quote} error={error.message} />, 409);
    }
    return redirectAfterPost(c, `/admin/quotes/${c.req.param('id')}?sent=1`);
  });

/** /admin/quotes.csv: the list's filters, every matching quote. */
export const adminQuoteCsvRoute = new Hono<AppEnv>().get('/', async (c) => {
  const session = c.get('staff');
  const filters = listFilters(c);
  const rows = await listQuotes(getDb(c.env.DB), session.host.id, { status: (filters.status || undefined) as QuoteStatus | undefined, q: filters.q || undefined }, todayIn(session.host.timezone));
  c.header('Content-Type', 'text/csv; charset=utf-8');
  c.header('Content-Disposition', 'attachment; filename="quotes.csv"');
  return c.body(quotesCsv(rows));
});
