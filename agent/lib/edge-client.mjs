// Talking to the edge (the Hashyard Worker), wire format v1 (DESIGN.md §5):
//   POST /api/agent/v1/register   {code, hostname, version} → {agent_id, site_id, token}
//   POST /api/agent/v1/telemetry  Bearer, gzip JSON {batch_id, sent_at, miners}
//   GET  /api/agent/v1/config     Bearer → scan segments, poll interval, desired pools
// plus delivery of the spool with retry, exponential backoff and jitter.
//
// Answer classes: 2xx delivered; 401 the token was revoked (stop, keep the
// spool); 408, 429, 5xx, 3xx and network failures are retried (the batch stays
// spooled); any other 4xx will never succeed, so the batch goes to dead/ with
// the reason.

import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { EdgeHttpError, RevokedError } from './errors.mjs';
import { Spool } from './spool.mjs';
import { backoffDelay, sleep as realSleep } from './util.mjs';

const gzip = promisify(zlib.gzip);
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * @typedef {{ status: number, headers: import('node:http').IncomingHttpHeaders, body: string }} HttpResponse
 * @typedef {(url: URL, init: { method: string, headers: Record<string, string>, body?: Buffer, timeoutMs: number }) => Promise<HttpResponse>} RequestFn
 */

/** @type {RequestFn} */
export function httpRequest(url, { method, headers, body, timeoutMs }) {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { method, headers: body ? { ...headers, 'content-length': String(body.length) } : headers }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      let size = 0;
      res.on('data', (c) => {
        size += c.length;
        if (size <= MAX_RESPONSE_BYTES) chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** @param {string} hostname */
export function isLoopbackHost(hostname) {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * Validate the edge URL: https, or http only to a loopback host (development)
 * or when explicitly allowed — the bearer token must not cross a network in
 * clear text.
 * @param {string} api
 * @param {boolean} [allowInsecureHttp]
 */
export function checkApiUrl(api, allowInsecureHttp = false) {
  let url;
  try {
    url = new URL(api);
  } catch {
    throw new Error(`--api is not a URL: ${JSON.stringify(api)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`--api must be an https URL: ${api}`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !allowInsecureHttp) {
    throw new Error(`refusing to send the agent token over plain http to ${url.host}; use https (or --allow-http on a trusted network)`);
  }
  return url;
}

/** @param {string | string[] | undefined} v */
function retryAfterMs(v) {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) return undefined;
  if (/^\d+$/.test(s.trim())) return Number(s.trim()) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

/**
 * Turn an HTTP answer into data or the right error.
 * @param {HttpResponse} res
 * @param {string} what
 */
function check(res, what) {
  if (res.status >= 200 && res.status < 300) return res;
  if (res.status === 401) throw new RevokedError();
  const body = res.body.slice(0, 500);
  const retryable = res.status === 408 || res.status === 429 || res.status >= 500 || (res.status >= 300 && res.status < 400);
  throw new EdgeHttpError(`${what}: HTTP ${res.status}${body ? ` ${body}` : ''}`, {
    status: res.status,
    body,
    retryable,
    retryAfterMs: retryAfterMs(res.headers['retry-after']),
  });
}

/** @param {string} text @param {string} what */
function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch {
    throw new EdgeHttpError(`${what}: the edge answered something that is not JSON`, { retryable: true });
  }
}

export class EdgeClient {
  /**
   * @param {{ api: string, token?: string, timeoutMs?: number, userAgent?: string,
   *   allowInsecureHttp?: boolean, request?: RequestFn }} opts
   */
  constructor(opts) {
    this.base = checkApiUrl(opts.api, opts.allowInsecureHttp);
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 30000;
    this.userAgent = opts.userAgent ?? 'hashyard-agent';
    this.request = opts.request ?? httpRequest;
  }

  /** @param {string} p */
  url(p) {
    return new URL(p.replace(/^\//, ''), this.base.href.endsWith('/') ? this.base.href : `${this.base.href}/`);
  }

  /**
   * @param {string} method @param {string} p
   * @param {{ body?: Buffer, headers?: Record<string, string>, auth?: boolean }} [o]
   */
  async call(method, p, o = {}) {
    /** @type {Record<string, string>} */
    const headers = { accept: 'application/json', 'user-agent': this.userAgent, ...o.headers };
    if (o.auth !== false) {
      if (!this.token) throw new Error('this agent is not registered (no token)');
      headers.authorization = `Bearer ${this.token}`;
    }
    try {
      return await this.request(this.url(p), { method, headers, body: o.body, timeoutMs: this.timeoutMs });
    } catch (err) {
      throw new EdgeHttpError(`${method} ${p}: ${/** @type {Error} */ (err).message}`, { retryable: true, cause: err });
    }
  }

  /**
   * Exchange a one-time registration code for a token.
   * @param {{ code: string, hostname: string, version: string }} body
   * @returns {Promise<{ agent_id: string, site_id: string, token: string }>}
   */
  async register(body) {
    const res = check(
      await this.call('POST', '/api/agent/v1/register', {
        auth: false,
        body: Buffer.from(JSON.stringify(body)),
        headers: { 'content-type': 'application/json' },
      }),
      'register',
    );
    const v = parseJson(res.body, 'register');
    for (const k of ['agent_id', 'site_id', 'token']) {
      if (typeof v?.[k] !== 'string' || v[k] === '') {
        throw new EdgeHttpError(`register: the answer has no ${k}`, { status: res.status, retryable: false });
      }
    }
    return { agent_id: v.agent_id, site_id: v.site_id, token: v.token };
  }

  /**
   * POST one batch, gzip-compressed.
   * @param {{ batch_id: string, sent_at: string, miners: unknown[] }} batch
   */
  async postTelemetry(batch) {
    const body = await gzip(Buffer.from(JSON.stringify(batch)));
    return check(
      await this.call('POST', '/api/agent/v1/telemetry', {
        body,
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      }),
      `telemetry batch ${batch.batch_id}`,
    );
  }

  /** @returns {Promise<unknown>} */
  async getConfig() {
    const res = check(await this.call('GET', '/api/agent/v1/config'), 'config');
    return parseJson(res.body, 'config');
  }
}

/**
 * @typedef {{ attempts: number, baseMs: number, maxMs: number }} RetryPolicy
 */
export const DEFAULT_RETRY = /** @type {RetryPolicy} */ ({ attempts: 4, baseMs: 1000, maxMs: 60000 });

/**
 * Call `fn` until it succeeds, a non-retryable error occurs, or attempts run out.
 * @template T
 * @param {() => Promise<T>} fn
 * @param {{ retry?: RetryPolicy, sleep?: (ms: number) => Promise<unknown>, random?: () => number,
 *   onRetry?: (err: EdgeHttpError, delayMs: number, attempt: number) => void }} [opts]
 * @returns {Promise<T>}
 */
export async function withRetry(fn, opts = {}) {
  const retry = opts.retry ?? DEFAULT_RETRY;
  const sleep = opts.sleep ?? realSleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof EdgeHttpError) || !err.retryable || attempt + 1 >= retry.attempts) throw err;
      const delay = Math.min(retry.maxMs, err.retryAfterMs ?? backoffDelay(attempt, { ...retry, random: opts.random }));
      opts.onRetry?.(err, delay, attempt);
      await sleep(delay);
    }
  }
}

/**
 * Deliver spooled batches oldest first. Stops at the first batch that cannot
 * be delivered yet (order is kept: nothing newer overtakes it), throws
 * RevokedError on 401 (the spool is kept), buries batches the edge refuses
 * for good, and stops early once `budgetMs` has passed.
 * @param {{ spool: Spool, edge: EdgeClient, siteId?: string, retry?: RetryPolicy,
 *   sleep?: (ms: number) => Promise<unknown>, random?: () => number, now?: () => Date,
 *   budgetMs?: number, log?: (msg: string) => void }} o
 * @returns {Promise<{ sent: string[], dead: string[], remaining: number, stalled: boolean, lastError?: string }>}
 */
export async function flushSpool(o) {
  const now = o.now ?? (() => new Date());
  const log = o.log ?? (() => {});
  const started = Date.now();
  /** @type {string[]} */
  const sent = [];
  /** @type {string[]} */
  const dead = [];
  const names = await o.spool.list();
  for (let i = 0; i < names.length; i++) {
    const name = /** @type {string} */ (names[i]);
    if (o.budgetMs !== undefined && Date.now() - started > o.budgetMs) {
      return { sent, dead, remaining: names.length - i, stalled: false };
    }
    let batch;
    try {
      batch = await o.spool.read(name);
    } catch (err) {
      await o.spool.bury(name, { reason: `unreadable spool file: ${/** @type {Error} */ (err).message}` });
      dead.push(Spool.batchIdOf(name) ?? name);
      continue;
    }
    if (batch.site_id && o.siteId && batch.site_id !== o.siteId) {
      await o.spool.bury(name, { reason: `recorded for site ${batch.site_id}; this agent is now registered to site ${o.siteId}` });
      dead.push(batch.batch_id);
      continue;
    }
    try {
      await withRetry(() => o.edge.postTelemetry({ batch_id: batch.batch_id, sent_at: now().toISOString(), miners: batch.miners }), {
        retry: o.retry,
        sleep: o.sleep,
        random: o.random,
        onRetry: (err, delay) => log(`telemetry: ${err.message}; retrying in ${delay} ms`),
      });
      await o.spool.remove(name);
      sent.push(batch.batch_id);
    } catch (err) {
      if (err instanceof RevokedError) throw err;
      if (err instanceof EdgeHttpError && !err.retryable) {
        await o.spool.bury(name, { reason: err.message, status: err.status, body: err.body });
        log(`telemetry batch ${batch.batch_id} refused for good (${err.status}); moved to dead/`);
        dead.push(batch.batch_id);
        continue;
      }
      return { sent, dead, remaining: names.length - i, stalled: true, lastError: /** @type {Error} */ (err).message };
    }
  }
  return { sent, dead, remaining: 0, stalled: false };
}
