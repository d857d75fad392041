// The fleet views of two checkouts side by side: each seeded like bench/fleet.mjs in its own
// wrangler dev, both up at once, and each page's requests alternating between them, so a machine
// that speeds up or slows down during the run moves both alike. Separate runs of bench/fleet.mjs
// drift by up to a third on a shared machine, more than most single changes are worth.
//
//   git worktree add ../base <commit> && ln -s "$PWD/node_modules" ../base/node_modules
//   node bench/fleet-ab.mjs ../base
//
// Prints each page's median for the other checkout ("base") and this one, each against its own
// /login, and this one's time over the base's. The base must have bench/fleet.mjs's seededFleet
// (any commit since the fleet views were benchmarked). Knobs as bench/fleet.mjs's:
// BENCH_FLEET_MINERS, BENCH_FLEET_HISTORY_HOURS, and BENCH_FLEET_SAMPLES (default 100).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { middleOf, root } from './lib.mjs';

const baseTree = process.argv[2];
if (!baseTree) {
  console.error('usage: node bench/fleet-ab.mjs <path of the other checkout>');
  process.exit(2);
}
const SAMPLES = Number(process.env.BENCH_FLEET_SAMPLES ?? 100);
const WARMUP = 5;
const MINERS = Number(process.env.BENCH_FLEET_MINERS ?? 1000);

const PAGES = [
  ['trivial page (/login)', '/login', null],
  ['admin fleet, D1 sort (serial)', '/admin/equipment?sort=serial&view=table', 'staff'],
  ['admin fleet, live sort (hashrate)', '/admin/equipment?sort=-hashrate&view=table', 'staff'],
  ['admin fleet, live sort (temp)', '/admin/equipment?sort=-temperature&view=table', 'staff'],
  ['portal dashboard', 'portal:', 'member'],
  ['portal Equipment (50 + chart)', 'portal:/equipment', 'member'],
  ['portal Equipment, live sort', 'portal:/equipment?sort=-hashrate', 'member'],
  ['portal polled fragment', 'portal:/equipment/live', 'member'],
  ['ref: staff dashboard (fleet + billing)', '/admin/dashboard', 'staff'],
  ['ref: staff page without fleet', '/admin/customers', 'staff'],
  ['ref: portal page without fleet', 'portal:/profile', 'member'],
];

const urlOf = (up, path) => (path.startsWith('portal:') ? up.portalBase + path.slice('portal:'.length) : up.origin + path);

const ups = [];
try {
  for (const tree of [resolve(baseTree), root]) {
    const { seededFleet } = await import(pathToFileURL(resolve(tree, 'bench/fleet.mjs')).href);
    ups.push(await seededFleet());
  }
  const rows = [];
  for (const [label, path, who] of PAGES) {
    const times = ups.map(() => []);
    for (let round = 0; round < WARMUP + SAMPLES; round++) {
      for (let k = 0; k < ups.length; k++) {
        const which = (k + round) % ups.length; // alternate which checkout goes first
        const up = ups[which];
        const start = performance.now();
        const res = await fetch(urlOf(up, path), { headers: who ? { Cookie: up[who] } : {}, redirect: 'manual' });
        await res.text();
        if (res.status !== 200) throw new Error(`${label}: ${urlOf(up, path)} answered ${res.status}`);
        if (round >= WARMUP) times[which].push(performance.now() - start);
      }
    }
    rows.push([label, ...times.map((list) => middleOf(list))]);
  }
  const [, baseFloor, floor] = rows[0];
  console.log(`\n${`page, ${MINERS.toLocaleString('en-US')} miners (median of ${SAMPLES})`.padEnd(40)} ${'base'.padStart(9)} ${''.padStart(6)} ${'this'.padStart(9)} ${''.padStart(6)}  this/base`);
  for (const [label, base, mine] of rows) {
    console.log(`${label.padEnd(40)} ${base.toFixed(2).padStart(6)} ms ${(base / baseFloor).toFixed(2).padStart(5)}× ${mine.toFixed(2).padStart(6)} ms ${(mine / floor).toFixed(2).padStart(5)}×  ${(mine / base).toFixed(3)}`);
  }
} finally {
  for (const up of ups) up.worker.stop();
}
