/**
 * Sets `key` (as the newest entry) in a map kept to `max` entries, the oldest dropped first: a Map
 * iterates in insertion order. The per-isolate caches (route answers, chart points, known fleets).
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
}
