import { Hono } from '../lib/hono';
import * as z from '../lib/schema';
import { getDb } from '../db/client';
import { buildDemoBillingHistory, hasBillingHistory } from '../demo/billing-history';
import type { AppEnv } from '../env';
import { notFound } from '../lib/errors';
import { parseInput } from '../lib/validation';

// Built per request, not at load: a top-level schema would stay in the production build, which
// leaves this module out (HASHYARD_DEV_ROUTES in src/app.tsx).
const historySchema = () =>
  z.strictObject({
    host_ids: z.array(z.string().check(z.maxLength(64))).check(z.minLength(1), z.maxLength(10)),
    defaulter_ids: z._default(z.array(z.string().check(z.maxLength(64))).check(z.maxLength(50)), []),
    partial_payer_ids: z._default(z.array(z.string().check(z.maxLength(64))).check(z.maxLength(50)), []),
  });

/**
 * `npm start`'s demo, the part SQL alone cannot write honestly: invoices and payments made by the
 * real billing engine over the seeded usage (src/demo/billing-history.ts). Development only: it
 * answers 404 outside `ENVIRONMENT = "development"`, and does nothing once the hosts have invoices.
 */
export const devDemoRoutes = () =>
  new Hono<AppEnv>()
    .use('*', async (c, next) => {
      if (c.get('vars').ENVIRONMENT !== 'development') throw notFound();
      await next();
    })
    .post('/billing-history', async (c) => {
      const input = parseInput(historySchema(), await c.req.json().catch(() => null));
      const db = getDb(c.env.DB);
      if (await hasBillingHistory(db, input.host_ids)) return c.json({ skipped: 'The demo hosts already have invoices.' });
      const result = await buildDemoBillingHistory(db, c.env, input.host_ids, { defaulterIds: input.defaulter_ids, partialPayerIds: input.partial_payer_ids });
      return c.json(result);
    });
