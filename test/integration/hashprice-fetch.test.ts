import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activityLog, hashpriceDays } from '../../src/db/schema';
import { fetchHashprices } from '../../src/default/credit';
import { createHost, db } from '../helpers/fixtures';

/** The cron's hashprice fetch (URL source, docs/DEFAULT.md): a source that fails changes nothing and never throws. */
describe('fetching the hashprice from a URL', () => {
  it('an unreachable source or one answering an error stores nothing, logs no change, and does not throw', async () => {
    const host = await createHost('Hashprice Fetch Host');
    for (const url of ['http://127.0.0.1:9/hashprice.json', 'http://127.0.0.1:1/none']) {
      await expect(fetchHashprices(db(), host.hostId, url, Date.now())).resolves.toBe(0);
    }
    expect(await db().select().from(hashpriceDays).where(eq(hashpriceDays.hostId, host.hostId)).all()).toHaveLength(0);
    expect((await db().select().from(activityLog).where(eq(activityLog.hostId, host.hostId)).all()).filter((e) => e.action.startsWith('hashprice.'))).toHaveLength(0);
  });
});
