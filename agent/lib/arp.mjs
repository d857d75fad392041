// MAC addresses from the kernel's ARP table. Stock Antminer firmware does not
// report its MAC over the CGMiner API, but after the agent has talked to a
// miner on the same layer-2 segment the kernel knows it. A routed miner has no
// entry (its frames come from the router), so no wrong MAC can be picked up;
// a MAC that answers for several addresses (proxy ARP) is ignored too.

import fs from 'node:fs/promises';
import { normaliseMac } from './parse/common.mjs';

export const DEFAULT_ARP_FILE = '/proc/net/arp';

/**
 * Parse /proc/net/arp text into ip → mac for complete entries (flag 0x2).
 * @param {string} text
 * @returns {Map<string, string>}
 */
export function parseArpTable(text) {
  /** @type {Map<string, string>} */
  const byIp = new Map();
  /** @type {Map<string, number>} */
  const count = new Map();
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4) continue;
    const [ip, , flags, hw] = cols;
    if (!ip || !flags || (Number.parseInt(flags, 16) & 0x2) === 0) continue;
    const mac = normaliseMac(hw);
    if (!mac) continue;
    byIp.set(ip, mac);
    count.set(mac, (count.get(mac) ?? 0) + 1);
  }
  for (const [ip, mac] of byIp) if ((count.get(mac) ?? 0) > 1) byIp.delete(ip);
  return byIp;
}

/**
 * Read the ARP table; an unreadable file gives an empty table.
 * @param {string} [file]
 */
export async function readArpTable(file = DEFAULT_ARP_FILE) {
  try {
    return parseArpTable(await fs.readFile(file, 'utf8'));
  } catch {
    return new Map();
  }
}
