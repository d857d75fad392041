// The facility agent: register once, then every poll interval
//   pull config → (re)scan the segments when due → poll every known miner →
//   apply desired pools → write the batch to the spool → deliver the spool.
// Everything that can wait (timers, randomness, the clock, HTTP, TCP) is
// injectable so tests run fast and deterministically.

import os from 'node:os';
import crypto from 'node:crypto';
import { ensureStateDir, loadRegistration, saveRegistration, loadSavedConfig, saveConfig, acquireLock } from './state.mjs';
import { EdgeClient, DEFAULT_RETRY, flushSpool, withRetry } from './edge-client.mjs';
import { Spool } from './spool.mjs';
import { RevokedError, TransportError } from './errors.mjs';
import { createClient, queryV3 } from './cgminer-client.mjs';
import { scan, ipToInt } from './scanner.mjs';
import { readArpTable, DEFAULT_ARP_FILE } from './arp.mjs';
import { normaliseConfig, configFor, DEFAULT_POLL_S } from './config.mjs';
import { poolEntriesV3 } from './parse/btminer3.mjs';
import { DIALECTS, capErrors, decodeReply, detectDialect, describeError, normalise, parsePools, unpackMulti, versionText } from './parse/index.mjs';
import { applyPools, poolsSatisfied, unwantedLeft } from './pools.mjs';
import { mapLimit, sleep as realSleep } from './util.mjs';
import { readPdu } from './pdu/snmp.mjs';
import { EnergyCounters } from './pdu/counters.mjs';
import { FAMILIES } from './pdu/families.mjs';

export const AGENT_VERSION = '0.1.0';
export const MAX_MINERS_PER_BATCH = 10000;
/**
 * The Worker refuses a telemetry body over 16 MiB, compressed or once
 * decompressed (src/telemetry/batch.ts MAX_BATCH_BYTES). Batches are cut so
 * their JSON stays under 12 MiB, whatever the miners carry; 10,000 ordinary
 * miners are ~6 MB, so this only bites on unusually wordy fleets.
 */
export const MAX_BATCH_JSON_BYTES = 12 * 1024 * 1024;

/**
 * Split miners into batches of at most `maxMiners` miners and about
 * `maxBytes` of JSON each (a single miner is never split). Always at least
 * one batch: an empty batch is the heartbeat.
 * @template T
 * @param {T[]} miners @param {number} maxMiners @param {number} maxBytes
 * @returns {T[][]}
 */
export function splitBatches(miners, maxMiners, maxBytes) {
  /** @type {T[][]} */
  const out = [];
  /** @type {T[]} */
  let cur = [];
  let bytes = 0;
  for (const m of miners) {
    const size = Buffer.byteLength(JSON.stringify(m)) + 1;
    if (cur.length > 0 && (cur.length >= maxMiners || bytes + size > maxBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(m);
    bytes += size;
  }
  if (cur.length > 0 || out.length === 0) out.push(cur);
  return out;
}

/**
 * @typedef {import('./parse/index.mjs').MinerV1} MinerV1
 * @typedef {import('./config.mjs').AgentConfig} AgentConfig
 * @typedef {{
 *   api: string, stateDir: string, code?: string, hostname?: string,
 *   segments?: string[], pollIntervalS?: number,
 *   minerPort?: number, whatsminerV3Port?: number, arpFile?: string,
 *   pollConcurrency?: number, scanConcurrency?: number, scanTimeoutMs?: number,
 *   connectTimeoutMs?: number, readTimeoutMs?: number, minerDeadlineMs?: number, maxScanHosts?: number,
 *   pduTimeoutMs?: number, pduRetries?: number,
 *   rescanIntervalMs?: number, forgetAfterMs?: number, staticTtlMs?: number,
 *   retry?: import('./edge-client.mjs').RetryPolicy,
 *   sleep?: (ms: number, signal?: AbortSignal) => Promise<unknown>, random?: () => number, now?: () => Date,
 *   maxMinersPerBatch?: number, maxBatchBytes?: number, spoolMaxBytes?: number, allowInsecureHttp?: boolean,
 *   request?: import('./edge-client.mjs').RequestFn, client?: import('./cgminer-client.mjs').CgminerClient,
 *   log?: (msg: string) => void, debug?: (msg: string) => void,
 * }} AgentOptions
 */

/**
 * The one-line health summary logged after every cycle (grep for "health:"):
 * how many miners answered and in what state, how long polling and the whole
 * cycle took, and whether delivery is keeping up.
 * @param {{ miners: MinerV1[], known: number, offline: number, pollMs: number, cycleMs: number,
 *   spooled: number, delivered: number, lastError?: string }} h
 */
export function healthLine(h) {
  /** @type {Record<string, number>} */
  const states = { mining: 0, sleeping: 0, error: 0 };
  let unrecognised = 0;
  for (const m of h.miners) {
    if (m.state) states[m.state] = (states[m.state] ?? 0) + 1;
    if (m.errors.some((e) => e.startsWith('miner not recognised') || e.includes('not recognised as a CGMiner'))) unrecognised++;
  }
  return (
    `health: ${h.miners.length}/${h.known} miners answered (mining ${states.mining}, sleeping ${states.sleeping}, error ${states.error}` +
    `${unrecognised ? `, not recognised ${unrecognised}` : ''}), ${h.offline} not answering; ` +
    `poll ${(h.pollMs / 1000).toFixed(1)} s, cycle ${(h.cycleMs / 1000).toFixed(1)} s; ` +
    `delivered ${h.delivered}, spool ${h.spooled}${h.lastError ? ` (last error: ${h.lastError})` : ''}`
  );
}

/** @param {unknown} r a reply or the error fetching it produced */
function unreachable(r) {
  return r instanceof TransportError && r.phase === 'connect';
}

export class Agent {
  /** @param {AgentOptions} opts */
  constructor(opts) {
    this.opts = opts;
    this.log = opts.log ?? ((m) => process.stderr.write(`${new Date().toISOString()} ${m}\n`));
    this.debug = opts.debug ?? (() => {});
    this.now = opts.now ?? (() => new Date());
    this.sleep = opts.sleep ?? realSleep;
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.client = opts.client ?? createClient();
    this.spool = new Spool(opts.stateDir, { maxBytes: opts.spoolMaxBytes, log: this.log });
    /** @type {import('./state.mjs').Registration | null} */
    this.reg = null;
    /** @type {EdgeClient | null} */
    this.edge = null;
    /** @type {AgentConfig | null} */
    this.config = null;
    /** ip → when it last answered (ms) */
    this.known = /** @type {Map<string, number>} */ (new Map());
    /** ip → detected dialect and cached identity replies */
    this.cache = /** @type {Map<string, { dialect: import('./parse/index.mjs').DialectName, statics: Record<string, string>, at: number, multiOk?: boolean }>} */ (new Map());
    this.lastScanAt = 0;
    this.lastSegments = '';
    /** unwrapped outlet energy counters (pdu/counters.mjs) */
    this.counters = new EnergyCounters();
    /** @type {() => void} */
    this.release = () => {};
  }

  /** Prepare the state directory, lock it, and make sure we are registered. */
  async start() {
    await ensureStateDir(this.opts.stateDir);
    this.release = acquireLock(this.opts.stateDir);
    await this.spool.init();
    await this.ensureRegistered();
  }

  stop() {
    this.release();
  }

  async ensureRegistered() {
    const { api, code, stateDir } = this.opts;
    const reg = await loadRegistration(stateDir);
    const sameApi = reg && reg.api.replace(/\/+$/, '') === api.replace(/\/+$/, '');
    if (reg && !reg.revoked_at && sameApi) {
      if (code) this.log('already registered (state in agent.json); --code ignored');
      this.useRegistration(reg);
      return;
    }
    if (!code) {
      throw new Error(
        reg?.revoked_at
          ? `this agent's token was revoked on ${reg.revoked_at}; register again with a new one-time code (--code)`
          : 'this agent is not registered yet: pass --code with the one-time registration code from Hashyard',
      );
    }
    const edge = new EdgeClient({ api, allowInsecureHttp: this.opts.allowInsecureHttp, request: this.opts.request, userAgent: `hashyard-agent/${AGENT_VERSION}` });
    const answer = await withRetry(
      () => edge.register({ code, hostname: this.opts.hostname ?? os.hostname(), version: AGENT_VERSION }),
      { retry: this.retry, sleep: this.sleep, random: this.opts.random, onRetry: (e, d) => this.log(`register: ${e.message}; retrying in ${d} ms`) },
    );
    /** @type {import('./state.mjs').Registration} */
    const next = { api, ...answer, registered_at: this.now().toISOString() };
    await saveRegistration(stateDir, next);
    this.log(`registered as agent ${answer.agent_id} for site ${answer.site_id}`);
    this.useRegistration(next);
  }

  /** @param {import('./state.mjs').Registration} reg */
  useRegistration(reg) {
    this.reg = reg;
    this.edge = new EdgeClient({
      api: this.opts.api,
      token: reg.token,
      allowInsecureHttp: this.opts.allowInsecureHttp,
      request: this.opts.request,
      userAgent: `hashyard-agent/${AGENT_VERSION}`,
    });
  }

  async markRevoked() {
    if (!this.reg) return;
    this.reg = { ...this.reg, revoked_at: this.now().toISOString() };
    await saveRegistration(this.opts.stateDir, this.reg);
  }

  /** Pull the config; on failure keep the last one (from memory or disk). */
  async refreshConfig() {
    const edge = /** @type {EdgeClient} */ (this.edge);
    /** @type {AgentConfig | null} */
    let cfg = null;
    try {
      const raw = await withRetry(() => edge.getConfig(), { retry: { ...this.retry, attempts: Math.min(2, this.retry.attempts) }, sleep: this.sleep, random: this.opts.random });
      cfg = normaliseConfig(raw);
      for (const p of cfg.problems) this.log(`config: ${p}`);
      await saveConfig(this.opts.stateDir, raw);
    } catch (err) {
      if (err instanceof RevokedError) throw err;
      if (!this.config) {
        const saved = await loadSavedConfig(this.opts.stateDir);
        if (saved) {
          try {
            cfg = normaliseConfig(saved);
          } catch {
            /* ignore a corrupt saved config */
          }
        }
      }
      this.log(`config: ${/** @type {Error} */ (err).message}; ${cfg || this.config ? 'using the last one' : 'none yet'}`);
    }
    cfg ??= this.config ?? { segments: [], pollIntervalS: DEFAULT_POLL_S, miners: [], pdus: [], problems: [] };
    if (this.opts.segments) cfg = { ...cfg, segments: this.opts.segments };
    if (this.opts.pollIntervalS) cfg = { ...cfg, pollIntervalS: this.opts.pollIntervalS };
    this.config = cfg;
    return cfg;
  }

  /** Scan the segments and refresh the set of known miners. */
  async discover() {
    const cfg = /** @type {AgentConfig} */ (this.config);
    const t = Date.now();
    const found = cfg.segments.length
      ? await scan(cfg.segments, {
          port: this.opts.minerPort ?? 4028,
          concurrency: this.opts.scanConcurrency ?? 256,
          timeoutMs: this.opts.scanTimeoutMs ?? 1500,
          maxHosts: this.opts.maxScanHosts,
        })
      : [];
    const nowMs = this.now().getTime();
    for (const ip of found) this.known.set(ip, nowMs);
    const forget = this.opts.forgetAfterMs ?? 60 * 60 * 1000;
    for (const [ip, seen] of this.known) if (!found.includes(ip) && nowMs - seen > forget) this.known.delete(ip);
    this.lastScanAt = nowMs;
    this.lastSegments = cfg.segments.join(',');
    this.log(`scan of ${cfg.segments.join(', ') || '(no segments)'}: ${found.length} answering on port ${this.opts.minerPort ?? 4028} (${Date.now() - t} ms)`);
    return found;
  }

  /**
   * Poll one miner. Resolves to null when it does not answer at all (the
   * edge notices the missing reports), else to its v1 object plus its pools.
   * @param {string} ip
   * @param {Map<string, string>} arp
   * @returns {Promise<{ miner: MinerV1, pools?: import('./parse/common.mjs').PoolEntry[] } | null>}
   */
  async pollMiner(ip, arp) {
    const sampledAt = this.now().toISOString();
    /** @type {Record<string, unknown>} */
    const replies = {};
    /** replies fetched over the network this time (not from the cache) */
    /** @type {unknown[]} */
    const live = [];
    // A miner that stops answering mid-poll (a read timeout, or the per-miner
    // deadline passed) gets no further commands this cycle: one hung miner
    // costs one read timeout in one poll slot, never a timeout per command.
    const deadline = Date.now() + (this.opts.minerDeadlineMs ?? 20000);
    /** @type {TransportError | null} */
    let stalled = null;
    const q = async (/** @type {string} */ cmd) => {
      if (!stalled && Date.now() > deadline) {
        stalled = new TransportError(`gave up: the miner took longer than ${this.opts.minerDeadlineMs ?? 20000} ms this cycle`, { phase: 'read', reason: 'deadline' });
      }
      if (stalled) return stalled; // not asked, so not reported per command
      try {
        const timeouts = { connectTimeoutMs: this.opts.connectTimeoutMs, readTimeoutMs: this.opts.readTimeoutMs };
        if (cmd.startsWith('get.')) {
          // Whatsminer API v3: `get.miner.status:summary` is cmd `get.miner.status`, param `summary`
          const [v3cmd, param] = cmd.split(':');
          replies[cmd] = await (this.client.queryV3 ?? queryV3)(ip, /** @type {string} */ (v3cmd), param, { ...timeouts, port: this.opts.whatsminerV3Port });
        } else {
          replies[cmd] = await this.client.query(ip, cmd, { ...timeouts, port: this.opts.minerPort });
        }
      } catch (err) {
        replies[cmd] = err;
        if (err instanceof TransportError && err.phase === 'read' && err.reason === 'timeout') stalled = err;
      }
      live.push(replies[cmd]);
      return replies[cmd];
    };
    const cached = this.cache.get(ip);
    let dialect = cached?.dialect;
    if (!dialect) {
      const v = await q('version');
      if (unreachable(v)) return null;
      await q('summary');
      dialect = detectDialect(replies);
      // btminer's get_version names the firmware date, which decides API v3 (2024-11+)
      if ((!dialect || dialect === 'btminer') && !stalled && !('get_version' in replies)) {
        await q('get_version');
        dialect = detectDialect(replies) ?? dialect;
      }
      // A 2024-11+ firmware date says API v3, but if its port is closed, the old API it answered is used
      if (dialect === 'btminer3' && !('get.device.info' in replies) && !stalled) {
        if (unreachable(await q('get.device.info'))) {
          delete replies['get.device.info'];
          dialect = 'btminer';
        }
      }
      // Whatsminer API v3 on its own port, for a miner whose 4028 API said nothing usable
      if (!dialect && !stalled) {
        // a refused v3 port is the usual answer of a miner that is not a v3 Whatsminer: not news
        if (unreachable(await q('get.device.info'))) delete replies['get.device.info'];
        dialect = detectDialect(replies);
      }
      if (!dialect) {
        // Not guessed at: reported as not recognised, with what it says it is.
        const said = versionText(replies);
        const errors = Object.entries(replies).map(([c, r]) => {
          if (r instanceof Error) return describeError(c, r);
          try {
            decodeReply(/** @type {string} */ (r), c);
            return `${c}: reply not recognised as a CGMiner-family miner`;
          } catch (err) {
            return describeError(c, err);
          }
        });
        if (said) errors.unshift(`miner not recognised: ${said}`);
        errors.splice(0, errors.length, ...capErrors(errors));
        /** @type {MinerV1} */
        const miner = { ip, sampled_at: sampledAt, state: 'error', errors };
        const mac = arp.get(ip);
        return { miner: mac ? { mac, ...miner } : miner };
      }
    }
    const ttl = this.opts.staticTtlMs ?? 60 * 60 * 1000;
    const nowMs = this.now().getTime();
    /** @type {string[]} */
    const wanted = [];
    for (const spec of DIALECTS[dialect].commands) {
      if (spec.name in replies) continue;
      const st = cached?.statics[spec.name];
      if (spec.static && cached && st !== undefined && nowMs - cached.at < ttl) {
        replies[spec.name] = st;
        continue;
      }
      wanted.push(spec.name);
    }
    // Firmware with cgminer's multi-command API gets every read in one
    // connection (`summary+stats+pools`): a third of the connections on a
    // large site. A miner that does not answer it properly is asked one
    // command at a time from then on.
    let multiOk = cached?.multiOk ?? true;
    if (/** @type {{ multi?: boolean }} */ (DIALECTS[dialect]).multi && multiOk && wanted.length > 1 && !stalled) {
      const joined = wanted.join('+');
      const raw = await q(joined);
      delete replies[joined];
      let parts = null;
      if (!(raw instanceof Error)) {
        try {
          parts = unpackMulti(decodeReply(/** @type {string} */ (raw), joined));
        } catch {
          parts = null;
        }
      }
      if (parts && wanted.every((c) => parts && c in parts)) {
        for (const c of wanted) replies[c] = parts[c];
      } else if (stalled) {
        replies[/** @type {string} */ (wanted[0])] = raw; // the timeout, reported once
      } else if (!(raw instanceof Error) || !unreachable(raw)) {
        multiOk = false;
      }
    }
    for (const c of wanted) if (!(c in replies)) await q(c);
    if (live.length > 0 && live.every(unreachable)) {
      this.cache.delete(ip);
      return null;
    }
    const miner = normalise(dialect, replies, { ip, mac: arp.get(ip), sampledAt });

    // remember the dialect and identity replies while the core commands parse
    const required = DIALECTS[dialect].commands.filter((c) => !c.optional).map((c) => c.name);
    const coreFailed = miner.errors.some((e) => required.some((c) => e.startsWith(`${c}:`) || e.startsWith(`parse error in ${c}:`)));
    if (coreFailed) this.cache.delete(ip);
    else {
      /** @type {Record<string, string>} */
      const statics = {};
      const fresh = !cached || nowMs - cached.at >= ttl;
      for (const spec of DIALECTS[dialect].commands) {
        const r = replies[spec.name];
        if (spec.static && typeof r === 'string') statics[spec.name] = r;
        else if (spec.static && r && typeof r === 'object' && !(r instanceof Error)) statics[spec.name] = JSON.stringify(r);
      }
      this.cache.set(ip, { dialect, multiOk, statics: fresh ? statics : { ...cached.statics, ...statics }, at: fresh ? nowMs : cached.at });
    }

    /** @type {import('./parse/common.mjs').PoolEntry[] | undefined} */
    let pools;
    const poolsReply = dialect === 'btminer3' ? replies['get.miner.status:pools'] : replies.pools;
    if (poolsReply !== undefined && !(poolsReply instanceof Error)) {
      try {
        pools = dialect === 'btminer3' ? poolEntriesV3(decodeReply(/** @type {any} */ (poolsReply))) : parsePools(poolsReply);
      } catch {
        /* already reported by normalise */
      }
    }
    this.known.set(ip, nowMs);
    return { miner, pools };
  }

  /**
   * Poll these miners, at most `pollConcurrency` (default 64) at a time.
   * Miners that refuse every connection are left out.
   * @param {string[]} ips
   * @param {Map<string, string>} arp
   */
  async pollAll(ips, arp) {
    const results = await mapLimit(ips, this.opts.pollConcurrency ?? 64, (ip) => this.pollMiner(ip, arp));
    return /** @type {{ miner: MinerV1, pools?: import('./parse/common.mjs').PoolEntry[] }[]} */ (results.filter((r) => r !== null));
  }

  /**
   * Scan and poll without registering, applying pools or sending anything:
   * what `--dry-run` and `scan` show. Needs `segments` in the options.
   * @returns {Promise<{ found: string[], miners: MinerV1[], dialects: Map<string, string>, pollMs: number }>}
   */
  async survey() {
    this.config = { segments: this.opts.segments ?? [], pollIntervalS: DEFAULT_POLL_S, miners: [], pdus: [], problems: [] };
    const found = await this.discover();
    const arp = await readArpTable(this.opts.arpFile ?? DEFAULT_ARP_FILE);
    const t = Date.now();
    const polled = await this.pollAll([...found].sort((a, b) => ipToInt(a) - ipToInt(b)), arp);
    /** @type {Map<string, string>} */
    const dialects = new Map();
    for (const [ip, c] of this.cache) dialects.set(ip, c.dialect);
    return { found, miners: polled.map((p) => p.miner), dialects, pollMs: Date.now() - t };
  }

  /**
   * Apply the desired pools to the polled miners that have them; errors go
   * into that miner's `errors`, and the outcome of an attempt into its `pool_apply`.
   * @param {{ miner: MinerV1, pools?: import('./parse/common.mjs').PoolEntry[] }[]} polled
   */
  async applyDesiredPools(polled) {
    const cfg = /** @type {AgentConfig} */ (this.config);
    if (cfg.miners.length === 0) return;
    await mapLimit(polled, this.opts.pollConcurrency ?? 64, async ({ miner, pools }) => {
      const entry = configFor(cfg, miner);
      if (!entry || entry.pools.length === 0) return;
      if (pools && poolsSatisfied(pools, entry.pools) && !entry.removeOthers && unwantedLeft(pools, entry.pools, entry.removePools).length === 0) return;
      if (this.cache.get(miner.ip)?.dialect === 'btminer3') {
        // API v3 writes need a token derived from the miner's admin password, which the agent does not hold
        const message = 'pool change not supported on Whatsminer API v3 firmware: its writes need the admin password';
        miner.errors.push(`pool change failed: ${message}`);
        miner.pool_apply = { status: 'refused', message, at: this.now().toISOString() };
        return;
      }
      const r = await applyPools({
        query: (cmd, parameter) =>
          this.client.query(miner.ip, cmd, {
            port: this.opts.minerPort,
            parameter,
            connectTimeoutMs: this.opts.connectTimeoutMs,
            readTimeoutMs: this.opts.readTimeoutMs,
          }),
        desired: entry.pools,
        removeOthers: entry.removeOthers,
        removePools: entry.removePools,
        current: pools,
      });
      for (const a of r.actions) this.log(`pools ${miner.ip}: ${a}`);
      if (r.errors.length) miner.errors.push(...r.errors);
      // The outcome rides on this cycle's sample, the first batch after the attempt (pool_apply,
      // agent/README.md); the reported pool in a later sample is what confirms the change.
      if (r.outcome) miner.pool_apply = { ...r.outcome, at: this.now().toISOString() };
    });
  }

  /**
   * Read the configured PDUs and put each mapped outlet's reading on its unit's sample: `pdu`
   * (agent/README.md), and the outlet's power as the sample's power with `power_source: "pdu"`
   * (a PDU measures what the unit draws at the wall; the miner's own figure is an estimate).
   * A PDU that does not answer is logged and leaves its units' samples as the miners sent them.
   * A phase-metered PDU (no outlet readings) is logged only: its power is not one unit's.
   * @param {MinerV1[]} miners
   */
  async readPdus(miners) {
    const cfg = /** @type {AgentConfig} */ (this.config);
    if (!cfg.pdus?.length) return;
    await mapLimit(cfg.pdus, 8, async (pdu) => {
      const mapped = pdu.outlets.flatMap((o) => {
        const miner = miners.find((m) => (o.mac && m.mac === o.mac) || (o.serial && m.serial === o.serial) || (!o.mac && !o.serial && o.ip && m.ip === o.ip));
        return miner ? [{ outlet: o.outlet, miner }] : [];
      });
      if (mapped.length === 0) return;
      const reading = await readPdu(pdu, mapped.map((m) => m.outlet), { timeoutMs: this.opts.pduTimeoutMs ?? 2000, retries: this.opts.pduRetries ?? 1 });
      if (!reading.ok) {
        this.log(`pdu ${pdu.address} (${pdu.family}): ${reading.error}`);
        return;
      }
      if (reading.metering === 'phase') {
        this.log(`pdu ${pdu.address} (${pdu.family}): no outlet metering; phase power ${reading.phases.map((p) => `L${p.phase} ${p.power_w} W`).join(', ') || 'unknown'}`);
        return;
      }
      const sampledAt = this.now().toISOString();
      const whPerUnit = FAMILIES[pdu.family].whPerUnit;
      for (const { outlet, miner } of mapped) {
        const r = reading.outlets.find((x) => x.outlet === outlet);
        if (!r || (r.power_w === null && r.energy_raw === null)) continue;
        /** @type {NonNullable<MinerV1['pdu']>} */
        const report = { pdu_id: pdu.id, outlet, sampled_at: sampledAt };
        if (r.power_w !== null) {
          report.power_w = r.power_w;
          miner.power_w = r.power_w;
          miner.power_source = 'pdu';
        }
        if (r.energy_raw !== null) {
          const c = this.counters.update(`${pdu.id}:${outlet}`, r.energy_raw);
          if (c.event === 'wrap') this.log(`pdu ${pdu.address} outlet ${outlet}: energy counter wrapped`);
          if (c.event === 'reset') this.log(`pdu ${pdu.address} outlet ${outlet}: energy counter went back (reset)`);
          report.energy_wh = c.total * whPerUnit;
        }
        miner.pdu = report;
      }
    });
  }

  /**
   * One full cycle. Returns what happened, for the CLI and tests.
   * @param {{ flushBudgetMs?: number }} [o]
   */
  async cycle(o = {}) {
    const cycleStartAt = Date.now();
    const cfg = await this.refreshConfig();
    const rescanEvery = this.opts.rescanIntervalMs ?? 10 * 60 * 1000;
    const nowMs = this.now().getTime();
    if (this.lastScanAt === 0 || nowMs - this.lastScanAt >= rescanEvery || cfg.segments.join(',') !== this.lastSegments) {
      await this.discover();
    }
    const arp = await readArpTable(this.opts.arpFile ?? DEFAULT_ARP_FILE);
    const ips = [...this.known.keys()].sort((a, b) => ipToInt(a) - ipToInt(b));
    const pollStartAt = Date.now();
    const polled = await this.pollAll(ips, arp);
    const pollDoneAt = Date.now();
    await this.applyDesiredPools(polled);
    await this.readPdus(polled.map((p) => p.miner));
    // pool errors were added after normalising: keep every miner within the v1 error limits
    const miners = polled.map((p) => ({ ...p.miner, errors: capErrors(p.miner.errors) }));

    /** @type {string[]} */
    const batchIds = [];
    for (const chunk of splitBatches(miners, this.opts.maxMinersPerBatch ?? MAX_MINERS_PER_BATCH, this.opts.maxBatchBytes ?? MAX_BATCH_JSON_BYTES)) {
      const batch_id = crypto.randomUUID();
      await this.spool.put({ batch_id, site_id: this.reg?.site_id, created_at: this.now().toISOString(), miners: chunk });
      batchIds.push(batch_id);
    }
    const flush = await flushSpool({
      spool: this.spool,
      edge: /** @type {EdgeClient} */ (this.edge),
      siteId: this.reg?.site_id,
      retry: this.retry,
      sleep: this.sleep,
      random: this.opts.random,
      now: this.now,
      budgetMs: o.flushBudgetMs,
      log: this.log,
    });
    const offline = ips.length - polled.length;
    this.log(
      `cycle: ${polled.length} miners polled${offline ? `, ${offline} not answering` : ''}; ` +
        `delivered ${flush.sent.length} batch(es)${flush.dead.length ? `, ${flush.dead.length} refused → dead/` : ''}` +
        `${flush.remaining ? `, ${flush.remaining} waiting in the spool${flush.lastError ? ` (${flush.lastError})` : ''}` : ''}`,
    );
    this.log(healthLine({ miners, known: ips.length, offline, pollMs: pollDoneAt - pollStartAt, cycleMs: Date.now() - cycleStartAt, spooled: flush.remaining, delivered: flush.sent.length, lastError: flush.lastError }));
    return { miners, batchIds, flush, offline };
  }

  /**
   * Run until `signal` aborts (or once). RevokedError marks the registration
   * revoked and is rethrown: the caller stops and says so.
   * @param {{ once?: boolean, signal?: AbortSignal }} [o]
   */
  async run(o = {}) {
    await this.start();
    try {
      for (;;) {
        const started = Date.now();
        const interval = (this.config?.pollIntervalS ?? this.opts.pollIntervalS ?? DEFAULT_POLL_S) * 1000;
        let result;
        try {
          result = await this.cycle({ flushBudgetMs: o.once ? undefined : interval * 0.8 });
        } catch (err) {
          if (err instanceof RevokedError) {
            await this.markRevoked();
            throw err;
          }
          if (o.once) throw err;
          this.log(`cycle failed: ${/** @type {Error} */ (err).stack ?? err}`);
        }
        if (o.once || o.signal?.aborted) return result;
        const wait = Math.max(0, (this.config?.pollIntervalS ?? DEFAULT_POLL_S) * 1000 - (Date.now() - started));
        await this.sleep(wait, o.signal);
        if (o.signal?.aborted) return result;
      }
    } finally {
      this.stop();
    }
  }
}
