// CGMiner-family API client: one TCP connection per command on port 4028,
// a JSON request, and a reply read until the miner closes the connection or
// sends a NUL byte (whichever comes first). Connect and read have separate
// deadlines; the read deadline covers the whole reply (a trickling miner
// cannot hold a poller forever), and replies are capped in size.

import net from 'node:net';
import { TransportError } from './errors.mjs';

export const DEFAULT_PORT = 4028;

/**
 * @typedef {{
 *   port?: number,
 *   parameter?: string | number,
 *   connectTimeoutMs?: number,
 *   readTimeoutMs?: number,
 *   maxBytes?: number,
 * }} QueryOptions
 */

/**
 * Send one command and return the raw reply text (NUL and what follows it
 * removed). Rejects with TransportError on refusal, timeouts, resets,
 * oversize replies and connections closed without a byte.
 * @param {string} host
 * @param {string} command
 * @param {QueryOptions} [opts]
 * @returns {Promise<string>}
 */
export function query(host, command, opts = {}) {
  const {
    port = DEFAULT_PORT,
    parameter,
    connectTimeoutMs = 3000,
    readTimeoutMs = 10000,
    maxBytes = 4 * 1024 * 1024,
  } = opts;
  /** @type {Record<string, string>} */
  const request = { command };
  if (parameter !== undefined) request.parameter = String(parameter);
  const payload = JSON.stringify(request);

  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    let settled = false;
    let connected = false;
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);

    /** @param {Error | null} err @param {string} [text] */
    const done = (err, text) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(readTimer);
      socket.destroy();
      if (err) reject(err);
      else resolve(/** @type {string} */ (text));
    };

    const connectTimer = setTimeout(() => {
      done(new TransportError(`connect to ${host}:${port} timed out after ${connectTimeoutMs} ms`, { phase: 'connect', reason: 'timeout' }));
    }, connectTimeoutMs);
    /** @type {NodeJS.Timeout | undefined} */
    let readTimer;

    socket.once('connect', () => {
      connected = true;
      clearTimeout(connectTimer);
      readTimer = setTimeout(() => {
        done(new TransportError(`${command} on ${host}:${port}: no complete reply within ${readTimeoutMs} ms`, { phase: 'read', reason: 'timeout' }));
      }, readTimeoutMs);
      socket.write(payload);
    });

    socket.on('data', (chunk) => {
      const nul = chunk.indexOf(0);
      const part = nul >= 0 ? chunk.subarray(0, nul) : chunk;
      size += part.length;
      if (size > maxBytes) {
        done(new TransportError(`${command} on ${host}:${port}: reply larger than ${maxBytes} bytes`, { phase: 'read', reason: 'too_large' }));
        return;
      }
      chunks.push(part);
      if (nul >= 0) finish();
    });

    const finish = () => {
      if (size === 0) {
        done(new TransportError(`${command} on ${host}:${port}: connection closed without a reply`, { phase: 'read', reason: 'closed_empty' }));
      } else {
        done(null, Buffer.concat(chunks).toString('utf8'));
      }
    };

    socket.once('end', finish);
    socket.once('close', () => {
      if (!settled) {
        if (connected) finish();
        else done(new TransportError(`connect to ${host}:${port} closed`, { phase: 'connect', reason: 'closed' }));
      }
    });
    socket.once('error', (/** @type {NodeJS.ErrnoException} */ err) => {
      const phase = connected ? 'read' : 'connect';
      done(new TransportError(`${phase === 'connect' ? 'connect to' : `${command} on`} ${host}:${port}: ${err.code ?? err.message}`, {
        phase,
        reason: err.code ?? 'error',
        cause: err,
      }));
    });
  });
}

/** Whatsminer API v3's own port. */
export const V3_PORT = 4433;

/**
 * Whatsminer API v3 (firmware from 2024-11): one read command on its own
 * port, framed by a 4-byte little-endian length before the JSON, both ways
 * (`{"cmd":"get.miner.status","param":"summary"}`). The reads need no token.
 * Same deadlines, cap and errors as `query`.
 * @param {string} host
 * @param {string} cmd e.g. `get.miner.status`
 * @param {string | undefined} param e.g. `summary`
 * @param {QueryOptions} [opts] `port` defaults to V3_PORT
 * @returns {Promise<string>}
 */
export function queryV3(host, cmd, param, opts = {}) {
  const { port = V3_PORT, connectTimeoutMs = 3000, readTimeoutMs = 10000, maxBytes = 4 * 1024 * 1024 } = opts;
  const label = param === undefined ? cmd : `${cmd}:${param}`;
  const body = Buffer.from(JSON.stringify(param === undefined ? { cmd } : { cmd, param }));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length, 0);

  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    /** @type {number | undefined} */
    let expected;
    let settled = false;
    let connected = false;
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    /** @param {Error | null} err @param {string} [text] */
    const done = (err, text) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(readTimer);
      socket.destroy();
      if (err) reject(err);
      else resolve(/** @type {string} */ (text));
    };
    const connectTimer = setTimeout(() => {
      done(new TransportError(`connect to ${host}:${port} timed out after ${connectTimeoutMs} ms`, { phase: 'connect', reason: 'timeout' }));
    }, connectTimeoutMs);
    /** @type {NodeJS.Timeout | undefined} */
    let readTimer;
    socket.once('connect', () => {
      connected = true;
      clearTimeout(connectTimer);
      readTimer = setTimeout(() => {
        done(new TransportError(`${label} on ${host}:${port}: no complete reply within ${readTimeoutMs} ms`, { phase: 'read', reason: 'timeout' }));
      }, readTimeoutMs);
      socket.write(Buffer.concat([head, body]));
    });
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      size += chunk.length;
      const all = chunks.length === 1 ? chunk : Buffer.concat(chunks);
      if (expected === undefined && all.length >= 4) {
        expected = all.readUInt32LE(0);
        if (expected > maxBytes) {
          done(new TransportError(`${label} on ${host}:${port}: reply larger than ${maxBytes} bytes`, { phase: 'read', reason: 'too_large' }));
          return;
        }
      }
      if (expected !== undefined && size >= 4 + expected) done(null, all.subarray(4, 4 + expected).toString('utf8'));
    });
    const closed = () => {
      if (settled) return;
      if (!connected) done(new TransportError(`connect to ${host}:${port} closed`, { phase: 'connect', reason: 'closed' }));
      else if (size === 0) done(new TransportError(`${label} on ${host}:${port}: connection closed without a reply`, { phase: 'read', reason: 'closed_empty' }));
      else done(new TransportError(`${label} on ${host}:${port}: connection closed after ${size} of ${expected === undefined ? '?' : expected + 4} bytes`, { phase: 'read', reason: 'truncated' }));
    };
    socket.once('end', closed);
    socket.once('close', closed);
    socket.once('error', (/** @type {NodeJS.ErrnoException} */ err) => {
      const phase = connected ? 'read' : 'connect';
      done(new TransportError(`${phase === 'connect' ? 'connect to' : `${label} on`} ${host}:${port}: ${err.code ?? err.message}`, {
        phase,
        reason: err.code ?? 'error',
        cause: err,
      }));
    });
  });
}

/**
 * Escape one field of a cgminer comma-separated parameter
 * (`addpool|url,user,pass`): the API splits on `,` and honours `\` escapes.
 * @param {string} s
 */
export function escapeParam(s) {
  return s.replace(/\\/g, '\\\\').replace(/,/g, '\\,');
}

/**
 * A client bound to options, so callers (and tests) can inject timeouts or
 * a fake transport.
 * @param {QueryOptions} [defaults]
 */
export function createClient(defaults = {}) {
  return {
    /** @param {string} host @param {string} command @param {QueryOptions} [opts] */
    query: (host, command, opts = {}) => query(host, command, { ...defaults, ...opts }),
    /** @param {string} host @param {string} cmd @param {string | undefined} param @param {QueryOptions} [opts] */
    queryV3: (host, cmd, param, opts = {}) => queryV3(host, cmd, param, { ...defaults, ...opts }),
  };
}

/**
 * What the agent needs of a client; tests inject fakes. A fake without
 * `queryV3` gets the real v3 transport.
 * @typedef {{
 *   query: (host: string, command: string, opts?: QueryOptions) => Promise<string>,
 *   queryV3?: (host: string, cmd: string, param: string | undefined, opts?: QueryOptions) => Promise<string>,
 * }} CgminerClient
 */
