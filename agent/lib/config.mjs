// The configuration the edge hands out at GET /api/agent/v1/config, checked
// before use. Shape (v1; unknown fields are ignored):
//
// { "scan_segments": ["10.20.1.0/24"],
//   "poll_interval_s": 60,
//   "miners": [ { "mac": "a0:b1:c2:d3:e4:f5", "serial": "…", "ip": "10.20.1.15",
//                 "pools": [ { "url": "stratum+tcp://pool.example:3333", "user": "acct.w1", "password": "x" } ],
//                 "remove_other_pools": false,
//                 "remove_pools": [ { "url": "stratum+tcp://holding.example:3333", "user": "host.w1" } ] } ],
//   "pdus": [ { "id": "…", "address": "10.20.0.5", "port": 161, "family": "apc",
//               "snmp": { "version": "2c", "community": "…" },
//               "outlets": [ { "outlet": "7", "mac": "…", "serial": "…", "ip": "…" } ] } ] }
//
// A miner entry is matched by MAC, then serial, then IP. `pools` is the
// desired pool list, first = the pool to mine on; backups follow. `remove_pools`
// (optional) names pools (URL + worker) that must not stay usable on the miner:
// removed, else disabled (a restore's holding pools, docs/DEFAULT.md).

import { parseCidr } from './scanner.mjs';
import { normaliseMac } from './parse/common.mjs';
import { isPduFamily } from './pdu/families.mjs';

export const MIN_POLL_S = 10;
export const MAX_POLL_S = 3600;
export const DEFAULT_POLL_S = 60;

/**
 * @typedef {{ url: string, user: string, password: string }} DesiredPool
 * @typedef {{ url: string, user: string }} UnwantedPool
 * @typedef {{ mac?: string, serial?: string, ip?: string, pools: DesiredPool[], removeOthers: boolean, removePools: UnwantedPool[] }} MinerConfig
 * @typedef {{ outlet: string, mac?: string, serial?: string, ip?: string }} OutletMapping
 * @typedef {import('./pdu/snmp.mjs').PduTarget & { id: string, outlets: OutletMapping[] }} PduConfig
 * @typedef {{ segments: string[], pollIntervalS: number, miners: MinerConfig[], pdus: PduConfig[], problems: string[] }} AgentConfig
 */

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const SECRET = (/** @type {unknown} */ v) => typeof v === 'string' && v.length > 0 && v.length <= 128 && !CONTROL.test(v);

/**
 * One PDU entry of the config, or why it is refused.
 * @param {unknown} raw
 * @returns {PduConfig | string}
 */
export function checkPdu(raw) {
  if (!raw || typeof raw !== 'object') return 'a PDU entry must be an object';
  const o = /** @type {Record<string, unknown>} */ (raw);
  if (typeof o.id !== 'string' || !o.id || o.id.length > 64) return 'a PDU entry needs an id';
  if (typeof o.address !== 'string' || !IPV4.test(o.address)) return `PDU ${o.id}: address ${JSON.stringify(o.address)} is not an IPv4 address`;
  const port = o.port === undefined || o.port === null ? 161 : o.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return `PDU ${o.id}: port is not valid`;
  if (!isPduFamily(o.family)) return `PDU ${o.id}: family ${JSON.stringify(o.family)} is not one of apc, raritan, servertech, eaton`;
  const c = /** @type {Record<string, unknown>} */ (o.snmp && typeof o.snmp === 'object' ? o.snmp : {});
  /** @type {import('./pdu/snmp.mjs').SnmpCredentials} */
  let snmp;
  if (c.version === '2c') {
    if (!SECRET(c.community)) return `PDU ${o.id}: the SNMP community is missing`;
    snmp = { version: '2c', community: /** @type {string} */ (c.community) };
  } else if (c.version === '3') {
    const level = c.level === 'noAuthNoPriv' || c.level === 'authNoPriv' || c.level === 'authPriv' ? c.level : null;
    if (!SECRET(c.user) || !level) return `PDU ${o.id}: the SNMP v3 user or level is missing`;
    if (level !== 'noAuthNoPriv' && !SECRET(c.auth_key)) return `PDU ${o.id}: the SNMP v3 auth key is missing`;
    if (level === 'authPriv' && !SECRET(c.priv_key)) return `PDU ${o.id}: the SNMP v3 privacy key is missing`;
    const auth = ['md5', 'sha', 'sha256', 'sha512'].includes(/** @type {string} */ (c.auth_protocol)) ? c.auth_protocol : 'sha';
    const priv = ['des', 'aes', 'aes256b', 'aes256r'].includes(/** @type {string} */ (c.priv_protocol)) ? c.priv_protocol : 'aes';
    snmp = /** @type {import('./pdu/snmp.mjs').SnmpCredentials} */ ({
      version: '3', user: c.user, level, auth_protocol: auth, priv_protocol: priv,
      ...(typeof c.auth_key === 'string' ? { auth_key: c.auth_key } : {}), ...(typeof c.priv_key === 'string' ? { priv_key: c.priv_key } : {}),
    });
  } else return `PDU ${o.id}: SNMP version must be "2c" or "3"`;
  /** @type {OutletMapping[]} */
  const outlets = [];
  for (const e of Array.isArray(o.outlets) ? o.outlets : []) {
    if (!e || typeof e !== 'object') continue;
    const m = /** @type {Record<string, unknown>} */ (e);
    if (typeof m.outlet !== 'string' || !/^[0-9.]{1,16}$/.test(m.outlet)) continue;
    const mac = normaliseMac(m.mac);
    const serial = typeof m.serial === 'string' && m.serial.trim() ? m.serial.trim() : undefined;
    const ip = typeof m.ip === 'string' && IPV4.test(m.ip) ? m.ip : undefined;
    if (!mac && !serial && !ip) continue;
    outlets.push({ outlet: m.outlet, ...(mac ? { mac } : {}), ...(serial ? { serial } : {}), ...(ip ? { ip } : {}) });
  }
  return { id: o.id, address: o.address, port, family: o.family, snmp, outlets };
}

const POOL_URL = /^stratum2?\+(tcp|ssl|tls):\/\/[^\s/,\\]+(:\d{1,5})?(\/[^\s,\\]*)?$/i;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * @param {unknown} p
 * @returns {DesiredPool | string} the pool, or why it is refused
 */
export function checkPool(p) {
  if (!p || typeof p !== 'object') return 'a pool must be an object';
  const o = /** @type {Record<string, unknown>} */ (p);
  if (typeof o.url !== 'string' || !POOL_URL.test(o.url.trim())) return `pool url ${JSON.stringify(o.url)} is not a stratum URL`;
  if (typeof o.user !== 'string' || o.user.trim() === '' || CONTROL.test(o.user) || o.user.length > 256) {
    return `pool user ${JSON.stringify(o.user)} is not valid`;
  }
  const password = o.password === undefined || o.password === null ? 'x' : o.password;
  if (typeof password !== 'string' || CONTROL.test(password) || password.length > 256) return 'pool password is not valid';
  return { url: o.url.trim(), user: o.user.trim(), password };
}

/**
 * Validate a config answer. Bad entries are dropped and listed in `problems`;
 * a config that is not an object at all throws.
 * @param {unknown} raw
 * @returns {AgentConfig}
 */
export function normaliseConfig(raw) {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('the config is not a JSON object');
  const o = /** @type {Record<string, unknown>} */ (raw);
  /** @type {string[]} */
  const problems = [];
  /** @type {string[]} */
  const segments = [];
  for (const s of Array.isArray(o.scan_segments) ? o.scan_segments : []) {
    try {
      segments.push(parseCidr(/** @type {string} */ (s)).cidr);
    } catch (err) {
      problems.push(`scan segment ignored: ${/** @type {Error} */ (err).message}`);
    }
  }
  let pollIntervalS = DEFAULT_POLL_S;
  if (typeof o.poll_interval_s === 'number' && Number.isFinite(o.poll_interval_s)) {
    pollIntervalS = Math.min(MAX_POLL_S, Math.max(MIN_POLL_S, Math.round(o.poll_interval_s)));
  }
  /** @type {MinerConfig[]} */
  const miners = [];
  for (const m of Array.isArray(o.miners) ? o.miners : []) {
    if (!m || typeof m !== 'object') continue;
    const e = /** @type {Record<string, unknown>} */ (m);
    const mac = normaliseMac(e.mac);
    const serial = typeof e.serial === 'string' && e.serial.trim() ? e.serial.trim() : undefined;
    const ip = typeof e.ip === 'string' && /^\d+\.\d+\.\d+\.\d+$/.test(e.ip) ? e.ip : undefined;
    if (!mac && !serial && !ip) {
      problems.push('a miner entry without mac, serial or ip was ignored');
      continue;
    }
    /** @type {DesiredPool[]} */
    const pools = [];
    let bad = false;
    for (const p of Array.isArray(e.pools) ? e.pools : []) {
      const r = checkPool(p);
      if (typeof r === 'string') {
        problems.push(`miner ${mac ?? serial ?? ip}: ${r}`);
        bad = true;
      } else pools.push(r);
    }
    /** @type {UnwantedPool[]} */
    const removePools = [];
    for (const p of Array.isArray(e.remove_pools) ? e.remove_pools : []) {
      const r = checkPool(p);
      if (typeof r === 'string') {
        problems.push(`miner ${mac ?? serial ?? ip}: remove_pools: ${r}`);
        bad = true;
      } else removePools.push({ url: r.url, user: r.user });
    }
    // A partly invalid pool list is not applied at all: applying the valid
    // rest could leave a miner on the wrong pool (or a holding pool behind it).
    if (bad) continue;
    miners.push({ mac, serial, ip, pools, removeOthers: e.remove_other_pools === true, removePools });
  }
  /** @type {PduConfig[]} */
  const pdus = [];
  for (const p of Array.isArray(o.pdus) ? o.pdus : []) {
    const r = checkPdu(p);
    if (typeof r === 'string') problems.push(`PDU ignored: ${r}`);
    else pdus.push(r);
  }
  return { segments, pollIntervalS, miners, pdus, problems };
}

/**
 * The config entry for a polled miner: by MAC, then serial, then IP.
 * @param {AgentConfig} config
 * @param {{ mac?: string, serial?: string, ip: string }} miner
 */
export function configFor(config, miner) {
  return (
    (miner.mac && config.miners.find((c) => c.mac === miner.mac)) ||
    (miner.serial && config.miners.find((c) => c.serial === miner.serial)) ||
    config.miners.find((c) => !c.mac && !c.serial && c.ip === miner.ip) ||
    config.miners.find((c) => c.ip === miner.ip && !miner.mac && !miner.serial) ||
    undefined
  );
}
