// Shared by the benchmarks: a throwaway local D1 + wrangler dev, and timing helpers.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wrangler = join(root, 'node_modules', '.bin', 'wrangler');

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

function wranglerSync(args) {
  const result = spawnSync(wrangler, args, { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' } });
  if (result.status !== 0) throw new Error(`wrangler ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
}

/** Fresh local D1 with migrations and `seedSql` applied, then wrangler dev on a free port. */
export async function startWorker(seedSql) {
  const state = mkdtempSync(join(tmpdir(), 'hashyard-bench-'));
  wranglerSync(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state]);
  const seedFile = join(state, 'seed.sql');
  writeFileSync(seedFile, seedSql);
  wranglerSync(['d1', 'execute', 'DB', '--local', '--persist-to', state, '--file', seedFile]);
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const inspector = await freePort();
  // BENCH_WRANGLER_LOG=<file>: wrangler dev's output (the Worker's errors) goes there.
  const log = process.env.BENCH_WRANGLER_LOG ? openSync(process.env.BENCH_WRANGLER_LOG, 'a') : 'ignore';
  const dev = spawn(wrangler, ['dev', '--port', String(port), '--ip', '127.0.0.1', '--persist-to', state, '--inspector-port', String(inspector)], {
    cwd: root,
    stdio: ['ignore', log, log],
    detached: true,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  const stop = () => {
    try {
      process.kill(-dev.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    rmSync(state, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${origin}/login`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      // Never leave a wrangler dev (and its workerd) running behind a failed start.
      stop();
      throw new Error('wrangler dev did not start in 60 s');
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  const networkOff = process.env.BENCH_DEVTOOLS_NETWORK !== 'on' && (await devToolsNetworkOff(inspector));
  // pid: wrangler's own (workerd runs beneath it); inspector: its DevTools port (bench/site.mjs reads the heap).
  return { origin, stop, pid: dev.pid, inspector, devtoolsNetwork: networkOff ? 'off' : 'on' };
}

/**
 * Turns off the DevTools Network events wrangler dev asks of the Worker. wrangler dev enables
 * them on the Worker's inspector and its InspectorProxyWorker posts every event to wrangler's node
 * process as a debug log; a subrequest makes four, and every D1 call is a subrequest. That cost
 * about 5 ms of CPU per D1 round trip in wrangler's processes (node 3.5, its proxy 1.6): on two
 * cores a D1 round trip took 3.4 ms against 1.9 with them off, a second one 3.0 against 0.7 (one
 * worker, switched between interleaved requests), a tax on exactly the pages that read D1,
 * against a trivial page that does not, in processes Cloudflare does not run (bench/README.md,
 * "DevTools network events off"). The command is sent as a DevTools client
 * would, and the client leaves (wrangler takes one at a time; bench/site.mjs connects later to
 * read the heap): the Worker's inspector session keeps them off. BENCH_DEVTOOLS_NETWORK=on leaves
 * them on, as every figure before 2026-12-04 12:30 UTC was measured. False when the inspector
 * cannot be reached.
 * @see https://github.com/cloudflare/workers-sdk/blob/main/packages/wrangler/templates/startDevWorker/InspectorProxyWorker.ts
 */
async function devToolsNetworkOff(inspectorPort) {
  let socket;
  try {
    const { default: WebSocket } = await import('ws');
    const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`, { signal: AbortSignal.timeout(5_000) })).json();
    const url = targets[0]?.webSocketDebuggerUrl;
    if (!url) return false;
    socket = new WebSocket(url);
    socket.on('error', () => {});
    return await new Promise((resolve) => {
      setTimeout(() => resolve(false), 10_000).unref();
      socket.once('close', () => resolve(false));
      socket.on('message', (data) => {
        if (JSON.parse(String(data)).id === 1) resolve(true);
      });
      socket.once('open', () => socket.send(JSON.stringify({ id: 1, method: 'Network.disable' })));
    });
  } catch {
    return false;
  } finally {
    socket?.close();
  }
}

/** The median of a list of times (the upper middle of an even count), the list left as it was. */
export const middleOf = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Median milliseconds of `samples` sequential calls after `warmup` unmeasured ones. */
export async function median(fn, { samples = 60, warmup = 5 } = {}) {
  const times = [];
  for (let i = 0; i < samples + warmup; i++) {
    const start = performance.now();
    await fn(i);
    if (i >= warmup) times.push(performance.now() - start);
  }
  return middleOf(times);
}

/**
 * Medians of `fn` and of `floorFn` called alternately (floor, fn, floor, fn…) in one window: a
 * ratio that the machine's drift between one row and the next cannot move, since both halves
 * see the same minutes. What it may add instead (the floor's request after a heavy one, its
 * garbage still to collect) shows against the floor measured alone, which the caller prints too.
 */
export async function interleavedMedians(fn, floorFn, { samples = 60, warmup = 5 } = {}) {
  const times = [];
  const floorTimes = [];
  for (let i = 0; i < samples + warmup; i++) {
    let start = performance.now();
    await floorFn(i);
    if (i >= warmup) floorTimes.push(performance.now() - start);
    start = performance.now();
    await fn(i);
    if (i >= warmup) times.push(performance.now() - start);
  }
  return { ms: middleOf(times), floorMs: middleOf(floorTimes) };
}

export const row = (label, ms, floorMs, budget) =>
  `${label.padEnd(40)} ${ms.toFixed(2).padStart(9)} ms   ${(ms / floorMs).toFixed(2)}×${budget ? `   (budget ${budget}×)` : ''}`;

// ---------------------------------------------------------------------------------------------
// workerd as the kernel sees it (Linux /proc): CPU (utime + stime) and resident memory of every
// workerd process under wrangler dev (`startWorker`'s pid). Beside a median of wall time, CPU per
// request is a figure a busy machine hardly moves: waiting for a core is not counted.

const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux

export function workerdPids(rootPid) {
  const children = new Map();
  const names = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      names.set(Number(entry), stat.slice(stat.indexOf('(') + 1, close));
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const found = [];
  const walk = (pid) => {
    for (const child of children.get(pid) ?? []) {
      if (names.get(child)?.startsWith('workerd')) found.push(child);
      walk(child);
    }
  };
  walk(rootPid);
  return found;
}

/**
 * Of `pids`, wrangler dev's proxy: the workerd listening on the dev port itself, which hands each
 * request to the runtime's workerd (the Worker, D1, the objects). It runs every text/html answer
 * through HTMLRewriter (to append live reload) between a decompression and a recompression, so
 * its CPU grows with a page's bytes; none of it runs on Cloudflare.
 * @see https://github.com/cloudflare/workers-sdk/blob/main/packages/wrangler/templates/startDevWorker/ProxyWorker.ts
 */
export function devProxyPids(pids, origin) {
  const listening = `entry=127.0.0.1:${new URL(origin).port}`;
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(listening);
    } catch {
      return false;
    }
  });
}

export function workerdCpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * CLOCK_TICK_MS;
}

export function workerdRssBytes(pids) {
  let kb = 0;
  for (const pid of pids) kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb * 1024;
}

/** The load average as /proc/loadavg prints it (1, 5 and 15 minutes): printed with every run's figures. */
export const loadAverage = () => loadavg().map((l) => l.toFixed(2)).join(' ');
