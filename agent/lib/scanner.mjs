// Scan segments (IPv4 CIDRs) for miners: validate and expand the CIDRs with a
// cap on the total number of addresses, then probe TCP 4028 with bounded
// concurrency. A probe is a plain connect; what answers is identified when it
// is polled.

import net from 'node:net';
import { mapLimit } from './util.mjs';

export const DEFAULT_MAX_HOSTS = 65536;

/** @param {string} ip @returns {number} */
export function ipToInt(ip) {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${JSON.stringify(ip)}`);
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) throw new Error(`not an IPv4 address: ${JSON.stringify(ip)}`);
    n = n * 256 + Number(p);
  }
  return n;
}

/** @param {number} n */
export function intToIp(n) {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * Parse "a.b.c.d/nn" (or a bare address = /32). Host bits are cleared
 * ("10.0.0.5/24" is 10.0.0.0/24). Multicast, 0/8 and broadcast are refused.
 * @param {string} cidr
 * @returns {{ cidr: string, network: number, prefix: number, first: number, last: number, size: number }}
 */
export function parseCidr(cidr) {
  if (typeof cidr !== 'string') throw new Error('a scan segment must be a string');
  const m = /^\s*([0-9.]+)(?:\/(\d{1,2}))?\s*$/.exec(cidr);
  if (!m) throw new Error(`not an IPv4 CIDR: ${JSON.stringify(cidr)}`);
  const addr = ipToInt(/** @type {string} */ (m[1]));
  const prefix = m[2] === undefined ? 32 : Number(m[2]);
  if (prefix > 32) throw new Error(`bad prefix length in ${JSON.stringify(cidr)}`);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (addr & mask) >>> 0;
  const broadcast = (network | (~mask >>> 0)) >>> 0;
  const top = network >>> 24;
  if (top === 0 || top >= 224) throw new Error(`refusing to scan ${JSON.stringify(cidr)}: not a unicast range`);
  // /31 and /32 have no network/broadcast addresses to skip
  const first = prefix >= 31 ? network : network + 1;
  const last = prefix >= 31 ? broadcast : broadcast - 1;
  return { cidr: `${intToIp(network)}/${prefix}`, network, prefix, first, last, size: last - first + 1 };
}

/**
 * Expand segments into unique addresses, in order. Throws when the total
 * exceeds `maxHosts` (a typo like /8 must not start a 16-million-host scan).
 * @param {string[]} segments
 * @param {{ maxHosts?: number }} [opts]
 */
export function expandSegments(segments, { maxHosts = DEFAULT_MAX_HOSTS } = {}) {
  if (!Array.isArray(segments)) throw new Error('scan segments must be a list');
  const parsed = segments.map(parseCidr);
  const total = parsed.reduce((a, p) => a + p.size, 0);
  if (total > maxHosts) {
    throw new Error(`scan segments cover ${total} addresses, more than the limit of ${maxHosts}`);
  }
  /** @type {Set<number>} */
  const seen = new Set();
  /** @type {string[]} */
  const out = [];
  for (const p of parsed) {
    for (let n = p.first; n <= p.last; n++) {
      if (!seen.has(n)) {
        seen.add(n);
        out.push(intToIp(n));
      }
    }
  }
  return out;
}

/**
 * True when something accepts a TCP connection on host:port within the timeout.
 * @param {string} host
 * @param {number} port
 * @param {number} timeoutMs
 * @returns {Promise<boolean>}
 */
export function probe(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const t = setTimeout(() => finish(false), timeoutMs);
    /** @param {boolean} ok */
    const finish = (ok) => {
      clearTimeout(t);
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/**
 * Probe every address of the segments; resolves to the ones that answered,
 * in address order.
 * @param {string[]} segments
 * @param {{ port?: number, concurrency?: number, timeoutMs?: number, maxHosts?: number,
 *   probeFn?: typeof probe }} [opts]
 */
export async function scan(segments, opts = {}) {
  const { port = 4028, concurrency = 256, timeoutMs = 1500, maxHosts, probeFn = probe } = opts;
  const hosts = expandSegments(segments, { maxHosts });
  const up = await mapLimit(hosts, concurrency, (h) => probeFn(h, port, timeoutMs));
  return hosts.filter((_, i) => up[i]);
}
