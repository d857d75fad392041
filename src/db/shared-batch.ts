import type { BatchItem } from 'drizzle-orm/batch';
import type { Db } from './client';

interface Pending {
  items: BatchItem<'sqlite'>[];
  resolve: (results: unknown[]) => void;
  reject: (error: unknown) => void;
}

/**
 * A view of `db` whose `batch()` calls, made in the same tick by different services, travel
 * together as one `db.batch`: one D1 round trip for a page's independent reads (each local D1
 * round trip costs several milliseconds; DESIGN.md §10). Every caller gets its own statements'
 * results, mapped by drizzle as usual (a batch's results come back by position). D1 runs a batch
 * as one transaction, so the reads also see one state of the database.
 *
 * The batch leaves on the next microtask: a service that calls `batch()` before its first `await`
 * joins it; one that calls later still works, in a round trip of its own. Meant for reads (if one
 * statement fails, every caller of that batch gets the error); queries run directly (`.all()`,
 * `.get()`) are not batched.
 */
export function sharedBatch(db: Db): Db {
  let pending: Pending[] = [];
  const flush = async () => {
    const jobs = pending;
    pending = [];
    try {
      const items = jobs.flatMap((job) => job.items) as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]];
      const results = (await db.batch(items)) as unknown[];
      let at = 0;
      for (const job of jobs) {
        job.resolve(results.slice(at, at + job.items.length));
        at += job.items.length;
      }
    } catch (error) {
      for (const job of jobs) job.reject(error);
    }
  };
  const batch = (items: readonly BatchItem<'sqlite'>[]) =>
    new Promise<unknown[]>((resolve, reject) => {
      if (items.length === 0) return resolve([]);
      if (pending.length === 0) queueMicrotask(() => void flush());
      pending.push({ items: [...items], resolve, reject });
    });
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'batch') return batch;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
