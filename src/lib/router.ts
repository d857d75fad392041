import type { Result, Router } from 'hono/router';
import { TrieRouter } from 'hono/router/trie-router';
import { setBounded } from './bounded-map';

/** How many distinct (method, path) answers a router keeps; the oldest goes first beyond it. */
export const ROUTE_CACHE_SIZE = 1_000;

/**
 * TrieRouter, remembering its answer for each method and path it has matched. Hono's default
 * (SmartRouter over RegExpRouter and TrieRouter) settles on TrieRouter for our ~400 routes (nested
 * mounts, `:param` siblings of static segments are more than RegExpRouter accepts; pinned by
 * test/unit/cached-router.test.ts), so it is used alone and the other two stay out of the bundle
 * (src/lib/hono.ts). Every request walked TrieRouter's tree
 * and gathered the middleware of each mount on the way: the largest single cost of a signed-in
 * request in workerd's CPU profile, and growing with the path's depth (bench/README.md, "Fleet
 * pages: where a request's time goes"). A match depends on nothing but the method, the path and
 * the routes, which never change once the app is built, so a remembered answer is the same
 * answer; pages people keep open (the polled fragments, the pages they reload) hit it.
 * The answers are read-only to Hono (HonoRequest reads params, never writes them).
 */
export class CachedRouter<T> implements Router<T> {
  readonly name = 'CachedRouter';
  readonly #inner: Router<T>;
  readonly #answers = new Map<string, Result<T>>();
  readonly #size: number;

  constructor(inner: Router<T> = new TrieRouter<T>(), size = ROUTE_CACHE_SIZE) {
    this.#inner = inner;
    this.#size = size;
  }

  add(method: string, path: string, handler: T): void {
    this.#answers.clear();
    this.#inner.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    const key = `${method} ${path}`;
    const known = this.#answers.get(key);
    if (known) return known;
    const answer = this.#inner.match(method, path);
    setBounded(this.#answers, key, answer, this.#size);
    return answer;
  }

  /** How many answers are remembered (for tests). */
  get cached(): number {
    return this.#answers.size;
  }
}
