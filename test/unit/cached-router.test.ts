import { Hono } from 'hono';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { SmartRouter } from 'hono/router/smart-router';
import { TrieRouter } from 'hono/router/trie-router';
import { describe, expect, it } from 'vitest';
import { createPlatformApp } from '../../src/app';
import { CachedRouter } from '../../src/lib/router';

/** A small app shaped like ours: mounts with their own middleware, a param beside static segments. */
function app(router: CachedRouter<unknown> | TrieRouter<unknown>) {
  const sub = new Hono();
  sub.use('*', async (c, next) => {
    c.header('X-Sub', c.req.param('slug') ?? '');
    await next();
  });
  sub.get('/', (c) => c.text(`home ${c.req.param('slug')}`));
  sub.get('/equipment', (c) => c.text(`equipment ${c.req.param('slug')}`));
  sub.get('/equipment/:minerId', (c) => c.text(`miner ${c.req.param('slug')} ${c.req.param('minerId')}`));
  const root = new Hono({ router: router as never });
  root.use('*', async (c, next) => {
    await next();
    c.header('X-Root', '1');
  });
  root.get('/login', (c) => c.text('login'));
  root.route('/host/:slug', sub);
  root.get('/host/:slug/equipment/new', (c) => c.text('never: the mount above answers first'));
  return root;
}

describe('CachedRouter', () => {
  it('answers every request exactly as the router it wraps, the first time and when remembered', async () => {
    const cached = app(new CachedRouter());
    const plain = app(new TrieRouter());
    const paths = ['/login', '/host/a', '/host/a/equipment', '/host/b/equipment', '/host/a/equipment/m-1', '/host/a/equipment/m%202', '/host/a/equipment/new', '/nowhere', '/login'];
    for (const round of [1, 2]) {
      for (const path of paths) {
        const [mine, theirs] = await Promise.all([cached.request(path), plain.request(path)]);
        const label = `${path} (round ${round})`;
        expect(mine.status, label).toBe(theirs.status);
        expect(await mine.text(), label).toBe(await theirs.text());
        expect(mine.headers.get('X-Sub'), label).toBe(theirs.headers.get('X-Sub'));
        expect(mine.headers.get('X-Root'), label).toBe(theirs.headers.get('X-Root'));
      }
    }
    // Params come from each path, never from a remembered neighbour.
    expect(await (await cached.request('/host/c/equipment/m-9')).text()).toBe('miner c m-9');
  });

  it('keeps at most its size in answers, dropping the oldest first', () => {
    const router = new CachedRouter<string>(undefined, 2);
    router.add('GET', '/a/:id', 'a');
    for (const id of ['1', '2', '3']) expect(router.match('GET', `/a/${id}`)[0].map(([handler]) => handler)).toEqual(['a']);
    expect(router.cached).toBe(2);
  });

  it('is what the platform app routes with', () => {
    expect(createPlatformApp().router).toBeInstanceOf(CachedRouter);
  });

  it('wraps TrieRouter, which is what Hono\'s default SmartRouter would settle on for our routes', () => {
    const smart = new SmartRouter<unknown>({ routers: [new RegExpRouter(), new TrieRouter()] });
    for (const route of createPlatformApp().routes) smart.add(route.method, route.path, route.handler);
    smart.match('GET', '/login');
    expect(smart.name).toBe('SmartRouter + TrieRouter');
  });
});
