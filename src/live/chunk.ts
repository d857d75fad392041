/**
 * Rows per bulk D1 statement. Rows travel as one JSON parameter read with json_each, because D1
 * (and a Durable Object's SQL) bind at most 100 parameters per statement; chunking keeps each
 * statement's payload modest.
 * @see https://developers.cloudflare.com/d1/platform/limits/
 */
export const D1_JSON_CHUNK = 500;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
