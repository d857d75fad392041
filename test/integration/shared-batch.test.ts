import { env } from 'cloudflare:test';
import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { getDb, type Db } from '../../src/db/client';
import { hosts } from '../../src/db/schema';
import { sharedBatch } from '../../src/db/shared-batch';
import { countingD1 } from '../helpers/counting-d1';
import { createHost } from '../helpers/fixtures';

/** A one-row read answering `n` (from a host row, so it is a complete drizzle query). */
let hostId = '';
const read = (db: Db, n: number | ReturnType<typeof sql<number>>) =>
  db
    .select({ n: (typeof n === 'number' ? sql<number>`${n}` : n).as('n') })
    .from(hosts)
    .where(eq(hosts.id, hostId));

beforeAll(async () => {
  hostId = (await createHost('Shared Batch')).hostId;
});

describe('sharedBatch', () => {
  it("sends batches made in the same tick as one round trip and gives each caller its own results", async () => {
    const { db: counted, counts } = countingD1(env.DB);
    const db = sharedBatch(getDb(counted));
    const [first, second] = await Promise.all([
      db.batch([read(db, 1), read(db, 2)]),
      db.batch([read(db, 3)]),
    ]);
    expect(first).toEqual([[{ n: 1 }], [{ n: 2 }]]);
    expect(second).toEqual([[{ n: 3 }]]);
    expect(counts.roundTrips).toBe(1);
  });

  it('a batch started after the first await travels on its own', async () => {
    const { db: counted, counts } = countingD1(env.DB);
    const db = sharedBatch(getDb(counted));
    const [early] = await db.batch([read(db, 1)]);
    const [late] = await db.batch([read(db, 2)]);
    expect([early, late]).toEqual([[{ n: 1 }], [{ n: 2 }]]);
    expect(counts.roundTrips).toBe(2);
  });

  it('a failing statement fails every caller of that batch, and the next batch still works', async () => {
    const db = sharedBatch(getDb(env.DB));
    const results = await Promise.allSettled([
      db.batch([read(db, 1)]),
      db.batch([read(db, sql<number>`no_such_function()`)]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const [after] = await db.batch([read(db, 4)]);
    expect(after).toEqual([{ n: 4 }]);
  });

  it('queries run directly are not batched', async () => {
    const { db: counted, counts } = countingD1(env.DB);
    const db = sharedBatch(getDb(counted));
    const [a, b] = await Promise.all([read(db, 5).all(), read(db, 6).all()]);
    expect([a, b]).toEqual([[{ n: 5 }], [{ n: 6 }]]);
    expect(counts.roundTrips).toBe(2);
  });
});
