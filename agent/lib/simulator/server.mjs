// Serves simulated miners on loopback addresses, one TCP listener per miner on
// <ip>:4028. Linux routes all of 127.0.0.0/8 to the loopback interface, so
// binding 127.20.0.1, 127.20.0.2, ... needs no setup.
//
// Protocol: like cgminer, read one request (JSON `{"command","parameter"}` or
// plain `command|parameter`), write one reply followed by a NUL, close.
// Multi-command requests (`summary+stats+pools`) answer the combined shape.

import net from 'node:net';
import http from 'node:http';
import fs from 'node:fs/promises';
import { SimMiner, SCENARIOS } from './model.mjs';
import { SimPdu } from './pdu.mjs';
import { errorReply, infoReply, okReply, renderRead } from './render.mjs';

/** @typedef {import('./model.mjs').Scenario} Scenario */
/** @typedef {import('./model.mjs').SimDialect} SimDialect */

const WRITE = new Set(['addpool', 'switchpool', 'enablepool', 'disablepool', 'removepool', 'poolpriority']);

/** @param {string} ip */
function ipToInt(ip) {
  return ip.split('.').reduce((a, p) => a * 256 + Number(p), 0);
}
/** @param {number} n */
function intToIp(n) {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * `count` loopback addresses from `base`, skipping .0 and .255 host parts.
 * @param {string} base @param {number} count
 */
export function loopbackAddresses(base, count) {
  if (!/^127\.\d+\.\d+\.\d+$/.test(base)) throw new Error(`the simulator only binds loopback addresses (127.x.y.z), not ${base}`);
  /** @type {string[]} */
  const out = [];
  for (let n = ipToInt(base); out.length < count; n++) {
    if ((n & 255) === 0 || (n & 255) === 255) continue;
    if (n >>> 24 !== 127) throw new Error(`${count} addresses from ${base} run past 127.255.255.254`);
    out.push(intToIp(n));
  }
  return out;
}

/**
 * Split a cgminer parameter on unescaped commas, honouring `\` escapes.
 * @param {string} s
 */
export function splitParam(s) {
  /** @type {string[]} */
  const out = [''];
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\' && i + 1 < s.length) {
      out[out.length - 1] += s[++i];
    } else if (ch === ',') out.push('');
    else out[out.length - 1] += ch;
  }
  return out;
}

/**
 * Parse a scenario spec "overheat:5,offline:3,lowhash:4" into counts.
 * @param {string} spec
 * @returns {[Scenario, number][]}
 */
export function parseScenarioSpec(spec) {
  if (!spec) return [];
  return spec.split(',').map((part) => {
    const [name, n] = part.split(':');
    if (!SCENARIOS.includes(/** @type {Scenario} */ (name))) throw new Error(`unknown scenario ${name}; known: ${SCENARIOS.join(', ')}`);
    const count = n === undefined ? 1 : Number(n);
    if (!Number.isInteger(count) || count < 0) throw new Error(`bad count in ${part}`);
    return /** @type {[Scenario, number]} */ ([name, count]);
  });
}

/**
 * @typedef {{
 *   count: number, base?: string, port?: number,
 *   dialects?: SimDialect[], scenarios?: [Scenario, number][] | Record<string, Scenario>,
 *   jitter?: number, now?: () => number, bootAt?: number, log?: (msg: string) => void,
 * }} SimulatorOptions
 */

export class Simulator {
  /** @param {SimulatorOptions} o */
  constructor(o) {
    this.port = o.port ?? 4028;
    this.now = o.now ?? (() => Date.now());
    this.log = o.log ?? (() => {});
    const dialects = o.dialects ?? ['bmminer', 'btminer', 'cgminer'];
    const ips = loopbackAddresses(o.base ?? '127.20.0.1', o.count);
    /** @type {SimMiner[]} */
    this.miners = ips.map(
      (ip, i) => new SimMiner({ ip, index: i, dialect: /** @type {SimDialect} */ (dialects[i % dialects.length]), jitter: o.jitter ?? 0, bootAt: o.bootAt ?? this.now() - 3600 * 1000 }),
    );
    /** @type {Map<string, net.Server>} */
    this.servers = new Map();
    /** @type {SimPdu[]} */
    this.pdus = [];
    /** @type {Map<string, Set<net.Socket>>} */
    this.sockets = new Map();
    /** counts of commands received, by name */
    this.commandLog = /** @type {{ ip: string, command: string, parameter?: string }[]} */ ([]);
    if (Array.isArray(o.scenarios)) {
      // spread the scenarios deterministically over the fleet, from the end
      let k = this.miners.length - 1;
      for (const [name, n] of o.scenarios) {
        for (let c = 0; c < n && k >= 0; c++, k--) this.miners[k]?.setScenario(name);
      }
    } else if (o.scenarios) {
      for (const [ip, name] of Object.entries(o.scenarios)) this.get(ip).setScenario(name);
    }
  }

  /** @param {string} ip */
  get(ip) {
    const m = this.miners.find((x) => x.ip === ip);
    if (!m) throw new Error(`no simulated miner at ${ip}`);
    return m;
  }

  async start() {
    await Promise.all(this.miners.filter((m) => m.scenario !== 'offline').map((m) => this.listen(m)));
    return this;
  }

  /**
   * A metered PDU on `address` (UDP, SNMP v2c, and v3 when given a `v3` user) whose outlet n
   * feeds the simulated miner `first + n - 1` (0-based index into the fleet): its power is that
   * miner's, 0 while offline.
   * @param {{ family: import('../pdu/families.mjs').PduFamily, address: string, port?: number, community?: string,
   *   first?: number, outlets: number, metering?: 'outlet' | 'phase', v3?: import('./pdu.mjs').SimV3User }} o
   */
  async addPdu(o) {
    const first = o.first ?? 0;
    const pdu = new SimPdu({
      ...o,
      now: this.now,
      power: (n) => {
        const m = this.miners[first + n - 1];
        return !m || m.scenario === 'offline' ? 0 : m.sample(this.now()).watts;
      },
    });
    await pdu.start();
    this.pdus.push(pdu);
    return pdu;
  }

  async stop() {
    await Promise.all(this.pdus.map((p) => p.stop()));
    await Promise.all(this.miners.map((m) => this.unlisten(m)));
    await new Promise((r) => (this.control ? this.control.close(() => r(undefined)) : r(undefined)));
  }

  /**
   * Switch a miner's scenario at runtime ("offline" stops its listener).
   * @param {string} ip @param {Scenario} scenario
   */
  async setScenario(ip, scenario) {
    const m = this.get(ip);
    m.setScenario(scenario);
    if (scenario === 'offline') await this.unlisten(m);
    else await this.listen(m);
  }

  /** @param {SimMiner} m */
  async listen(m) {
    if (this.servers.has(m.ip)) return;
    /** @type {Set<net.Socket>} */
    const sockets = new Set();
    const server = net.createServer((socket) => this.handle(m, socket, sockets));
    this.servers.set(m.ip, server);
    this.sockets.set(m.ip, sockets);
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, m.ip, () => {
        server.off('error', reject);
        resolve(undefined);
      });
    });
  }

  /** @param {SimMiner} m */
  async unlisten(m) {
    const server = this.servers.get(m.ip);
    if (!server) return;
    this.servers.delete(m.ip);
    for (const s of this.sockets.get(m.ip) ?? []) s.destroy();
    this.sockets.delete(m.ip);
    await new Promise((r) => server.close(() => r(undefined)));
  }

  /**
   * @param {SimMiner} m @param {net.Socket} socket @param {Set<net.Socket>} sockets
   */
  handle(m, socket, sockets) {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.setTimeout(30000, () => socket.destroy());
    let buf = '';
    socket.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      if (buf.length > 65536) return socket.destroy();
      const req = parseRequest(buf);
      if (!req) return; // wait for the rest
      if (m.scenario === 'hang') return; // never answer
      if (m.scenario === 'garbage') {
        socket.end(Buffer.concat([Buffer.from('{"STATUS":[{"STATUS":"S","When":17'), Buffer.from([0xff, 0xfe, 0x00])]));
        return;
      }
      const reply = this.reply(m, req.command, req.parameter);
      socket.end(Buffer.concat([Buffer.from(JSON.stringify(reply)), Buffer.from([0])]));
    });
  }

  /**
   * The reply object for one request.
   * @param {SimMiner} m @param {string} command @param {string | undefined} parameter
   * @param {boolean} [nested] one part of a multi-command request (not logged again)
   */
  reply(m, command, parameter, nested = false) {
    const now = this.now();
    if (!nested) this.commandLog.push({ ip: m.ip, command, parameter }); // one entry per request
    if (command.includes('+')) {
      if (m.dialect === 'btminer') return errorReply(m, now, 23, "Missing JSON 'command'");
      /** @type {Record<string, unknown>} */
      const out = {};
      for (const c of command.split('+')) out[c] = [this.reply(m, c, parameter, true)];
      out.id = 1;
      return out;
    }
    if (WRITE.has(command)) return this.write(m, command, parameter ?? '', now);
    const r = renderRead(m, command, now);
    return r ?? errorReply(m, now, 14, 'Invalid command');
  }

  /**
   * The pool write commands, answered with the codes and messages of cgminer's API (`api.c`
   * message table, github.com/ckolivas/cgminer: MSG_ACCDENY 45, MSG_ENAPOOL 47, MSG_DISPOOL 48,
   * MSG_ALRENAP 49, MSG_ALRDISP 50, MSG_DISLASTP 51, MSG_MISPDP 52, MSG_INVPDP 53, MSG_TOOMANYP 54,
   * MSG_ADDPOOL 55, MSG_REMLASTP 66, MSG_ACTPOOL 67, MSG_REMPOOL 68, MSG_MISPID 25, MSG_INVPID 26,
   * MSG_SWITCHP 27), which bmminer (Antminer) and older btminer (Whatsminer) share.
   *
   * Refusals (`readonly`): a cgminer-family API started without write access (stock firmware's
   * `api-allow` without `W:`) answers every privileged command with MSG_ACCDENY, as a stock
   * Antminer S17 does (`{"STATUS":[{"STATUS":"E","Code":45,"Msg":"Access denied to 'removepool'
   * command","Description":"cgminer 4.11.1"}]}`, UpstreamData/pyasic issue 44). Whatsminer takes
   * pool changes only through its token-encrypted API (`update_pools`), so the plain cgminer verbs
   * get its flat "invalid cmd" error (`{"STATUS":"E","Code":14,"Msg":"invalid cmd","Description":
   * "whatsminer v1.3"}`, btccom/libbtctools issue 8).
   * @param {import('./model.mjs').SimMiner} m @param {string} command @param {string} parameter @param {number} now
   */
  write(m, command, parameter, now) {
    if (!m.writable) {
      if (m.dialect === 'btminer') return { STATUS: 'E', When: Math.floor(now / 1000), Code: 14, Msg: 'invalid cmd', Description: 'whatsminer v1.3' };
      return errorReply(m, now, 45, `Access denied to '${command}' command`);
    }
    if (command === 'addpool') {
      if (!parameter) return errorReply(m, now, 52, 'Missing addpool details');
      const [url, user, pass] = splitParam(parameter);
      if (!url || user === undefined || pass === undefined) return errorReply(m, now, 53, `Invalid addpool details '${parameter}'`);
      if (m.pools.length >= m.maxPools) return errorReply(m, now, 54, `Reached maximum number of pools (${m.maxPools})`);
      const p = m.addPool(url, user, pass);
      this.log(`${m.ip}: addpool ${p.id} ${url} ${user}`);
      return okReply(m, now, 55, `Added pool ${p.id}: '${url}'`);
    }
    if (!parameter) return errorReply(m, now, 25, 'Missing pool id parameter');
    if (command === 'poolpriority') {
      // cgminer's poolpriority: the listed pools take priorities 0.. in that order, the others
      // keep their order after them (MSG_POOLPRIO 73, MSG_DUPPID 74, MSG_INVPID 26)
      const ids = parameter.split(',').map((x) => Number(x.trim()));
      /** @type {import('./model.mjs').SimPool[]} */
      const listed = [];
      for (const id of ids) {
        const p = Number.isInteger(id) ? m.pool(id) : undefined;
        if (!p) return errorReply(m, now, 26, `Invalid pool id ${Number.isInteger(id) ? id : 0} - range is 0 - ${m.pools.length - 1}`);
        if (listed.includes(p)) return errorReply(m, now, 74, `Duplicate pool specified ${id}`);
        listed.push(p);
      }
      m.setPriorities(listed);
      this.log(`${m.ip}: poolpriority ${parameter}`);
      return okReply(m, now, 73, 'Changed pool priorities');
    }
    const id = Number(parameter);
    const p = Number.isInteger(id) ? m.pool(id) : undefined;
    if (!p) return errorReply(m, now, 26, `Invalid pool id ${Number.isInteger(id) ? id : 0} - range is 0 - ${m.pools.length - 1}`);
    if (command === 'switchpool') {
      // cgminer's switchpool enables the pool, then switch_pools() moves it to priority 0
      m.switchTo(p);
      this.log(`${m.ip}: switchpool ${p.id} ${p.url}`);
      return okReply(m, now, 27, `Switching to pool ${p.id}:'${p.url}'`);
    }
    if (command === 'enablepool') {
      if (!p.disabled) return infoReply(m, now, 49, `Pool ${p.id}:'${p.url}' already enabled`);
      p.disabled = false;
      return okReply(m, now, 47, `Enabling pool ${p.id}:'${p.url}'`);
    }
    if (command === 'disablepool') {
      if (p.disabled) return infoReply(m, now, 50, `Pool ${p.id}:'${p.url}' already disabled`);
      if (m.pools.filter((x) => !x.disabled).length <= 1) return errorReply(m, now, 51, `Cannot disable last active pool ${p.id}:'${p.url}'`);
      p.disabled = true;
      return okReply(m, now, 48, `Disabling pool ${p.id}:'${p.url}'`);
    }
    if (command === 'removepool') {
      if (m.scenario === 'noremove') return errorReply(m, now, 14, 'Invalid command');
      if (m.pools.length <= 1) return errorReply(m, now, 66, `Cannot remove last pool ${p.id}:'${p.url}'`);
      if (m.activePool() === p) return errorReply(m, now, 67, `Cannot remove active pool ${p.id}:'${p.url}'`);
      const url = p.url;
      m.removePool(p);
      this.log(`${m.ip}: removepool ${id} ${url}`);
      return okReply(m, now, 68, `Removed pool ${id}:'${url}'`);
    }
    return errorReply(m, now, 14, 'Invalid command');
  }

  /** Lines for an /proc/net/arp-format file listing every miner's MAC. */
  arpTable() {
    const rows = this.miners.map((m) => `${m.ip.padEnd(17)}0x1         0x2         ${m.mac}     *        lo`);
    return `IP address       HW type     Flags       HW address            Mask     Device\n${rows.join('\n')}\n`;
  }

  /** @param {string} file */
  async writeArpFile(file) {
    await fs.writeFile(file, this.arpTable());
  }

  /** A summary of every miner, for the control API and the CLI. */
  describe() {
    return this.miners.map((m) => ({
      ip: m.ip,
      dialect: m.dialect,
      model: m.spec.model,
      mac: m.mac,
      scenario: m.scenario,
      listening: this.servers.has(m.ip),
      pools: m.orderedPools().map((p) => ({ id: p.id, url: p.url, user: p.user, priority: p.priority, disabled: p.disabled })),
    }));
  }

  /**
   * HTTP control API on a loopback address:
   *   GET  /miners                       every miner
   *   POST /miners/<ip>/scenario         {"scenario":"overheat"}
   *   POST /miners/<ip>/pools            {"pools":[{"url","user","password"}]}
   * @param {number} port @param {string} [host]
   */
  async startControl(port, host = '127.0.0.1') {
    if (!/^127\./.test(host)) throw new Error('the control API only listens on loopback');
    this.control = http.createServer(async (req, res) => {
      const send = (/** @type {number} */ status, /** @type {unknown} */ body) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(`${JSON.stringify(body)}\n`);
      };
      try {
        const url = new URL(req.url ?? '/', 'http://sim');
        if (req.method === 'GET' && url.pathname === '/miners') return send(200, this.describe());
        const m = /^\/miners\/(127\.\d+\.\d+\.\d+)\/(scenario|pools)$/.exec(url.pathname);
        if (req.method === 'POST' && m) {
          let body = '';
          for await (const c of req) body += c;
          const data = JSON.parse(body || '{}');
          if (m[2] === 'scenario') await this.setScenario(/** @type {string} */ (m[1]), data.scenario);
          else this.get(/** @type {string} */ (m[1])).setPools(data.pools);
          return send(200, this.describe().find((x) => x.ip === m[1]));
        }
        send(404, { error: 'not found' });
      } catch (err) {
        send(400, { error: /** @type {Error} */ (err).message });
      }
    });
    await new Promise((r) => this.control?.listen(port, host, () => r(undefined)));
    const addr = this.control.address();
    return typeof addr === 'object' && addr ? addr.port : port;
  }
}

/**
 * A complete request, or null while more bytes are needed.
 * @param {string} buf
 * @returns {{ command: string, parameter?: string } | null}
 */
function parseRequest(buf) {
  const text = buf.replace(/\u0000/g, '').trim();
  if (text.startsWith('{')) {
    try {
      const j = JSON.parse(text);
      return { command: String(j.command ?? ''), parameter: j.parameter === undefined ? undefined : String(j.parameter) };
    } catch {
      return null;
    }
  }
  if (text === '') return null;
  const [command, ...rest] = text.split('|');
  return { command: command ?? '', parameter: rest.length ? rest.join('|') : undefined };
}

/** @param {SimulatorOptions} o */
export async function startSimulator(o) {
  return new Simulator(o).start();
}
