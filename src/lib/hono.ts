import { HonoBase, type HonoOptions } from 'hono/hono-base';
import type { Env, Schema } from 'hono/types';
import { TrieRouter } from 'hono/router/trie-router';

/**
 * Hono with TrieRouter alone. `hono`'s own `Hono` builds SmartRouter over RegExpRouter and
 * TrieRouter, and importing it ships all three (about 2 KiB gzip, bench/README.md "The Worker
 * bundle"). Our app's ~400 routes (nested mounts, `:param` siblings of static segments) are more
 * than RegExpRouter accepts, so SmartRouter always settled on TrieRouter anyway; the platform app
 * passes CachedRouter over a TrieRouter (src/lib/router.ts). Sub-apps only collect routes for
 * `app.route()`, which copies them into the parent.
 */
export class Hono<E extends Env = Env, S extends Schema = {}, BasePath extends string = '/'> extends HonoBase<E, S, BasePath> {
  constructor(options: HonoOptions<E> = {}) {
    super(options);
    this.router = options.router ?? new TrieRouter();
  }
}
