import { Hono } from '../../lib/hono';
import type { Actor } from '../../activity/service';
import { getDb } from '../../db/client';
import { QUOTE_STATUSES } from '../../db/schema';
import type { AppEnv } from '../../env';
import { ValidationError } from '../../lib/errors';
import { readJsonObject } from '../../lib/http';
import { resolveHostById } from '../../portal/tenant';
import { createQuote, getQuote, listQuotes, sendQuote, serializeQuote, todayIn, updateQuote, type QuoteStatus } from '../../quotes/service';

async function hostOf(c: { env: AppEnv['Bindings'] }, hostId: string) {
  return (await resolveHostById(getDb(c.env.DB), hostId))!;
}

/** /api/v1/quotes: list, create, get, replace (before the prospect answers), send. */
export const apiQuoteRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const key = c.get('apiKey');
    const status = c.req.query('status');
    if (status && !(QUOTE_STATUSES as readonly string[]).includes(status)) throw new ValidationError({ status: `Use one of: ${QUOTE_STATUSES.join(', ')}.` });
    const host = await hostOf(c, key.hostId);
    const rows = await listQuotes(getDb(c.env.DB), key.hostId, { status: status as QuoteStatus | undefined, q: c.req.query('q') || undefined }, todayIn(host.timezone));
    return c.json({ data: rows.map(serializeQuote) });
  })
  .post('/', async (c) => {
    const key = c.get('apiKey');
    const body = await readJsonObject(c);
    const host = await hostOf(c, key.hostId);
    const db = getDb(c.env.DB);
    const actor: Actor & { email: string } = { kind: 'api_key', id: key.id, label: `API key “${key.name}”`, email: typeof body.notify_email === 'string' ? body.notify_email : '' };
    const { notify_email: _notify, ...raw } = body;
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(actor.email)) throw new ValidationError({ notify_email: 'Give the staff email to notify when the prospect views, accepts or declines.' });
    const id = await createQuote(db, key.hostId, actor, raw, todayIn(host.timezone));
    return c.json({ data: serializeQuote(await getQuote(db, key.hostId, id, todayIn(host.timezone))) }, 201);
  })
  .get('/:id', async (c) => {
    const key = c.get('apiKey');
    const host = await hostOf(c, key.hostId);
    return c.json({ data: serializeQuote(await getQuote(getDb(c.env.DB), key.hostId, c.req.param('id'), todayIn(host.timezone))) });
  })
  .put('/:id', async (c) => {
    const key = c.get('apiKey');
    const body = await readJsonObject(c);
    const host = await hostOf(c, key.hostId);
    const db = getDb(c.env.DB);
    const today = todayIn(host.timezone);
    await updateQuote(db, key.hostId, { kind: 'api_key', id: key.id, label: `API key “${key.name}”` }, c.req.param('id'), body, today);
    return c.json({ data: serializeQuote(await getQuote(db, key.hostId, c.req.param('id'), today)) });
  })
  .post('/:id/send', async (c) => {
    const key = c.get('apiKey');
    const host = await hostOf(c, key.hostId);
    const db = getDb(c.env.DB);
    const today = todayIn(host.timezone);
    await sendQuote(db, c.env, host, { kind: 'api_key', id: key.id, label: `API key “${key.name}”` }, c.req.param('id'), c.req.url, today);
    return c.json({ data: serializeQuote(await getQuote(db, key.hostId, c.req.param('id'), today)) });
  });
