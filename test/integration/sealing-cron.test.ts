import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { SEAL_AFTER_MS } from '../../src/billing/seal';
import { usageSealDays, usageSeals } from '../../src/db/schema';
import worker from '../../src/index';
import { createHost, createMiner, createTestCustomer, db } from '../helpers/fixtures';
import { DAY_MS, HOUR_MS, insertUsage, utcMidnightDaysAgo } from '../helpers/evidence';
import { createSite } from '../helpers/telemetry';

it('the Worker’s cron seals the days that ended 48 hours before it runs', async () => {
  const host = await createHost('Seal Cron Host');
  const siteId = await createSite(host);
  const customer = await createTestCustomer(host);
  const unit = await createMiner(host, { customerId: customer.id, siteId });
  const day = utcMidnightDaysAgo(6);
  await insertUsage(host, [{ minerId: unit, siteId, customerId: customer.id, hourStart: day + 4 * HOUR_MS }]);

  const run = async (scheduledTime: number) => {
    const ctx = createExecutionContext();
    await worker.scheduled!(createScheduledController({ scheduledTime, cron: '*/15 * * * *' }), env, ctx);
    await waitOnExecutionContext(ctx);
  };
  await run(day + DAY_MS + SEAL_AFTER_MS - 60_000);
  expect(await db().select().from(usageSealDays).where(eq(usageSealDays.siteId, siteId)).all()).toEqual([]);
  await run(day + DAY_MS + SEAL_AFTER_MS);
  expect((await db().select().from(usageSealDays).where(eq(usageSealDays.siteId, siteId)).all()).map((d) => d.day)).toEqual([
    new Date(day).toISOString().slice(0, 10),
  ]);
  expect(await db().select().from(usageSeals).where(eq(usageSeals.siteId, siteId)).all()).toEqual([
    expect.objectContaining({ customerKey: customer.id, rowCount: 1, day: new Date(day).toISOString().slice(0, 10) }),
  ]);
});
