// Browser-test harness: a throwaway D1 database, a `wrangler dev` on a free port, and Debian's
// Chromium driven by playwright-core. Everything it starts it also stops, even when a test fails.
//
// Rules (DESIGN.md §1): never `playwright install`; launch /usr/bin/chromium with the flags below.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { splitSeedSql } from '../scripts/demo-data.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS_DIR = path.join(ROOT, 'test-results');
const STATE_DIR = path.join(ROOT, '.e2e-state');
const WRANGLER = path.join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');

export const CHROMIUM_PATH = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const MIGRATE_TIMEOUT_MS = 60_000;
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

/** Wrangler, non-interactive and quiet about the network it cannot reach here. */
const wranglerEnv = () => ({
  ...process.env,
  CI: 'true',
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  // miniflare otherwise fetches a Request.cf sample from workers.cloudflare.com on every start.
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  NO_COLOR: '1',
  FORCE_COLOR: '0',
});

/** A port nobody listens on right now (the OS picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Keeps the last `limit` characters a child printed, for error messages. */
function outputBuffer(limit = 20_000) {
  let text = '';
  return {
    push(chunk) {
      text = (text + chunk.toString()).slice(-limit);
    },
    get text() {
      return text;
    },
  };
}

/** Runs a command to completion within `timeoutMs`; rejects with its output when it fails. */
function run(command, args, { timeoutMs, env, label }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out = outputBuffer();
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => out.push(d));
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      reject(new Error(`${label} timed out after ${timeoutMs} ms. Output:\n${out.text}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${label} could not start: ${error.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.text);
      else reject(new Error(`${label} failed (exit ${code ?? signal}). Output:\n${out.text}`));
    });
  });
}

function killGroup(child, signal) {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // the whole group: npx/node, wrangler, workerd
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** GET `path` on 127.0.0.1:`port` with Host: localhost (the app routes by Host). Resolves the status. */
function probe(port, pathname) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, headers: { Host: `localhost:${port}` }, timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Children still alive when this process goes away are killed here (last resort: a crashed test
// file must not leave a wrangler behind holding a port).
const liveChildren = new Set();
process.on('exit', () => {
  for (const child of liveChildren) killGroup(child, 'SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const child of liveChildren) killGroup(child, 'SIGKILL');
    process.exit(130);
  });
}

/**
 * Applies migrations to a fresh persist dir under .e2e-state/, starts `wrangler dev` on a free
 * port and waits for GET /login to answer 200. Returns { baseURL, port, logs(), stop() }.
 * `testScheduled`: wrangler's `--test-scheduled`, so GET /__scheduled?cron=… runs the cron handler.
 */
export async function startServer(options = {}) {
  return withOneRetry('wrangler dev', () => startServerOnce(options));
}

/**
 * Starting wrangler dev or Chromium is the machine's business, not the story's: on a 2-core CI
 * machine either has failed once in a hundred starts (a stop's browser suite lost its setup that
 * way, error unseen). One more try, with the first failure printed so it is never silent; an
 * assertion is never retried.
 */
async function withOneRetry(label, start) {
  try {
    return await start();
  } catch (error) {
    process.stderr.write(`# ${label} failed to start, trying once more: ${error.message.slice(0, 4000)}\n`);
  }
  try {
    return await start();
  } catch (error) {
    process.stderr.write(`# ${label} failed to start again: ${error.message.slice(0, 4000)}\n`);
    throw error;
  }
}

async function startServerOnce({ seedSql, testScheduled = false }) {
  mkdirSync(STATE_DIR, { recursive: true });
  const persistDir = mkdtempSync(path.join(STATE_DIR, 'run-'));
  const env = wranglerEnv();
  const started = Date.now();

  try {
    await run(process.execPath, [WRANGLER, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistDir], {
      timeoutMs: MIGRATE_TIMEOUT_MS,
      env,
      label: 'wrangler d1 migrations apply',
    });
    if (seedSql) {
      // Data the test starts from (e.g. `npm start`'s demo), loaded before the Worker runs, in
      // parts (one statement a line): wrangler refuses a large file as SQLITE_TOOBIG.
      for (const [i, part] of splitSeedSql(seedSql).entries()) {
        const seedFile = path.join(persistDir, `seed-${i + 1}.sql`);
        writeFileSync(seedFile, part);
        await run(process.execPath, [WRANGLER, 'd1', 'execute', 'DB', '--local', '--persist-to', persistDir, '--file', seedFile], {
          timeoutMs: MIGRATE_TIMEOUT_MS,
          env,
          label: `wrangler d1 execute (seed part ${i + 1})`,
        });
      }
    }
  } catch (error) {
    rmSync(persistDir, { recursive: true, force: true });
    throw error;
  }

  const port = await freePort();
  const inspectorPort = await freePort();
  const args = [
    WRANGLER,
    'dev',
    '--port', String(port),
    '--ip', '127.0.0.1',
    '--inspector-port', String(inspectorPort),
    '--persist-to', persistDir,
    '--show-interactive-dev-session=false',
    // GET /__scheduled runs the Worker's cron handler (the test decides when the cron "fires").
    ...(testScheduled ? ['--test-scheduled'] : []),
  ];
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  liveChildren.add(child);
  const out = outputBuffer();
  child.stdout.on('data', (d) => out.push(d));
  child.stderr.on('data', (d) => out.push(d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  let spawnError = null;
  child.on('error', (error) => (spawnError = error));

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    killGroup(child, 'SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
    if (!done) {
      killGroup(child, 'SIGKILL');
      await Promise.race([exited, sleep(STOP_GRACE_MS)]);
    }
    // workerd may outlive its parent briefly; the group kill above reached it too.
    killGroup(child, 'SIGKILL');
    liveChildren.delete(child);
    if (!process.env.E2E_KEEP_STATE) rmSync(persistDir, { recursive: true, force: true });
  };

  // Bounded wait for readiness; fail fast if wrangler exits.
  let exitCode;
  exited.then((code) => (exitCode = code));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let status = 0;
  while (Date.now() < deadline) {
    if (spawnError || exitCode !== undefined) break;
    status = await probe(port, '/login');
    if (status === 200) break;
    await sleep(250);
  }
  if (status !== 200) {
    const why = spawnError
      ? `could not start: ${spawnError.message}`
      : exitCode !== undefined
        ? `exited (${exitCode}) before it was ready`
        : `GET /login did not answer 200 within ${READY_TIMEOUT_MS} ms (last status ${status || 'no answer'})`;
    await stop();
    throw new Error(`wrangler dev ${why}.\nCommand: node ${args.join(' ')}\nOutput:\n${out.text}`);
  }

  return {
    port,
    baseURL: `http://localhost:${port}`,
    persistDir,
    startupMs: Date.now() - started,
    logs: () => out.text,
    stop,
  };
}

/**
 * A long-running helper process (the miner simulator, the facility agent) in its own process
 * group, so `stop()` reaches everything it started; it is also killed if this process exits.
 * Returns { child, logs(), waitForOutput(pattern, timeoutMs), stop() }. `waitForOutput` resolves
 * with { match, at } (the Date.now() when the line arrived) and rejects, with the output so far,
 * on timeout or when the process exits first.
 */
export function startProcess(command, args, { label, env = process.env, cwd = ROOT } = {}) {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  liveChildren.add(child);
  const out = outputBuffer(40_000);
  /** Lines with the time each arrived, for waitForOutput. */
  const lines = [];
  const waiters = new Set();
  let exit;
  let partial = '';
  const onData = (chunk) => {
    out.push(chunk);
    const text = partial + chunk.toString();
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    const at = Date.now();
    for (const line of parts) {
      lines.push({ line, at });
      for (const waiter of waiters) waiter.check({ line, at });
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      exit = code ?? signal;
      liveChildren.delete(child);
      for (const waiter of waiters) waiter.fail(new Error(`${label} exited (${exit}) first`));
      resolve(exit);
    }),
  );
  child.on('error', (error) => {
    exit = `spawn error: ${error.message}`;
    for (const waiter of waiters) waiter.fail(new Error(`${label} could not start: ${error.message}`));
  });

  const waitForOutput = (pattern, timeoutMs) =>
    new Promise((resolve, reject) => {
      const waiter = {
        check({ line, at }) {
          const match = line.match(pattern);
          if (!match) return;
          done();
          resolve({ match, at });
        },
        fail(error) {
          done();
          reject(new Error(`${error.message} while waiting for ${pattern} in its output:\n${out.text}`));
        },
      };
      const timer = setTimeout(() => waiter.fail(new Error(`${label}: no line matching ${pattern} within ${timeoutMs} ms`)), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(waiter);
      };
      waiters.add(waiter);
      for (const seen of lines) {
        if (!waiters.has(waiter)) return;
        waiter.check(seen);
      }
      if (waiters.has(waiter) && exit !== undefined) waiter.fail(new Error(`${label} exited (${exit}) first`));
    });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    killGroup(child, 'SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
    if (!done) {
      killGroup(child, 'SIGKILL');
      await Promise.race([exited, sleep(STOP_GRACE_MS)]);
    }
    // Anything the process left behind in its group.
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* the group is gone */
    }
    liveChildren.delete(child);
  };

  return { child, logs: () => out.text, waitForOutput, stop };
}

/**
 * Debian's Chromium, headless, with a fresh temporary profile. Returns { context, page, close() }.
 */
export function launchBrowser(options = {}) {
  return withOneRetry('Chromium', () => launchBrowserOnce(options));
}

async function launchBrowserOnce({ baseURL }) {
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'hashyard-e2e-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      baseURL,
      viewport: { width: 1280, height: 900 },
      timeout: 30_000,
    });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw new Error(`Could not launch ${CHROMIUM_PATH}: ${error.message}`);
  }
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(20_000);
  const page = context.pages()[0] ?? (await context.newPage());
  let closed = false;
  return {
    context,
    page,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.race([context.close().catch(() => {}), sleep(10_000)]);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** A screenshot for humans, saved under test-results/ (gitignored). Returns its path. */
export async function screenshot(page, name) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Something unique per run, for slugs and emails. */
export const uniqueId = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
