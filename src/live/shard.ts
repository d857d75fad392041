/**
 * How one site's live state is spread over several SiteState objects (docs/ARCHITECTURE.md,
 * "One site of 50,000 units: shard it"): a site of more than UNITS_PER_SHARD units is served by
 * `sites.live_shards` objects, and a unit always lands in the shard its `minerKey` hashes to, so its
 * state, history, usage and alert tracks stay together.
 */

/** Units one SiteState holds at most before the site grows another shard (a quarter of 50,000). */
export const UNITS_PER_SHARD = 12_500;

/** The shard count a site of `units` needs; never below `current` (a site's count only grows). */
export const shardsFor = (units: number, current = 1): number => Math.max(current, 1, Math.ceil(units / UNITS_PER_SHARD));

/** FNV-1a, 32 bits, over the string's UTF-16 code units: stable across runtimes and releases. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The shard (0-based) of the unit with this `minerKey` in a site of `shards` shards. */
export const shardOfKey = (key: string, shards: number): number => (shards <= 1 ? 0 : fnv1a32(key) % shards);

/**
 * The object name of a site's shard: shard 0 keeps the site id (every site created before sharding
 * keeps its object), shard k ≥ 1 is `${siteId}:${k}`.
 */
export const shardName = (siteId: string, shard: number): string => (shard === 0 ? siteId : `${siteId}:${shard}`);

/** Which shard of how many an object is (IngestContext.shard); absent means the only one. */
export interface ShardRef {
  index: number;
  count: number;
}
