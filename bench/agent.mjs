// The facility agent against the miner simulator: one agent, N simulated miners on loopback
// addresses (default 5,000), a fake Hashyard edge. Prints the wall time of a cycle and the
// agent's own CPU per 1,000 miners, measured in this one run. Printed, not asserted.
//
// The simulator and the fake edge run in their own processes, so process.cpuUsage() here is
// the agent alone: connecting, reading and parsing every reply, normalising, gzip and POST.
// A few miners hang (accept, never answer) and a few refuse connections, as on a real site:
// they must not hold the others up.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent } from '../agent/lib/agent.mjs';
import { root } from './lib.mjs';

const MINERS = Number(process.env.BENCH_AGENT_MINERS ?? 5000);
const CYCLES = Number(process.env.BENCH_AGENT_CYCLES ?? 3);
const HANG = Number(process.env.BENCH_AGENT_HANG ?? 10);
const OFFLINE = Number(process.env.BENCH_AGENT_OFFLINE ?? 10);
/** Miners polled at once; unset = the agent's default (64). */
const CONCURRENCY = process.env.BENCH_AGENT_CONCURRENCY ? Number(process.env.BENCH_AGENT_CONCURRENCY) : undefined;
const BASE = '127.60.0.1';

/** Start a child node process and resolve once `marker` appears on stderr. */
function startChild(args, marker) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    const onData = (d) => {
      err += d;
      const m = marker.exec(err);
      if (m) {
        child.stderr.off('data', onData);
        child.stderr.resume();
        resolve({ child, match: m });
      }
    };
    child.stderr.on('data', onData);
    child.stdout.resume();
    child.once('exit', (code) => reject(new Error(`${args[0]} exited ${code}: ${err.slice(-500)}`)));
  });
}

/** CPU seconds a child has used so far (Linux /proc), or undefined elsewhere. */
function childCpuS(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks (100 Hz)
  } catch {
    return undefined;
  }
}

/** The smallest CIDR from 127.60.0.0 that holds `n` simulated miners (.0/.255 are skipped). */
function segmentFor(n) {
  const hosts = Math.ceil(n / 254) * 256;
  const bits = 32 - Math.ceil(Math.log2(hosts));
  return `127.60.0.0/${Math.min(bits, 24)}`;
}

export async function benchAgent() {
  const segment = segmentFor(MINERS);
  console.log(`\n== agent: one agent, ${MINERS} simulated miners (${HANG} hanging, ${OFFLINE} refusing), segment ${segment}, poll concurrency ${CONCURRENCY ?? 'default (64)'}`);
  const sim = await startChild(
    ['agent/simulator.mjs', '--count', String(MINERS), '--base', BASE, '--jitter', '0', '--scenario', `hang:${HANG},offline:${OFFLINE}`],
    /ready/,
  );
  const edgeScript = `
    import { startFakeEdge } from './agent/testkit/fake-edge.mjs';
    const e = await startFakeEdge({ config: { scan_segments: [${JSON.stringify(segment)}], poll_interval_s: 60, miners: [] } });
    process.stderr.write('edge ' + e.url + '\\n');
    setInterval(() => {}, 1 << 30);`;
  const edge = await startChild(['--input-type=module', '-e', edgeScript], /edge (\S+)\n/);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hashyard-bench-agent-'));
  /** @type {string[]} */
  const health = [];
  const agent = new Agent({
    api: edge.match[1],
    code: 'K7Q2ZP',
    stateDir,
    arpFile: '/nonexistent',
    pollConcurrency: CONCURRENCY,
    log: (m) => {
      if (m.startsWith('health')) health.push(m);
    },
  });
  try {
    await agent.start();
    /** @type {{ wall: number, cpu: number, polled: number, sim?: number }[]} */
    const cycles = [];
    for (let i = 0; i < CYCLES; i++) {
      const sim0 = childCpuS(sim.child.pid);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const r = await agent.cycle();
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const sim1 = childCpuS(sim.child.pid);
      cycles.push({ wall, cpu: (cpu.user + cpu.system) / 1000, polled: r.miners.length, sim: sim0 === undefined || sim1 === undefined ? undefined : sim1 - sim0 });
    }
    const per1k = (/** @type {number} */ ms, /** @type {number} */ n) => (ms / (n / 1000)).toFixed(0);
    console.log('| cycle | miners reported | wall time | agent CPU | agent CPU per 1,000 miners | simulator CPU |');
    console.log('|---|---|---|---|---|---|');
    cycles.forEach((c, i) => {
      const what = i === 0 ? '1 (scan + first contact)' : `${i + 1} (steady)`;
      console.log(`| ${what} | ${c.polled} | ${(c.wall / 1000).toFixed(1)} s | ${(c.cpu / 1000).toFixed(1)} s | ${per1k(c.cpu, MINERS)} ms | ${c.sim === undefined ? '—' : `${c.sim.toFixed(1)} s`} |`);
    });
    console.log(`load average while measuring: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs`);
    const last = health.at(-1);
    if (last) console.log(`last health line: ${last}`);
  } finally {
    agent.stop();
    sim.child.kill('SIGTERM');
    edge.child.kill('SIGTERM');
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  await benchAgent();
}
