#!/usr/bin/env node
// Hashyard facility agent.
//   npm run agent -- --api https://hashyard.example --code K7Q2ZP [--state DIR] [--once]
//   npm run agent -- --config agent.json
// See agent/README.md.

import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Agent, AGENT_VERSION, healthLine } from './lib/agent.mjs';
import { RevokedError } from './lib/errors.mjs';
import { checkApiUrl, DEFAULT_RETRY } from './lib/edge-client.mjs';
import { parseCidr } from './lib/scanner.mjs';

export const EXIT = { OK: 0, ERROR: 1, USAGE: 2, REVOKED: 3, UNDELIVERED: 4 };

const USAGE = `usage: npm run agent -- --api URL [--code CODE] [--state DIR] [--once]
       npm run agent -- --config agent.json [--once]
       npm run agent -- --dry-run --segments 10.20.1.0/24      poll once, send nothing
       npm run agent -- scan --segments 10.20.1.0/24 [--json]  list what answers, send nothing

  --api URL          the Hashyard address (https; http only to loopback or with --allow-http)
  --code CODE        one-time registration code (needed once; the token is then kept in --state)
  --state DIR        state directory: token, last config, spool (default ~/.hashyard-agent)
  --once             one cycle (config, scan, poll, send), then exit
  --dry-run          no registration, no Hashyard at all: scan --segments, poll every miner
                     once, print what would be sent and a health line, exit (0 if any miner
                     answered, 1 if none did)
  --config FILE      JSON file with any of: api, code, state, once, dry_run, segments, interval,
                     arp_file, miner_port, whatsminer_v3_port, allow_http, concurrency, scan_concurrency,
                     connect_timeout_ms, read_timeout_ms, miner_deadline_ms, retry_attempts,
                     retry_base_ms, retry_max_ms, verbose (agent/README.md documents each)
  --segments LIST    scan these CIDRs instead of the configured ones (comma separated)
  --interval S       poll interval in seconds instead of the configured one
  --arp-file PATH    ARP table to read MACs from (default /proc/net/arp)
  --miner-port N     miner API port (default 4028)
  --whatsminer-v3-port N  Whatsminer API v3 port, for 2024-11+ firmware (default 4433)
  --concurrency N    miners polled at the same time (default 64)
  --scan-concurrency N  addresses probed at the same time while scanning (default 256)
  --connect-timeout-ms MS  per-connection connect timeout (default 3000)
  --read-timeout-ms MS     per-command reply deadline (default 10000)
  --miner-deadline-ms MS   per-miner budget per cycle; past it the miner is skipped (default 20000)
  --json             (scan, --dry-run) print JSON instead of a table
  --allow-http       allow plain http to a non-loopback Hashyard (trusted networks only)
  --retry-attempts N tries per batch and cycle before it waits in the spool (default 4)
  --retry-base-ms MS first backoff delay; doubles per try, with jitter (default 1000)
  --retry-max-ms MS  backoff cap (default 60000)
  --verbose          more logging
  --version          print the agent version

exit codes: 0 ok, 1 error, 2 usage, 3 token revoked, 4 (--once) batches left in the spool
`;

/**
 * @param {string[]} argv
 * @param {{ stderr: { write(s: string): unknown }, stdout: { write(s: string): unknown } }} [io]
 * @returns {Promise<number>} exit code
 */
export async function main(argv, io = { stderr: process.stderr, stdout: process.stdout }) {
  /** @type {ReturnType<typeof parseArgs>['values']} */
  let values;
  const command = argv[0] === 'scan' ? 'scan' : 'run';
  if (command === 'scan') argv = argv.slice(1);
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        api: { type: 'string' },
        code: { type: 'string' },
        state: { type: 'string' },
        once: { type: 'boolean' },
        config: { type: 'string' },
        segments: { type: 'string' },
        interval: { type: 'string' },
        'arp-file': { type: 'string' },
        'miner-port': { type: 'string' },
        'whatsminer-v3-port': { type: 'string' },
        'allow-http': { type: 'boolean' },
        'retry-attempts': { type: 'string' },
        'retry-base-ms': { type: 'string' },
        'retry-max-ms': { type: 'string' },
        verbose: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
        concurrency: { type: 'string' },
        'scan-concurrency': { type: 'string' },
        'connect-timeout-ms': { type: 'string' },
        'read-timeout-ms': { type: 'string' },
        'miner-deadline-ms': { type: 'string' },
        version: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    io.stderr.write(`agent: ${/** @type {Error} */ (err).message}\n${USAGE}`);
    return EXIT.USAGE;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return EXIT.OK;
  }
  if (values.version) {
    io.stdout.write(`${AGENT_VERSION}\n`);
    return EXIT.OK;
  }

  /** @type {Record<string, any>} */
  let file = {};
  if (typeof values.config === 'string') {
    try {
      file = JSON.parse(fs.readFileSync(values.config, 'utf8'));
      if (!file || typeof file !== 'object' || Array.isArray(file)) throw new Error('not a JSON object');
    } catch (err) {
      io.stderr.write(`agent: cannot read --config ${values.config}: ${/** @type {Error} */ (err).message}\n`);
      return EXIT.USAGE;
    }
  }
  const pick = (/** @type {string} */ flag, /** @type {string} */ key) => values[flag] ?? file[key];
  const api = pick('api', 'api');
  const stateDir = path.resolve(String(pick('state', 'state') ?? path.join(os.homedir(), '.hashyard-agent')));
  const segmentsRaw = pick('segments', 'segments');
  const interval = pick('interval', 'interval');
  const minerPort = pick('miner-port', 'miner_port');
  const v3Port = pick('whatsminer-v3-port', 'whatsminer_v3_port');
  const allowHttp = Boolean(pick('allow-http', 'allow_http'));
  const verbose = Boolean(pick('verbose', 'verbose'));
  const dryRun = command === 'scan' || Boolean(pick('dry-run', 'dry_run'));
  const retry = { ...DEFAULT_RETRY };

  if (!dryRun && (typeof api !== 'string' || api === '')) {
    io.stderr.write(`agent: --api is required\n${USAGE}`);
    return EXIT.USAGE;
  }
  if (dryRun && segmentsRaw === undefined) {
    io.stderr.write(`agent: ${command === 'scan' ? 'scan' : '--dry-run'} needs --segments (it does not ask Hashyard for them)\n${USAGE}`);
    return EXIT.USAGE;
  }
  /** @type {string[] | undefined} */
  let segments;
  /** @type {Record<string, number>} */
  const tuning = {};
  try {
    if (!dryRun) checkApiUrl(String(api), allowHttp);
    for (const [flag, key, field, min] of /** @type {const} */ ([
      ['concurrency', 'concurrency', 'pollConcurrency', 1],
      ['scan-concurrency', 'scan_concurrency', 'scanConcurrency', 1],
      ['connect-timeout-ms', 'connect_timeout_ms', 'connectTimeoutMs', 50],
      ['read-timeout-ms', 'read_timeout_ms', 'readTimeoutMs', 50],
      ['miner-deadline-ms', 'miner_deadline_ms', 'minerDeadlineMs', 100],
    ])) {
      const v = pick(flag, key);
      if (v === undefined) continue;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be an integer ≥ ${min}`);
      tuning[field] = n;
    }
    if (segmentsRaw !== undefined) {
      segments = (Array.isArray(segmentsRaw) ? segmentsRaw : String(segmentsRaw).split(',')).map((s) => parseCidr(String(s).trim()).cidr);
    }
    if (interval !== undefined && !(Number(interval) >= 1)) throw new Error('--interval must be a number of seconds ≥ 1');
    if (minerPort !== undefined && !(Number.isInteger(Number(minerPort)) && Number(minerPort) > 0 && Number(minerPort) < 65536)) {
      throw new Error('--miner-port must be a TCP port');
    }
    if (v3Port !== undefined && !(Number.isInteger(Number(v3Port)) && Number(v3Port) > 0 && Number(v3Port) < 65536)) {
      throw new Error('--whatsminer-v3-port must be a TCP port');
    }
    for (const [flag, key, field, min] of /** @type {const} */ ([
      ['retry-attempts', 'retry_attempts', 'attempts', 1],
      ['retry-base-ms', 'retry_base_ms', 'baseMs', 0],
      ['retry-max-ms', 'retry_max_ms', 'maxMs', 0],
    ])) {
      const v = pick(flag, key);
      if (v === undefined) continue;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be an integer ≥ ${min}`);
      retry[field] = n;
    }
  } catch (err) {
    io.stderr.write(`agent: ${/** @type {Error} */ (err).message}\n`);
    return EXIT.USAGE;
  }

  const log = (/** @type {string} */ m) => io.stderr.write(`${new Date().toISOString()} ${m}\n`);
  if (dryRun) {
    return survey({
      command,
      json: Boolean(values.json),
      io,
      log,
      agentOpts: {
        api: 'http://127.0.0.1', // never contacted
        stateDir,
        segments,
        minerPort: minerPort === undefined ? undefined : Number(minerPort),
        whatsminerV3Port: v3Port === undefined ? undefined : Number(v3Port),
        arpFile: pick('arp-file', 'arp_file'),
        ...tuning,
        log,
        debug: verbose ? log : undefined,
      },
    });
  }
  const agent = new Agent({
    ...tuning,
    api: String(api),
    stateDir,
    code: pick('code', 'code'),
    segments,
    pollIntervalS: interval === undefined ? undefined : Number(interval),
    minerPort: minerPort === undefined ? undefined : Number(minerPort),
    whatsminerV3Port: v3Port === undefined ? undefined : Number(v3Port),
    arpFile: pick('arp-file', 'arp_file'),
    allowInsecureHttp: allowHttp,
    retry,
    log,
    debug: verbose ? log : undefined,
  });

  const controller = new AbortController();
  const onSignal = () => {
    log('stopping after this cycle');
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const once = Boolean(pick('once', 'once'));
    const result = await agent.run({ once, signal: controller.signal });
    if (once && result && result.flush.remaining > 0) {
      log(`${result.flush.remaining} batch(es) stay in the spool (${path.join(stateDir, 'spool')}); they are sent on the next run`);
      return EXIT.UNDELIVERED;
    }
    return EXIT.OK;
  } catch (err) {
    if (err instanceof RevokedError) {
      io.stderr.write(
        `agent: STOPPED — Hashyard rejected this agent's token (HTTP 401): it was revoked.\n` +
          `       Spooled telemetry is kept in ${path.join(stateDir, 'spool')}.\n` +
          `       Create a new registration code in Hashyard and run: npm run agent -- --api ${api} --code NEWCODE --state ${stateDir}\n`,
      );
      return EXIT.REVOKED;
    }
    io.stderr.write(`agent: ${/** @type {Error} */ (err).message}\n`);
    return EXIT.ERROR;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * `scan` and `--dry-run`: no registration and nothing sent. `scan` lists each
 * miner that answers (IP, MAC, make, model, firmware, recognised or not);
 * `--dry-run` prints the v1 miner objects a cycle would send, then the health
 * line. Exit 0 when at least one miner answered, 1 when none did.
 * @param {{ command: 'scan' | 'run', json: boolean, io: { stderr: { write(s: string): unknown }, stdout: { write(s: string): unknown } },
 *   log: (m: string) => void, agentOpts: import('./lib/agent.mjs').AgentOptions }} o
 */
async function survey({ command, json, io, log, agentOpts }) {
  const agent = new Agent(agentOpts);
  const t = Date.now();
  const { found, miners, dialects, pollMs } = await agent.survey();
  const offline = found.length - miners.length;
  if (command === 'scan') {
    const rows = miners.map((m) => {
      const unrecognised = m.errors.find((e) => e.startsWith('miner not recognised') || e.includes('not recognised as a CGMiner'));
      return {
        ip: m.ip,
        mac: m.mac ?? '',
        make: m.vendor ?? '',
        model: m.model ?? '',
        firmware: m.firmware ?? '',
        // yes: a known family; no: it answered but is no family the agent knows (note: what it says
        // it is); unreadable: it accepted the connection but gave no usable reply (note: why)
        recognised: unrecognised ? 'no' : dialects.has(m.ip) ? 'yes' : 'unreadable',
        dialect: dialects.get(m.ip) ?? '',
        note: unrecognised ? unrecognised.replace(/^miner not recognised:?\s*/, '') : dialects.has(m.ip) ? (m.state ?? '') : (m.errors[0] ?? ''),
      };
    });
    if (json) io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else {
      const cols = /** @type {const} */ (['ip', 'mac', 'make', 'model', 'firmware', 'recognised', 'dialect', 'note']);
      const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
      const line = (/** @type {string[]} */ cells) => cells.map((c, i) => c.padEnd(/** @type {number} */ (width[i]))).join('  ').trimEnd();
      io.stdout.write(`${line(cols.map((c) => c.toUpperCase()))}\n`);
      for (const r of rows) io.stdout.write(`${line(cols.map((c) => String(r[c])))}\n`);
    }
  } else {
    io.stdout.write(`${JSON.stringify({ dry_run: true, sampled_at: new Date().toISOString(), miners }, null, json ? 2 : undefined)}\n`);
  }
  log(healthLine({ miners, known: found.length, offline, pollMs, cycleMs: Date.now() - t, spooled: 0, delivered: 0 }) + ' (dry run: nothing sent)');
  return miners.length > 0 ? EXIT.OK : EXIT.ERROR;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isMain) process.exitCode = await main(process.argv.slice(2));
