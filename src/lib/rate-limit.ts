import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { AppError } from './errors';

export interface RateLimitRule {
  /** What is limited, e.g. `signin:email:a@b.c`. */
  key: string;
  limit: number;
  windowMs: number;
}

/**
 * Counts one attempt in a fixed window stored in D1 and throws rate_limited (429) past the limit.
 * One upsert statement, so concurrent attempts cannot both slip under the limit.
 */
export async function consumeRateLimit(db: Db, rule: RateLimitRule, now = Date.now()): Promise<void> {
  const cutoff = now - rule.windowMs;
  const row = await db.get<{ count: number; window_start: number }>(sql`
    INSERT INTO rate_limits (key, window_start, count) VALUES (${rule.key}, ${now}, 1)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN window_start <= ${cutoff} THEN 1 ELSE count + 1 END,
      window_start = CASE WHEN window_start <= ${cutoff} THEN ${now} ELSE window_start END
    RETURNING count, window_start`);
  if (row && row.count > rule.limit) {
    const retryAfterSeconds = Math.max(1, Math.ceil((row.window_start + rule.windowMs - now) / 1000));
    throw new AppError('rate_limited', 'Too many attempts. Wait a few minutes and try again.', undefined, retryAfterSeconds);
  }
}

/** No rule's window is longer than this; a row whose window started earlier counts nothing. */
export const MAX_RATE_LIMIT_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Deletes rows whose window ended long ago (the cron), so the table stays the size of the live windows. */
export async function pruneRateLimits(db: Db, now = Date.now()): Promise<number> {
  const result = await db.run(sql`DELETE FROM rate_limits WHERE window_start < ${now - MAX_RATE_LIMIT_WINDOW_MS}`);
  return result.meta.changes ?? 0;
}

/** The caller's address as Cloudflare reports it; one shared bucket when absent (local tools). */
export const clientIp = (headers: Headers): string => headers.get('CF-Connecting-IP') ?? 'unknown';
