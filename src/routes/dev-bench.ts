import { Hono } from '../lib/hono';
import type { AppEnv } from '../env';
import { notFound } from '../lib/errors';
import { readTelemetryBody } from '../telemetry/ingest';
import { dueBillingJobs, runBillingJob } from '../billing/invoices';
import { getDb } from '../db/client';
import { countingD1 } from '../lib/d1-counter';
import { siteState } from '../live/client';

/**
 * The floor for `npm run bench` (DESIGN.md §10): the same telemetry POST to a handler that only
 * reads and parses the JSON. Development and test only; production answers 404.
 */
export const devBenchRoutes = () =>
  new Hono<AppEnv>()
    .use('*', async (c, next) => {
      if (c.get('vars').ENVIRONMENT === 'production') throw notFound();
      await next();
    })
    /**
     * One billing cron's work for `npm run bench`, in this one request: find the due invoices at
     * `now` and run each job exactly as the billing queue's consumer does, through a D1 binding that
     * counts round trips and statements. `limit` bounds the jobs run (the rest are left due).
     */
    .post('/billing-run', async (c) => {
      const body = (await c.req.json()) as { now: number; limit?: number };
      const { db: counted, counts } = countingD1(c.env.DB);
      const db = getDb(counted);
      const started = Date.now();
      const jobs = (await dueBillingJobs(db, body.now, 5_000)).slice(0, body.limit ?? 5_000);
      const findMs = Date.now() - started;
      const findCounts = { ...counts };
      const outcomes: Record<string, number> = {};
      for (const job of jobs) {
        const outcome = await runBillingJob(db, c.env, job, body.now);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
      return c.json({ jobs: jobs.length, outcomes, findMs, findCounts, totalMs: Date.now() - started, counts });
    })
    /** The site's alarm at a simulated minute (`now`), each step timed inside the object (bench/site.mjs). */
    .post('/site-alarm', async (c) => {
      const body = (await c.req.json()) as { siteId: string; shard?: number; now: number };
      try {
        return c.json(await siteState(c.env, body.siteId, body.shard ?? 0).benchAlarm(body.now));
      } catch (error) {
        // The bench prints why the alarm failed (a development route: the message is for us).
        return c.json({ error: error instanceof Error ? `${error.message}\n${error.stack}` : String(error) }, 500);
      }
    })
    /** A full checkpoint and a reload timed, state and storage sized (bench/site.mjs). */
    .post('/site-figures', async (c) => {
      const body = (await c.req.json()) as { siteId: string; shard?: number };
      return c.json(await siteState(c.env, body.siteId, body.shard ?? 0).benchFigures());
    })
    .post('/parse-only', async (c) => {
      const body = (await readTelemetryBody(c.req.raw)) as { miners?: unknown[] };
      return c.json({ miners: Array.isArray(body.miners) ? body.miners.length : 0 });
    });
