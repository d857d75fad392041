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
 * How a reply is framed: `push` takes each chunk and returns the whole reply
 * once it is complete (or throws a TransportError); `closed` is called when
 * the miner closes first and returns what it had, or throws.
 * @typedef {{ push: (chunk: Buffer) => string | undefined, closed: () => string }} Framer
 */

/**
 * One request, one reply, one TCP connection: the connect timeout, a read
 * deadline covering the whole reply, and every socket failure as a
 * TransportError. The framer decides where the reply ends.
 * @param {string} host
 * @param {number} port
 * @param {Buffer | string} payload
 * @param {string} label the command, for messages
 * @param {{ connectTimeoutMs: number, readTimeoutMs: number }} timeouts
 * @param {Framer} framer
 * @returns {Promise<string>}
 */
function exchange(host, port, payload, label, timeouts, framer) {
  const { connectTimeoutMs, readTimeoutMs } = timeouts;
  return new Promise((resolve, reject) => {
    let settled = false;
    let connected = false;
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);

    /** @param {unknown} err @param {string} [text] */
    const done = (err, text) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(readTimer);
      socket.destroy();
      if (err) reject(err);
      else resolve(/** @type {string} */ (text));
    };
    /** @param {() => string | undefined} step */
    const attempt = (step) => {
      try {
        const text = step();
        if (text !== undefined) done(null, text);
      } catch (err) {
        done(err);
      }
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
      socket.write(payload);
    });
    socket.on('data', (chunk) => attempt(() => framer.push(chunk)));
    const closed = () => {
      if (settled) return;
      if (connected) attempt(framer.closed);
      else done(new TransportError(`connect to ${host}:${port} closed`, { phase: 'connect', reason: 'closed' }));
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
  /** @type {Buffer[]} */
  const chunks = [];
  let size = 0;
  const text = () => {
    if (size === 0) {
      throw new TransportError(`${command} on ${host}:${port}: connection closed without a reply`, { phase: 'read', reason: 'closed_empty' });
    }
    return Buffer.concat(chunks).toString('utf8');
  };
  // the reply ends when the miner closes the connection or sends a NUL byte
  return exchange(host, port, JSON.stringify(request), command, { connectTimeoutMs, readTimeoutMs }, {
    push(chunk) {
      const nul = chunk.indexOf(0);
      const part = nul >= 0 ? chunk.subarray(0, nul) : chunk;
      size += part.length;
      if (size > maxBytes) {
        throw new TransportError(`${command} on ${host}:${port}: reply larger than ${maxBytes} bytes`, { phase: 'read', reason: 'too_large' });
      }
      chunks.push(part);
      return nul >= 0 ? text() : undefined;
    },
    closed: text,
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
  /** @type {Buffer[]} */
  const chunks = [];
  let size = 0;
  /** @type {number | undefined} */
  let expected;
  return exchange(host, port, Buffer.concat([head, body]), label, { connectTimeoutMs, readTimeoutMs }, {
    push(chunk) {
      chunks.push(chunk);
      size += chunk.length;
      if (expected === undefined && size >= 4) {
        expected = Buffer.concat(chunks).readUInt32LE(0);
        if (expected > maxBytes) {
          throw new TransportError(`${label} on ${host}:${port}: reply larger than ${maxBytes} bytes`, { phase: 'read', reason: 'too_large' });
        }
      }
      return expected !== undefined && size >= 4 + expected ? Buffer.concat(chunks).subarray(4, 4 + expected).toString('utf8') : undefined;
    },
    closed() {
      if (size === 0) throw new TransportError(`${label} on ${host}:${port}: connection closed without a reply`, { phase: 'read', reason: 'closed_empty' });
      throw new TransportError(`${label} on ${host}:${port}: connection closed after ${size} of ${expected === undefined ? '?' : expected + 4} bytes`, { phase: 'read', reason: 'truncated' });
    },
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
