// Small helpers: bounded concurrency, sleeping, backoff.

/**
 * Run `fn` over `items` with at most `limit` in flight; results keep order.
 * @template T, R
 * @param {T[]} items
 * @param {number} limit
 * @param {(item: T, index: number) => Promise<R>} fn
 * @returns {Promise<R[]>}
 */
export async function mapLimit(items, limit, fn) {
  /** @type {R[]} */
  const results = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      results[i] = await fn(/** @type {T} */ (items[i]), i);
    }
  });
  await Promise.all(workers);
  return results;
}

/** @param {number} ms @param {AbortSignal} [signal] */
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(undefined);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(undefined);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(undefined);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Exponential backoff with "equal jitter": half the exponential delay fixed,
 * half random, capped. attempt 0 → ~baseMs.
 * @param {number} attempt
 * @param {{ baseMs: number, maxMs: number, random?: () => number }} opts
 */
export function backoffDelay(attempt, { baseMs, maxMs, random = Math.random }) {
  const exp = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(exp / 2 + random() * (exp / 2));
}
