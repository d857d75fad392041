// One published test vector of the seal's canonical form (docs/billing/evidence.md), checked in
// both runtimes: by test/unit/seal-format.test.ts inside workerd and by verify-evidence.test.mjs
// in Node, so the Worker and the offline verifier provably hash alike. The expected hash was
// computed with `sha256sum` over the text below, not with the code under test.
export const VECTOR_INPUT = {
  siteId: 'site-1',
  customerKey: 'cust-1',
  day: '2026-11-06',
  prevHash: '0'.repeat(64),
  // Deliberately out of order: the form sorts by (miner_id, hour_start).
  rows: [
    { minerId: 'm-b', hourStart: 1793926800000, energyWh: 3050, energySource: 'pdu', avgHashrateMths: 104000, onlineSeconds: 3600, samples: 60 },
    { minerId: 'm-a', hourStart: 1793930400000, energyWh: 2999, energySource: 'miner', avgHashrateMths: 99500, onlineSeconds: 3540, samples: 59 },
    { minerId: 'm-a', hourStart: 1793926800000, energyWh: 0, energySource: 'spec', avgHashrateMths: 0, onlineSeconds: 0, samples: 1 },
  ],
};

export const VECTOR_TEXT =
  'hashyard-usage-seal-v1\nsite-1\ncust-1\n2026-11-06\n0000000000000000000000000000000000000000000000000000000000000000\n' +
  'm-a|1793926800000|0|spec|0|0|1\nm-a|1793930400000|2999|miner|99500|3540|59\nm-b|1793926800000|3050|pdu|104000|3600|60\n';

export const VECTOR_HASH = 'a1c581196dc5e4c5707ab13d1b45c89abbe06bc246752036bbac7a1d9fb53f64';
