import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { notFound } from '../lib/errors';
import { readTelemetryBody } from '../telemetry/ingest';

/**
 * The floor for `npm run bench` (DESIGN.md §10): the same telemetry POST to a handler that only
 * reads and parses the JSON. Development and test only; production answers 404.
 */
export const devBenchRoutes = new Hono<AppEnv>()
  .use('*', async (c, next) => {
    if (c.get('vars').ENVIRONMENT === 'production') throw notFound();
    await next();
  })
  .post('/parse-only', async (c) => {
    const body = (await readTelemetryBody(c.req.raw)) as { miners?: unknown[] };
    return c.json({ miners: Array.isArray(body.miners) ? body.miners.length : 0 });
  });
