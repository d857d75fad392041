#!/usr/bin/env node
// Miner simulator CLI:
//   npm run simulator -- --count 200 --base 127.20.0.1 --scenario overheat:5,offline:3,lowhash:4
// Options:
//   --count N            miners to simulate (default 30)
//   --base IP            first loopback address (default 127.20.0.1); .0/.255 are skipped
//   --port N             API port on every address (default 4028)
//   --dialects LIST      rotate over these (default bmminer,btminer,cgminer)
//   --scenario SPEC      name:count,... (offline, overheat, lowhash, sleeping, poolchange,
//                        readonly, poolslots, garbage, hang), assigned from the last miner backwards
//   --jitter F           relative noise on readings (default 0.01; 0 = exact nominal values)
//   --control PORT       HTTP control API on 127.0.0.1:PORT (GET /miners,
//                        POST /miners/<ip>/scenario {"scenario":…}, POST /miners/<ip>/pools {"pools":[…]})
//   --arp-file PATH      write an /proc/net/arp-style table of the simulated MACs
//                        (give the agent the same --arp-file)
//   --pdu SPEC           a metered PDU answering SNMP v2c (community "public") on UDP:
//                        family@address[:port][/outlets], e.g. apc@127.21.0.1:1161/24; outlet n
//                        feeds miner n (repeat --pdu for more; the next PDU continues the fleet)
//   --pdu-v3 USER:AUTH:PRIV  the PDUs also answer SNMP v3 authPriv (SHA, AES-128) for USER with
//                        these passphrases (at least 8 characters each)

import { parseArgs } from 'node:util';
import { Simulator, parseScenarioSpec } from './lib/simulator/server.mjs';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '30' },
    base: { type: 'string', default: '127.20.0.1' },
    port: { type: 'string', default: '4028' },
    dialects: { type: 'string', default: 'bmminer,btminer,cgminer' },
    scenario: { type: 'string', default: '' },
    jitter: { type: 'string', default: '0.01' },
    control: { type: 'string' },
    'arp-file': { type: 'string' },
    pdu: { type: 'string', multiple: true },
    'pdu-v3': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  process.stdout.write(
    'usage: npm run simulator -- [--count 200] [--base 127.20.0.1] [--scenario overheat:5,offline:3,lowhash:4]\n' +
      '       [--dialects bmminer,btminer,cgminer] [--jitter 0.01] [--control 4029] [--arp-file /tmp/sim-arp] [--port 4028]\n',
  );
  process.exit(0);
}

try {
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1 || count > 20000) throw new Error('--count must be 1..20000');
  const dialects = /** @type {import('./lib/simulator/model.mjs').SimDialect[]} */ (values.dialects.split(',').map((s) => s.trim()));
  for (const d of dialects) if (!['bmminer', 'btminer', 'cgminer'].includes(d)) throw new Error(`unknown dialect ${d}`);
  const sim = new Simulator({
    count,
    base: values.base,
    port: Number(values.port),
    dialects,
    scenarios: parseScenarioSpec(values.scenario),
    jitter: Number(values.jitter),
    log: (m) => process.stderr.write(`${new Date().toISOString()} ${m}\n`),
  });
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await sim.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  await sim.start();
  const list = sim.describe();
  const first = list[0]?.ip;
  const last = list[list.length - 1]?.ip;
  process.stderr.write(`simulating ${list.length} miners on ${first} … ${last} port ${values.port}\n`);
  for (const m of list.filter((x) => x.scenario !== 'normal')) process.stderr.write(`  ${m.ip} ${m.dialect} ${m.scenario}\n`);
  if (values['arp-file']) {
    await sim.writeArpFile(values['arp-file']);
    process.stderr.write(`ARP table written to ${values['arp-file']}\n`);
  }
  let nextMiner = 0;
  /** @type {import('./lib/simulator/pdu.mjs').SimV3User | undefined} */
  let v3;
  if (values['pdu-v3']) {
    const [user, authKey, privKey] = values['pdu-v3'].split(':');
    if (!user || !authKey || !privKey || authKey.length < 8 || privKey.length < 8) throw new Error('--pdu-v3: use USER:AUTHPASS:PRIVPASS, passphrases of 8 characters or more');
    v3 = { user, level: 'authPriv', auth_protocol: 'sha', auth_key: authKey, priv_protocol: 'aes', priv_key: privKey };
  }
  for (const spec of values.pdu ?? []) {
    const m = /^(apc|raritan|servertech|eaton)@(127\.\d+\.\d+\.\d+)(?::(\d+))?(?:\/(\d+))?$/.exec(spec);
    if (!m) throw new Error(`--pdu ${spec}: use family@127.x.y.z[:port][/outlets], family apc, raritan, servertech or eaton`);
    const outlets = Number(m[4] ?? 24);
    const pdu = await sim.addPdu({ family: /** @type {import('./lib/pdu/families.mjs').PduFamily} */ (m[1]), address: m[2], port: Number(m[3] ?? 161), first: nextMiner, outlets, v3 });
    process.stderr.write(`PDU ${m[1]} on udp ${m[2]}:${pdu.port}${v3 ? ` (v2c, and v3 user ${v3.user})` : ''}, outlets 1-${outlets} → miners ${nextMiner + 1}-${nextMiner + outlets}\n`);
    nextMiner += outlets;
  }
  if (values.control) {
    const port = await sim.startControl(Number(values.control));
    process.stderr.write(`control API on http://127.0.0.1:${port}/miners\n`);
  }
  process.stderr.write('ready (Ctrl-C to stop)\n');
} catch (err) {
  process.stderr.write(`simulator: ${/** @type {Error} */ (err).message}\n`);
  process.exit(1);
}
