import { h } from '#jsx';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { documentsRequiredForKind } from '../legal/service';
import { AppError, notFound, ValidationError } from '../lib/errors';
import { readForm, redirectAfterPost } from '../lib/http';
import { platformOrigin } from '../portal/links';
import { acceptQuote, declineQuote, markViewed, quoteByToken, todayIn } from '../quotes/service';
import { portalHref } from '../../views/layouts/portal';
import { PublicQuotePage } from '../../views/pages/quotes/pages';

type Ctx = Context<AppEnv>;

/** The Host OS origin for the host's emails: this request's when it came to the platform. */
function adminOrigin(c: Ctx) {
  const url = new URL(c.req.url);
  return url.hostname === c.env.APP_HOST.toLowerCase() ? url.origin : platformOrigin(c.env);
}

/**
 * The quote a link opens: only within the host this portal address resolved to (a token of host
 * A is unknown on host B's domain or slug), never in View Portal, never while still a draft.
 */
async function loadQuote(c: Ctx) {
  const portal = c.get('portal');
  if (portal.preview) throw notFound('Quote');
  const today = todayIn(portal.host.timezone);
  const quote = await quoteByToken(getDb(c.env.DB), portal.host.id, c.req.param('token') ?? '', today);
  if (!quote || quote.status === 'draft') throw notFound('Quote');
  c.header('Cache-Control', 'private, no-store');
  c.header('Referrer-Policy', 'no-referrer');
  return { portal, quote, today };
}

export const publicQuoteRoutes = new Hono<AppEnv>()
  .get('/:token', async (c) => {
    const { portal, quote } = await loadQuote(c);
    const db = getDb(c.env.DB);
    await markViewed(db, c.env, portal.host, quote, adminOrigin(c));
    const agreements = await documentsRequiredForKind(db, portal.host.id, quote.kind);
    const done = c.req.query('done');
    return c.html(<PublicQuotePage portal={portal} quote={quote} token={c.req.param('token')} agreements={agreements} done={done === 'accepted' || done === 'declined' ? done : undefined} />);
  })
  .post('/:token/accept', async (c) => {
    const { portal, quote, today } = await loadQuote(c);
    const db = getDb(c.env.DB);
    const token = c.req.param('token');
    const form = await readForm(c);
    const agreements = await documentsRequiredForKind(db, portal.host.id, quote.kind);
    try {
      await acceptQuote(db, c.env, portal.host, quote, { name: form.name ?? '', title: form.title ?? '', ...(form.agree ? { agree: form.agree } : {}) }, { ip: c.req.header('CF-Connecting-IP') ?? null, url: c.req.url, adminOrigin: adminOrigin(c) }, today);
    } catch (error) {
      if (error instanceof ValidationError) {
        return c.html(<PublicQuotePage portal={portal} quote={quote} token={token} agreements={agreements} errors={error.fields} values={form} />, 422);
      }
      if (error instanceof AppError && error.code === 'conflict') {
        const fresh = (await quoteByToken(db, portal.host.id, token, today)) ?? quote;
        return c.html(<PublicQuotePage portal={portal} quote={fresh} token={token} agreements={agreements} message={error.message} />, 409);
      }
      throw error;
    }
    return redirectAfterPost(c, portalHref(portal, `/quote/${token}?done=accepted`));
  })
  .post('/:token/decline', async (c) => {
    const { portal, quote } = await loadQuote(c);
    const db = getDb(c.env.DB);
    const token = c.req.param('token');
    const form = await readForm(c);
    try {
      await declineQuote(db, c.env, portal.host, quote, { reason: form.reason ?? '' }, adminOrigin(c));
    } catch (error) {
      if (!(error instanceof AppError) || error.code === 'internal') throw error;
      const agreements = await documentsRequiredForKind(db, portal.host.id, quote.kind);
      return c.html(<PublicQuotePage portal={portal} quote={quote} token={token} agreements={agreements} message={error.message} />, error.status === 422 ? 422 : 409);
    }
    return redirectAfterPost(c, portalHref(portal, `/quote/${token}?done=declined`));
  });
