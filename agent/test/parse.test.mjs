// Parsers against every real firmware reply in agent/test/fixtures/cgminer-api/,
// with exact expected values, plus the parsing traps its README lists.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, fixtureNames } from '../testkit/fixtures.mjs';
import { normalise, detectDialect, decodeReply, repairJson, ParseError, CommandError, V1_FIELDS, capErrors } from '../lib/parse/index.mjs';
import { num, rateThs, tempC, toThs, normaliseMac } from '../lib/parse/common.mjs';
import { avalonModelFromVer } from '../lib/parse/cgminer.mjs';

const IP = '10.20.1.15';

/** ECHU codes of the ten old AvalonMiner 741 modules on two AUC chains (the real 7xx stats reply). */
const ERRORS_741 = [
        'avalon AV70 MM ID1: hashboard 0 error code 16',
        'avalon AV70 MM ID1: hashboard 2 error code 512',
        'avalon AV70 MM ID2: hashboard 0 error code 16',
        'avalon AV70 MM ID2: hashboard 1 error code 512',
        'avalon AV70 MM ID2: hashboard 2 error code 512',
        'avalon AV70 MM ID2: hashboard 3 error code 512',
        'avalon AV70 MM ID3: hashboard 0 error code 528',
        'avalon AV70 MM ID4: hashboard 0 error code 16',
        'avalon AV70 MM ID4: hashboard 3 error code 512',
        'avalon AV70 MM ID5: hashboard 0 error code 16',
        'avalon AV71 MM ID1: hashboard 0 error code 16',
        'avalon AV71 MM ID1: hashboard 2 error code 512',
        'avalon AV71 MM ID1: hashboard 3 error code 512',
        'avalon AV71 MM ID2: hashboard 0 error code 16',
        'avalon AV71 MM ID3: hashboard 0 error code 528',
        'avalon AV71 MM ID3: hashboard 1 error code 512',
        'avalon AV71 MM ID4: hashboard 0 error code 16',
        'avalon AV71 MM ID4: hashboard 3 error code 512',
        'avalon AV71 MM ID5: hashboard 0 error code 16',
];

/**
 * Every fixture file: the dialect that parses it, the command it answers,
 * and exactly what the normaliser makes of that one reply on its own.
 * @type {Record<string, { dialect: import('../lib/parse/index.mjs').DialectName, command: string, detect?: string, expect: Record<string, unknown> }>}
 */
const FILES = {
  'antminer-s19pro-bmminer-49.0.1.3-version.json': {
    dialect: 'bmminer', command: 'version', detect: 'bmminer',
    expect: { vendor: 'Bitmain', model: 'Antminer S19 Pro', firmware: '49.0.1.3', errors: [] },
  },
  'antminer-s19pro-bmminer-49.0.1.3-summary.json': {
    dialect: 'bmminer', command: 'summary', detect: 'bmminer',
    // GHS 5s 110566.89, GHS av 111834.85 (GH/s → TH/s)
    expect: { vendor: 'Bitmain', state: 'mining', hashrate_ths: 110.567, hashrate_avg_ths: 111.835, uptime_s: 50474, errors: [] },
  },
  'antminer-s19pro-bmminer-49.0.1.3-stats.json': {
    dialect: 'bmminer', command: 'stats', detect: 'bmminer',
    expect: {
      vendor: 'Bitmain', model: 'Antminer S19 Pro', firmware: '49.0.1.3', state: 'mining',
      hashrate_ths: 110.567, hashrate_avg_ths: 111.835, expected_hashrate_ths: 110,
      board_temps_c: [73, 66, 64], chip_temps_c: [78, 71, 69], // chains 1..3; slot 4 is padding
      fans_rpm: [6000, 5880, 5040, 5040], uptime_s: 50474, errors: [],
    },
  },
  'antminer-s19pro-bmminer-49.0.1.3-pools.json': {
    dialect: 'bmminer', command: 'pools',
    expect: { pool_url: 'stratum+tcp://btc.global.luxor.tech:700', pool_user: 'satokierepair.H04YK', errors: [] },
  },
  'antminer-s19pro-bmminer-49.0.1.3-devs.json': {
    // one pseudo-device with Tenperature 0.0: contributes nothing, and no 0 °C
    dialect: 'bmminer', command: 'devs',
    expect: { errors: [] },
  },
  'antminer-s19-bmminer-49.0.1.3-stats.json': {
    dialect: 'bmminer', command: 'stats', detect: 'bmminer',
    expect: {
      vendor: 'Bitmain', model: 'Antminer S19', firmware: '49.0.1.3', state: 'sleeping',
      hashrate_ths: 0, hashrate_avg_ths: 0, expected_hashrate_ths: 63.919,
      board_temps_c: [40, 40], chip_temps_c: [40, 40], // chain 1 absent, not 0
      fans_rpm: [1560, 1560, 600, 720], uptime_s: 735,
      errors: ['chain 1: no ASICs detected'],
    },
  },
  'antminer-s21xphyd-bmminer-71.0.1.3-stats.json': {
    // X21 generation, stock 71.0.1.3, `rate_unit` GH; water-cooled: four fan slots at 0 RPM with
    // fan_num 4 are no fans, not stopped ones, so no fans are reported
    dialect: 'bmminer', command: 'stats', detect: 'bmminer',
    expect: {
      vendor: 'Bitmain', model: 'Antminer S21 XP Hyd.', firmware: '71.0.1.3', state: 'mining',
      hashrate_ths: 483.979, hashrate_avg_ths: 487.129, expected_hashrate_ths: 473,
      board_temps_c: [52, 51, 51], chip_temps_c: [63, 63, 63], uptime_s: 602534, errors: [],
    },
  },
  'antminer-s19kpro-luxos-2025.4.8-summary.json': {
    dialect: 'luxos', command: 'summary', detect: 'luxos',
    expect: {
      vendor: 'Bitmain', firmware: 'LUXminer 2025.4.8.220305-57b389c7', state: 'mining',
      hashrate_ths: 59.756, hashrate_avg_ths: 56.918, uptime_s: 3453, errors: [],
    },
  },
  'antminer-s19kpro-luxos-2025.4.8-temps.json': {
    dialect: 'luxos', command: 'temps', detect: 'luxos',
    expect: { board_temps_c: [47, 47, 47], errors: [] }, // hottest of the four corners per board
  },
  'antminer-s19kpro-luxos-2025.4.8-power.json': {
    dialect: 'luxos', command: 'power', detect: 'luxos',
    expect: { power_w: 1051, power_source: 'miner', errors: [] },
  },
  'braiins-s9-bosminerplus-0.2.0-summary.json': {
    dialect: 'bosminer', command: 'summary', detect: 'bosminer',
    // MHS 5s 15740915.84…, MHS av 11988299.65… (MH/s → TH/s)
    expect: {
      vendor: 'Bitmain', firmware: 'BOSminer+ 0.2.0-36c56a9363', state: 'mining',
      hashrate_ths: 15.741, hashrate_avg_ths: 11.988, uptime_s: 3680, errors: [],
    },
  },
  'braiins-s9-bosminerplus-0.2.0-temps.json': {
    // IDs 6..8 ordered by TEMP 0..2; Chip 0.0 = not read, so no chip temps
    dialect: 'bosminer', command: 'temps', detect: 'bosminer',
    expect: { board_temps_c: [75, 63, 70], errors: [] },
  },
  'whatsminer-m20sv10-btminer-20210322.22.REL-get_version.json': {
    dialect: 'btminer', command: 'get_version', detect: 'btminer',
    expect: { vendor: 'MicroBT', firmware: '20210322.22.REL', errors: [] },
  },
  'whatsminer-m30s-btminer-20200512.13.REL-summary.json': {
    dialect: 'btminer', command: 'summary', detect: 'btminer',
    expect: {
      // no `HS RT` or 30 s window on this firmware: the 1 m figure (85163473 MH/s), not the 5 s one
      mac: 'c6:02:14:00:1f:b3', vendor: 'MicroBT', firmware: '20200512.13.REL', state: 'mining',
      hashrate_ths: 85.163, hashrate_avg_ths: 85.106, expected_hashrate_ths: 86.472,
      fans_rpm: [2370, 2430], power_w: 3230, power_source: 'miner', uptime_s: 29600,
      errors: ['btminer error code 205: power supply error'], // Factory Error Codes are history, not reported
    },
  },
  'whatsminer-m30s-btminer-20200512.13.REL-edevs.json': {
    dialect: 'btminer', command: 'edevs',
    expect: { board_temps_c: [80, 72, 72.5], chip_temps_c: [99.8, 89.1, 90.6], errors: [] },
  },
  'whatsminer-m30s-btminer-20200512.13.REL-pools.json': {
    dialect: 'btminer', command: 'pools',
    expect: { pool_url: 'stratum+tcp://sha256asicboost.eu.nicehash.com:3368', pool_user: 'xxx', errors: [] },
  },
  'whatsminer-m31s-btminer-20201202.22.REL-summary.json': {
    dialect: 'btminer', command: 'summary', detect: 'btminer',
    expect: {
      // `HS RT` 76690808 MH/s, not the spiky `MHS 5s` 92768288 (22 % above the 75.7 TH/s nominal)
      mac: 'c6:06:12:00:2d:63', vendor: 'MicroBT', firmware: '20201202.22.REL', state: 'mining',
      hashrate_ths: 76.691, hashrate_avg_ths: 76.719, expected_hashrate_ths: 75.697,
      fans_rpm: [5700, 0], // the miner's own 0 (its error 111 says the exhaust fan failed)
      power_w: 3553, power_source: 'miner', uptime_s: 33102,
      errors: [
        'btminer error code 110: intake fan speed error',
        'btminer error code 111: exhaust fan speed error',
        'btminer error code 131: exhaust fan speed off by more than 3000 RPM',
      ],
    },
  },
  'whatsminer-m31s-btminer-20201202.22.REL-edevs.json': {
    dialect: 'btminer', command: 'edevs', detect: 'btminer',
    expect: { board_temps_c: [57.5, 72, 68], chip_temps_c: [77.4, 93, 89.2], errors: [] },
  },
  'whatsminer-m31s-btminer-20201202.22.REL-pools.json': {
    // POOL ids are 1-based here; the active one is POOL 1
    dialect: 'btminer', command: 'pools', detect: 'btminer',
    expect: { pool_url: 'stratum+tcp://btc.ss.poolin.com:443', pool_user: 'x.12x22', errors: [] },
  },
  'avalon-1047-cgminer4.11.1-20051101-pools+summary+stats.json': {
    dialect: 'cgminer', command: 'pools+summary+stats', detect: 'cgminer',
    expect: {
      vendor: 'Canaan', model: 'AvalonMiner 1047', firmware: '1047-20051101_85dc6f0_0332654', state: 'mining',
      hashrate_ths: 32.247, hashrate_avg_ths: 25.537, // MHS 30s (no 5s), MHS av
      board_temps_c: [55, 58], chip_temps_c: [61, 64], fans_rpm: [2896, 2927],
      // PS[0 0 0 0 0 0]: no power reading, so no power_w
      pool_url: 'stratum+tcp://sha256.mining-dutch.nl:9996', pool_user: 'xxx',
      uptime_s: 155, // summary Elapsed; When (168) is uptime on this firmware and is not used
      errors: ['avalon hashboard 0 error code 512', 'avalon hashboard 1 error code 512', 'avalon power supply not readable (POW_I2C FAILED)'],
    },
  },
  'avalon-1246-cgminer4.11.1-21072802-stats.json': {
    dialect: 'cgminer', command: 'stats', detect: 'cgminer',
    expect: {
      vendor: 'Canaan', model: 'AvalonMiner 1246-83', firmware: '1246-83-21072802_4ec6bb0_211fc46', state: 'mining',
      hashrate_ths: 81.073, hashrate_avg_ths: 79.657, // GHSspd, GHSavg
      board_temps_c: [66, 65, 64], chip_temps_c: [77, 77, 76], // MTavg, MTmax
      fans_rpm: [5344, 5392, 5349, 5309], power_w: 3504, power_source: 'miner', // 7th field of PS[]
      uptime_s: 24684, errors: [],
    },
  },
  'avalon-1566-cgminer4.11.1-24102401-version.json': {
    dialect: 'cgminer', command: 'version', detect: 'cgminer',
    expect: { mac: '12:34:56:78:90:12', vendor: 'Canaan', model: 'AvalonMiner 15-194', firmware: '24102401_25462b2_9ddf522', errors: [] },
  },
  'avalon-1566-cgminer4.11.1-24102401-devs.json': {
    // Temperature -273.0 is "no sensor": no board temperature at all
    dialect: 'cgminer', command: 'devs',
    expect: { errors: [] },
  },
  'avalon-1566-cgminer4.11.1-24102401-pools.json': {
    dialect: 'cgminer', command: 'pools',
    expect: { pool_url: 'stratum+tcp://stratum.pool.io:3333', pool_user: 'pool_username.real_worker', errors: [] },
  },
  'avalon-1566-cgminer4.11.1-24102401-stats.json': {
    dialect: 'cgminer', command: 'stats', detect: 'cgminer',
    expect: {
      vendor: 'Canaan', model: 'AvalonMiner 15-194', firmware: '15-194-24102401_25462b2_9ddf522', state: 'mining',
      hashrate_ths: 199.241, hashrate_avg_ths: 184.007,
      board_temps_c: [69, 70, 71], chip_temps_c: [77, 78, 77], fans_rpm: [4275, 4282],
      power_w: 3731, power_source: 'miner', // WALLPOWER[3731]
      uptime_s: 975, errors: [],
    },
  },
  'avalon-q-cgminer4.11.1-25052801-stats.json': {
    dialect: 'cgminer', command: 'stats', detect: 'cgminer',
    expect: {
      vendor: 'Canaan', model: 'Avalon Q', firmware: 'Q-25052801_14a19a2', state: 'sleeping', // "Work: In Idle"
      hashrate_ths: 0, hashrate_avg_ths: 44.499,
      board_temps_c: [27], // HBITemp/HBOTemp; TMax/TAvg are 0 when idle and are not used
      chip_temps_c: [71], // hottest PVT_T0 sensor, from HBinfo 'HB0':{…}
      fans_rpm: [0, 0, 0, 0], power_w: 146, power_source: 'miner', uptime_s: 37819, errors: [],
    },
  },
  // ── issue 8: firmware the agent used to misread ──────────────────────────
  'antminer-s19pro-bmminer-49.0.1.3-overheat-stats.json': {
    // every chip `xxx` and 0 H/s, but sensors at 88–97 °C: overheating, not asleep
    dialect: 'bmminer', command: 'stats', detect: 'bmminer',
    expect: {
      vendor: 'Bitmain', model: 'Antminer S19 Pro', firmware: '49.0.1.3', state: 'error',
      hashrate_ths: 0, hashrate_avg_ths: 0.737, expected_hashrate_ths: 111.859,
      board_temps_c: [88, 89, 92], chip_temps_c: [93, 94, 97], fans_rpm: [5160, 5280, 6240, 6120], uptime_s: 12122,
      errors: ['overheating: not hashing with chips at 97 °C'],
    },
  },
  'antminer-s19pro-bmminer-49.0.1.3-overheat2-stats.json': {
    // same signature after 3.7 days at 93.6 TH/s average: a hot miner is never "sleeping"
    dialect: 'bmminer', command: 'stats', detect: 'bmminer',
    expect: {
      vendor: 'Bitmain', model: 'Antminer S19 Pro', firmware: '49.0.1.3', state: 'error',
      hashrate_ths: 0, hashrate_avg_ths: 93.557, expected_hashrate_ths: 111.859,
      board_temps_c: [91, 85, 83], chip_temps_c: [96, 90, 88], fans_rpm: [6000, 5880, 6120, 6120], uptime_s: 321734,
      errors: ['overheating: not hashing with chips at 96 °C'],
    },
  },
  'antminer-t17plus-bmminer-b023.0.1.3-sleep-stats.json': {
    // `Mode: 254` is stock sleep mode: boards off, every sensor 0 — sleeping, no missing-chain errors
    dialect: 'bmminer', command: 'stats', detect: 'bmminer',
    expect: {
      vendor: 'Bitmain', model: 'Antminer T17+', firmware: 'b023.0.1.3', state: 'sleeping',
      hashrate_ths: 0, hashrate_avg_ths: 0, uptime_s: 8105, errors: [],
    },
  },
  'antminer-s9k-bmminer-13.10.1.3-stats.json': {
    // temp_chipN "51-85" is the chip range; temp2_N (51) a cooler sensor: the hottest chip is reported
    dialect: 'bmminer', command: 'stats', detect: 'bmminer',
    expect: {
      vendor: 'Bitmain', model: 'Antminer S9k', firmware: '13.10.1.3', state: 'mining',
      hashrate_ths: 14.359, hashrate_avg_ths: 14.253, expected_hashrate_ths: 14,
      board_temps_c: [61, 60, 58], chip_temps_c: [85, 84, 78], fans_rpm: [2280, 3720], uptime_s: 367506, errors: [],
    },
  },
  'antminer-s9-vnish-3.8.6-version.json': {
    // answers as CGMiner 4.11.1; the model and firmware are in Type
    dialect: 'bmminer', command: 'version', detect: 'bmminer',
    expect: { vendor: 'Bitmain', model: 'Antminer S9', firmware: 'VNish 3.8.6', errors: [] },
  },
  'antminer-s9-vnish-3.8.6-stats.json': {
    // raw wire bytes with the older `}{`; chains 6–8; power = Σ chain_consumptionN (3 × 495 W)
    dialect: 'bmminer', command: 'stats', detect: 'bmminer',
    expect: {
      vendor: 'Bitmain', model: 'Antminer S9', firmware: 'VNish 3.8.6', state: 'mining',
      hashrate_ths: 12.795, hashrate_avg_ths: 12.901, expected_hashrate_ths: 12.928,
      board_temps_c: [65, 56, 63], chip_temps_c: [80, 71, 78], fans_rpm: [5400, 5880],
      power_w: 1485, power_source: 'miner', uptime_s: 3617, errors: [],
    },
  },
  'antminer-s9-hiveon-2.0.0rwglr-version.json': {
    dialect: 'bmminer', command: 'version', detect: 'bmminer',
    expect: { vendor: 'Bitmain', model: 'Antminer S9', firmware: 'Hiveon 2.0.0 rwglr', errors: [] },
  },
  'antminer-s9-hiveon-2.0.0rwglr-stats.json': {
    // `chain_power` "34.65 (AB)" is not watts and is ignored
    dialect: 'bmminer', command: 'stats', detect: 'bmminer',
    expect: {
      vendor: 'Bitmain', model: 'Antminer S9', firmware: 'Hiveon 2.0.0 rwglr', state: 'mining',
      hashrate_ths: 11.781, hashrate_avg_ths: 11.61, expected_hashrate_ths: 11.85,
      board_temps_c: [59, 50, 57], chip_temps_c: [74, 65, 72], fans_rpm: [3840, 4920], uptime_s: 69, errors: [],
    },
  },
  'antminer-s19x88-hiveon-4.11.1rwglr-stats.json': {
    // newer Hiveon on an S19 (88 chips a chain), badly degraded: 5-10 of 88 chips answer on each
    // chain, 6.75 of 63.3 TH/s; its `total_power` is watts
    dialect: 'bmminer', command: 'stats', detect: 'bmminer',
    expect: {
      vendor: 'Bitmain', model: 'Antminer S19x88', firmware: 'Hiveon 4.11.1 rwglr', state: 'mining',
      hashrate_ths: 6.751, hashrate_avg_ths: 6.422, expected_hashrate_ths: 63.289,
      board_temps_c: [50, 46, 48], chip_temps_c: [61, 56, 56], fans_rpm: [3090, 3000, 3000, 3090],
      power_w: 1345, power_source: 'miner', uptime_s: 805625,
      errors: ['chain 1: 78 of 88 ASICs not responding', 'chain 2: 80 of 88 ASICs not responding', 'chain 3: 78 of 88 ASICs not responding'],
    },
  },
  'antminer-s9-asicseer-1.1.9-version.json': {
    dialect: 'bmminer', command: 'version', detect: 'bmminer',
    expect: { vendor: 'Bitmain', model: 'Antminer S9', firmware: 'ASICseer 1.1.9-f7b7', errors: [] },
  },
  'antminer-s9-asicseer-1.1.9-stats.json': {
    dialect: 'bmminer', command: 'stats', detect: 'bmminer',
    expect: {
      vendor: 'Bitmain', model: 'Antminer S9', firmware: 'ASICseer 1.1.9-f7b7', state: 'mining',
      hashrate_ths: 13.402, hashrate_avg_ths: 12.743, expected_hashrate_ths: 13.466,
      board_temps_c: [57, 49, 56], chip_temps_c: [87, 74, 86], fans_rpm: [2880, 3840], uptime_s: 102, errors: [],
    },
  },
  'antminer-s9pro-mskminer-version.json': {
    dialect: 'bmminer', command: 'version', detect: 'bmminer',
    expect: { vendor: 'Bitmain', model: 'Antminer S9 Pro', firmware: 'MSKminer v5.1', errors: [] },
  },
  'antminer-s9pro-mskminer-stats.json': {
    dialect: 'bmminer', command: 'stats', detect: 'bmminer',
    expect: {
      vendor: 'Bitmain', model: 'Antminer S9 Pro', firmware: 'MSKminer v5.1', state: 'mining',
      hashrate_ths: 9.04, hashrate_avg_ths: 12.461, expected_hashrate_ths: 10.773,
      board_temps_c: [37, 30, 33], chip_temps_c: [52, 45, 48], fans_rpm: [5280], uptime_s: 16, errors: [],
    },
  },
  'antminer-s19-mskminer-2.6.0.39-version.json': {
    dialect: 'bmminer', command: 'version', detect: 'bmminer',
    expect: { vendor: 'Bitmain', model: 'Antminer S19', firmware: 'MSKminer 2.6.0.39', errors: [] },
  },
  'braiins-boser-0.1.0-75912fc7-version.json': {
    // Braiins OS 22.08+ (BOSer): recognised from `version` alone
    dialect: 'bosminer', command: 'version', detect: 'bosminer',
    expect: { vendor: 'Bitmain', firmware: 'BOSer boser-buildroot 0.1.0-75912fc7', errors: [] },
  },
  'braiins-s9-bosminerplus-0.2.0-docs-tempctrl.json': {
    dialect: 'bosminer', command: 'tempctrl', detect: 'bosminer',
    expect: { errors: [] }, // limits only; used with temps (see the BOS test below)
  },
  'braiins-s9-bosminerplus-0.2.0-docs-temps.json': {
    dialect: 'bosminer', command: 'temps', detect: 'bosminer',
    expect: { board_temps_c: [81.9, 85.9, 84.4], chip_temps_c: [104.6, 108.9, 105.4], errors: [] },
  },
  'braiins-s9-bosminerplus-0.2.0-docs-fans.json': {
    dialect: 'bosminer', command: 'fans', detect: 'bosminer',
    expect: { fans_rpm: [5340, 4620, 0, 0], errors: [] },
  },
  'whatsminer-m31s-btminer-20210109.22.REL-status.json': {
    // powered off, newer firmware: `btmineroff` "true"
    dialect: 'btminer', command: 'status', detect: 'btminer',
    expect: { state: 'sleeping', errors: [] },
  },
  'whatsminer-btminer-20220919.15.REL-status.json': {
    dialect: 'btminer', command: 'status', detect: 'btminer',
    expect: { errors: [] }, // btmineroff "false": no state from this reply alone
  },
  'whatsminer-btminer-20240624.18.REL-status.json': {
    dialect: 'btminer', command: 'status', detect: 'btminer',
    expect: { errors: [] }, // mineroff "false"
  },
  'whatsminer-btminer-api2-get_error_code.json': {
    dialect: 'btminer', command: 'get_error_code',
    expect: {
      state: 'error', // errors and no hashrate in this one reply
      errors: ['btminer error code 218: power supply error', 'btminer error code 110: intake fan speed error'],
    },
  },
  'whatsminer-btminer-api3-get.miner.status-summary.json': {
    // API v3 (token-protected firmware; reads need no token): TH/s, W and °C already
    dialect: 'btminer3', command: 'get.miner.status:summary', detect: 'btminer3',
    expect: {
      vendor: 'MicroBT', state: 'mining', hashrate_ths: 171.259, hashrate_avg_ths: 170.8, expected_hashrate_ths: 181.051,
      board_temps_c: [41.1, 40.1, 41.5], chip_temps_c: [82], fans_rpm: [5400, 5280],
      power_w: 3156, power_source: 'miner', uptime_s: 50000, errors: [],
    },
  },
  'whatsminer-m60s-btminer-api3-get.device.info.json': {
    // API v3 identity: model `type`, firmware `fwversion`, MAC, serial; `working` "true"
    dialect: 'btminer3', command: 'get.device.info', detect: 'btminer3',
    expect: {
      mac: 'ce:02:01:00:8c:36', serial: 'BTM3CS40HD24083100000000000000000', vendor: 'MicroBT',
      model: 'Whatsminer M60S_VK40', firmware: '20251209.16.Rel2', errors: [],
    },
  },
  'whatsminer-m60s-btminer-api3-get.device.info-with-errors.json': {
    // `error-code`: code → when, plus the firmware's own reason, kept in brackets
    dialect: 'btminer3', command: 'get.device.info', detect: 'btminer3',
    expect: {
      mac: 'ce:02:01:00:8c:36', serial: 'BTM3CS40HD24083100000000000000000', vendor: 'MicroBT',
      model: 'Whatsminer M60S_VK40', firmware: '20251209.16.Rel2', state: 'error',
      errors: [
        'btminer error code 264: power supply error (Power xfer error. code: 0xffffffffc0000000)',
        'btminer error code 265: power supply error (Power Unknow error. code: 0xffffffffc0000000)',
        'btminer error code 266: power supply error (Power Unknow error. code: 0xffffffffc0000000)',
        'btminer error code 267: power supply error (Power watch dog protected. code: 0xffffffffc0000000)',
        'btminer error code 270: power supply error (Power input over-voltage warning. code: 0xffffffffc0000000)',
      ],
    },
  },
  'whatsminer-m60s-btminer-api3-get.miner.status-edevs.json': {
    // per board `chip-temp-max`; v3 edevs carry no board sensor
    dialect: 'btminer3', command: 'get.miner.status:edevs', detect: 'btminer3',
    expect: { chip_temps_c: [80, 82, 81], errors: [] },
  },
  'whatsminer-m60s-btminer-api3-get.miner.status-pools.json': {
    // lower-case `status`, `account` for the user, `stratum-active` for the pool in use
    dialect: 'btminer3', command: 'get.miner.status:pools', detect: 'btminer3',
    expect: { pool_url: 'stratum+tcp://btc.example.pool:3333', pool_user: 'asic-rs.test', errors: [] },
  },
  'avalon-nano3s-cgminer4.11.1-25021401-version.json': {
    // Avalon Nano 3s: recognised from `version` alone; firmware in LVERSION (there is no VERSION key)
    dialect: 'cgminer', command: 'version', detect: 'cgminer',
    expect: { mac: 'e0:e1:a9:3f:30:53', vendor: 'Canaan', model: 'Avalon Nano3s', firmware: '25021401_56abae7', errors: [] },
  },
  'avalon-q-cgminer4.11.1-25052801-version.json': {
    dialect: 'cgminer', command: 'version', detect: 'cgminer',
    expect: { mac: 'aa:bb:cc:dd:ee:ff', vendor: 'Canaan', model: 'Avalon Q', firmware: '25052801_14a19a2', errors: [] },
  },
  'avalon-q-cgminer4.11.1-25052801-summary.json': {
    // idle: MHS 1m/5s 0; alone, a summary names no vendor, so it is flagged (the whole-miner test below is not)
    dialect: 'cgminer', command: 'summary', detect: 'cgminer',
    expect: { state: 'error', hashrate_ths: 0, hashrate_avg_ths: 44.54, uptime_s: 37714, errors: ['miner not recognised: cgminer 4.11.1'] },
  },
  'braiins-boser-0.1.0-0ce150e9-version.json': {
    // a second BOSer build, from a live Antminer S19J Pro (Braiins OS+ 23.03.2)
    dialect: 'bosminer', command: 'version', detect: 'bosminer',
    expect: { vendor: 'Bitmain', firmware: 'BOSer boser-buildroot 0.1.0-0ce150e9', errors: [] },
  },
  'braiins-s19jpro-boser-0.1.0-0ce150e9-fans.json': {
    // BOSer's own `fans` reply (not the BOSminer docs example): four fans by RPM
    dialect: 'bosminer', command: 'fans', detect: 'bosminer',
    expect: { fans_rpm: [3226, 3315, 3226, 3255], errors: [] },
  },
  'strongu-stu-u6-cgminer4.11.1-summary.json': {
    // plain cgminer from a family the agent does not know: numbers read, vendor/model not guessed
    dialect: 'cgminer', command: 'summary', detect: 'cgminer',
    // `MHS 1m` 405927.53 rather than the spiky `MHS 5s` 397759.08
    expect: { state: 'mining', hashrate_ths: 0.406, hashrate_avg_ths: 0.387, uptime_s: 2416, errors: ['miner not recognised: cgminer 4.11.1'] },
  },
  'avalon-741-cgminer4.10.0-7411706-summary.json': {
    // old Avalon controller: MH/s; the 1 m window over the spiky 5 s one; alone, it names no vendor
    dialect: 'cgminer', command: 'summary', detect: 'cgminer',
    expect: { state: 'mining', hashrate_ths: 42.592, hashrate_avg_ths: 47.071, uptime_s: 118, errors: ['miner not recognised: cgminer 4.10.0'] },
  },
  'avalon-741-cgminer4.10.0-7411706-stats.json': {
    // ten 741 modules (AUC AV70/AV71 × MM ID1..5): one Temp/TMax/Fan each; errors name the module
    dialect: 'cgminer', command: 'stats', detect: 'cgminer',
    expect: {
      vendor: 'Canaan', model: 'AvalonMiner 741', firmware: '7411706-3162860', state: 'error',
      board_temps_c: [38, 38, 43, 40, 37, 38, 38, 40, 42, 37], chip_temps_c: [89, 80, 92, 87, 88, 84, 89, 87, 90, 78],
      fans_rpm: [2550, 1440, 2700, 2580, 2430, 4440, 3900, 3150, 2760, 3810], uptime_s: 118, errors: ERRORS_741,
    },
  },
  'avalon-741-cgminer4.10.0-7411706-pools.json': {
    dialect: 'cgminer', command: 'pools',
    expect: { pool_url: 'stratum+tcp://stratum.antpool.com:3333', pool_user: 'Yop yop', errors: [] },
  },
  'avalon-10xx-cgminer4.11.1-pools+summary+stats-nan.json': {
    // `"MHS av":nan` (not JSON) is repaired to "not reported"; the rest of the reply still counts
    dialect: 'cgminer', command: 'pools+summary+stats', detect: 'cgminer',
    expect: {
      vendor: 'Canaan', model: 'AvalonMiner 1047', firmware: '1047-20051101_85dc6f0_0332654', state: 'error',
      hashrate_ths: 0, hashrate_avg_ths: 25.175, board_temps_c: [55, 58], chip_temps_c: [61, 64], fans_rpm: [2896, 2927],
      pool_url: 'stratum+tcp://sha256.mining-dutch.nl:9996', pool_user: 'xxx', uptime_s: 155,
      errors: ['avalon hashboard 0 error code 512', 'avalon hashboard 1 error code 512', 'avalon power supply not readable (POW_I2C FAILED)'],
    },
  },
};

describe('every fixture file, one reply at a time', () => {
  test('the table covers every fixture file', () => {
    assert.deepEqual(Object.keys(FILES).sort(), fixtureNames());
  });
  for (const [file, spec] of Object.entries(FILES)) {
    test(file, () => {
      const raw = fixture(file);
      const got = normalise(spec.dialect, { [spec.command]: raw }, { ip: IP });
      assert.deepEqual(got, { ip: IP, ...spec.expect });
      // the v1 field order, nothing else
      assert.deepEqual(Object.keys(got), V1_FIELDS.filter((k) => k in got));
      if (spec.detect) assert.equal(detectDialect({ [spec.command]: raw }), spec.detect);
    });
  }
});

describe('whole miners (every reply a poll collects)', () => {
  test('Antminer S19 Pro, stock bmminer', () => {
    const replies = {
      version: fixture('antminer-s19pro-bmminer-49.0.1.3-version.json'),
      summary: fixture('antminer-s19pro-bmminer-49.0.1.3-summary.json'),
      stats: fixture('antminer-s19pro-bmminer-49.0.1.3-stats.json'),
      pools: fixture('antminer-s19pro-bmminer-49.0.1.3-pools.json'),
      devs: fixture('antminer-s19pro-bmminer-49.0.1.3-devs.json'),
    };
    assert.equal(detectDialect(replies), 'bmminer');
    assert.deepEqual(normalise('bmminer', replies, { ip: IP, mac: 'A0:B1:C2:D3:E4:F5'.toLowerCase(), sampledAt: '2026-11-26T21:59:58.000Z' }), {
      mac: 'a0:b1:c2:d3:e4:f5', ip: IP, vendor: 'Bitmain', model: 'Antminer S19 Pro', firmware: '49.0.1.3',
      sampled_at: '2026-11-26T21:59:58.000Z', state: 'mining',
      hashrate_ths: 110.567, hashrate_avg_ths: 111.835, expected_hashrate_ths: 110,
      board_temps_c: [73, 66, 64], chip_temps_c: [78, 71, 69], fans_rpm: [6000, 5880, 5040, 5040],
      pool_url: 'stratum+tcp://btc.global.luxor.tech:700', pool_user: 'satokierepair.H04YK', uptime_s: 50474, errors: [],
    });
  });

  test('Antminer S19k Pro on LuxOS', () => {
    const replies = {
      summary: fixture('antminer-s19kpro-luxos-2025.4.8-summary.json'),
      temps: fixture('antminer-s19kpro-luxos-2025.4.8-temps.json'),
      power: fixture('antminer-s19kpro-luxos-2025.4.8-power.json'),
      fans: new CommandError('Invalid command', { command: 'fans' }), // optional: not an error
    };
    assert.equal(detectDialect(replies), 'luxos');
    assert.deepEqual(normalise('luxos', replies, { ip: IP }), {
      ip: IP, vendor: 'Bitmain', firmware: 'LUXminer 2025.4.8.220305-57b389c7', state: 'mining',
      hashrate_ths: 59.756, hashrate_avg_ths: 56.918, board_temps_c: [47, 47, 47],
      power_w: 1051, power_source: 'miner', uptime_s: 3453, errors: [],
    });
  });

  test('Whatsminer M30S', () => {
    const replies = {
      summary: fixture('whatsminer-m30s-btminer-20200512.13.REL-summary.json'),
      edevs: fixture('whatsminer-m30s-btminer-20200512.13.REL-edevs.json'),
      pools: fixture('whatsminer-m30s-btminer-20200512.13.REL-pools.json'),
    };
    assert.equal(detectDialect(replies), 'btminer');
    assert.deepEqual(normalise('btminer', replies, { ip: IP }), {
      mac: 'c6:02:14:00:1f:b3', ip: IP, vendor: 'MicroBT', firmware: '20200512.13.REL', state: 'mining',
      hashrate_ths: 85.163, hashrate_avg_ths: 85.106, expected_hashrate_ths: 86.472, // 1 m window
      board_temps_c: [80, 72, 72.5], chip_temps_c: [99.8, 89.1, 90.6], fans_rpm: [2370, 2430],
      power_w: 3230, power_source: 'miner',
      pool_url: 'stratum+tcp://sha256asicboost.eu.nicehash.com:3368', pool_user: 'xxx',
      uptime_s: 29600, errors: ['btminer error code 205: power supply error'],
    });
  });

  test('AvalonMiner 1566: version identity, stats telemetry, devs sentinel ignored', () => {
    const replies = {
      version: fixture('avalon-1566-cgminer4.11.1-24102401-version.json'),
      stats: fixture('avalon-1566-cgminer4.11.1-24102401-stats.json'),
      devs: fixture('avalon-1566-cgminer4.11.1-24102401-devs.json'),
      pools: fixture('avalon-1566-cgminer4.11.1-24102401-pools.json'),
    };
    assert.equal(detectDialect(replies), 'cgminer');
    assert.deepEqual(normalise('cgminer', replies, { ip: IP }), {
      mac: '12:34:56:78:90:12', ip: IP, vendor: 'Canaan', model: 'AvalonMiner 15-194', firmware: '24102401_25462b2_9ddf522',
      state: 'mining', hashrate_ths: 199.241, hashrate_avg_ths: 184.007,
      board_temps_c: [69, 70, 71], chip_temps_c: [77, 78, 77], fans_rpm: [4275, 4282], power_w: 3731, power_source: 'miner',
      pool_url: 'stratum+tcp://stratum.pool.io:3333', pool_user: 'pool_username.real_worker', uptime_s: 975, errors: [],
    });
  });

  test('Antminer S9 on Braiins OS+', () => {
    const replies = {
      summary: fixture('braiins-s9-bosminerplus-0.2.0-summary.json'),
      temps: fixture('braiins-s9-bosminerplus-0.2.0-temps.json'),
    };
    assert.equal(detectDialect(replies), 'bosminer');
    assert.deepEqual(normalise('bosminer', replies, { ip: IP }), {
      ip: IP, vendor: 'Bitmain', firmware: 'BOSminer+ 0.2.0-36c56a9363', state: 'mining',
      hashrate_ths: 15.741, hashrate_avg_ths: 11.988, board_temps_c: [75, 63, 70], uptime_s: 3680, errors: [],
    });
  });
});

describe('traps from the fixtures README', () => {
  test('trailing NUL bytes are stripped', () => {
    const raw = Buffer.concat([fixture('antminer-s19pro-bmminer-49.0.1.3-summary.json'), Buffer.from([0, 0])]);
    assert.equal(normalise('bmminer', { summary: raw }, { ip: IP }).hashrate_ths, 110.567);
  });

  test('older stats with `}{` (no comma between header and first stats object)', () => {
    const text = fixture('antminer-s19pro-bmminer-49.0.1.3-stats.json').toString('utf8').replace('"Type": "Antminer S19 Pro"}, {', '"Type": "Antminer S19 Pro"}{');
    assert.throws(() => JSON.parse(text));
    const m = normalise('bmminer', { stats: `${text}\u0000` }, { ip: IP });
    assert.deepEqual(m.board_temps_c, [73, 66, 64]);
    assert.deepEqual(m.errors, []);
  });

  test('`}{` inside a string is left alone', () => {
    assert.equal(repairJson('{"a":"x}{y"}'), '{"a":"x}{y"}');
    assert.deepEqual(decodeReply('[{"a":1}{"b":"}{"}]'.replace(/^\[/, '{"L":[').replace(/\]$/, ']}')), { L: [{ a: 1 }, { b: '}{' }] });
  });

  test("btminer's invalid \\' escape (firmware 20200917) is repaired", () => {
    const raw = fixture('whatsminer-m30s-btminer-20200512.13.REL-summary.json').toString('utf8').replace(`"'20200512.13.REL'"`, `"\\'20200917.22.REL\\'"`);
    assert.throws(() => JSON.parse(raw));
    assert.equal(normalise('btminer', { summary: raw }, { ip: IP }).firmware, '20200917.22.REL');
  });

  test('btminer string STATUS and object Msg (get_version)', () => {
    const r = decodeReply(fixture('whatsminer-m20sv10-btminer-20210322.22.REL-get_version.json'));
    assert.equal(r.STATUS, 'S');
    assert.equal(detectDialect({ get_version: r }), 'btminer');
  });

  test('Description is not trusted: S19 bmminer says "cgminer 1.0.0"', () => {
    assert.equal(detectDialect({ version: fixture('antminer-s19pro-bmminer-49.0.1.3-version.json') }), 'bmminer');
    assert.equal(detectDialect({ summary: fixture('whatsminer-m30s-btminer-20200512.13.REL-summary.json') }), 'btminer'); // "cgminer 4.9.2"
  });

  test('Pool Stale%% and Tenperature are tolerated (no field is invented from them)', () => {
    const m = normalise('bmminer', {
      pools: fixture('antminer-s19pro-bmminer-49.0.1.3-pools.json'),
      devs: fixture('antminer-s19pro-bmminer-49.0.1.3-devs.json'),
    }, { ip: IP });
    assert.equal(m.board_temps_c, undefined);
    assert.deepEqual(m.errors, []);
  });

  test('Avalon -273 sentinel and 0 readings are "no sensor", never a temperature', () => {
    assert.equal(tempC(-273), undefined);
    assert.equal(tempC(0), undefined);
    assert.equal(tempC('0'), undefined);
    assert.equal(tempC(63.04), 63);
  });

  test('units: MH/s and GH/s to TH/s', () => {
    assert.equal(toThs(110566.89, 'GH'), 110.567);
    assert.equal(toThs(85038430.01, 'MH'), 85.038);
    assert.equal(toThs(98.2, 'TH'), 98.2);
    assert.equal(rateThs({ 'GHS 5s': '13501.23' }, '5s'), 13.501); // old S9 string values
    assert.equal(rateThs({ 'MHS 30s': 1 }, '5s'), undefined);
    assert.throws(() => toThs(1, 'furlongs'), ParseError);
  });

  test('Avalon model names from Ver[]', () => {
    assert.equal(avalonModelFromVer('1047-20051101_85dc6f0_0332654'), 'AvalonMiner 1047');
    assert.equal(avalonModelFromVer('15-194-24102401_25462b2_9ddf522'), 'AvalonMiner 15-194');
    assert.equal(avalonModelFromVer('Q-25052801_14a19a2'), 'Avalon Q');
    assert.equal(avalonModelFromVer('garbage'), undefined);
  });

  test('MACs are normalised, junk MACs dropped', () => {
    assert.equal(normaliseMac('C6:02:14:00:1F:B3'), 'c6:02:14:00:1f:b3');
    assert.equal(normaliseMac('123456789012'), '12:34:56:78:90:12');
    assert.equal(normaliseMac('00:00:00:00:00:00'), undefined);
    assert.equal(normaliseMac('n/a'), undefined);
  });
});

describe('a reply that cannot be parsed is reported, never turned into zeros', () => {
  test('decodeReply throws ParseError on garbage, empty and non-objects', () => {
    assert.throws(() => decodeReply('{"STATUS":[{"STATUS":"S"'), ParseError);
    assert.throws(() => decodeReply('\u0000'), ParseError);
    assert.throws(() => decodeReply('[1,2]'), ParseError);
    assert.throws(() => decodeReply(Buffer.from([0xff, 0xfe, 0x00])), ParseError);
  });

  test('a garbled summary leaves hashrate absent and says why; other replies still count', () => {
    const m = normalise('btminer', {
      summary: '{"STATUS":[{"STATUS":"S","When":1606354856,"Code":11,"Msg":"Summ',
      edevs: fixture('whatsminer-m30s-btminer-20200512.13.REL-edevs.json'),
    }, { ip: IP });
    assert.equal('hashrate_ths' in m, false);
    assert.equal('power_w' in m, false);
    assert.equal(m.state, 'error');
    assert.deepEqual(m.board_temps_c, [80, 72, 72.5]);
    assert.equal(m.errors.length, 1);
    assert.match(/** @type {string} */ (m.errors[0]), /^parse error in summary: reply is not JSON/);
  });

  test('a numeric field holding text is a parse error, not 0', () => {
    const text = fixture('antminer-s19pro-bmminer-49.0.1.3-summary.json').toString().replace('"GHS 5s": 110566.89', '"GHS 5s": "n/a"');
    const m = normalise('bmminer', { summary: text }, { ip: IP });
    assert.equal(m.hashrate_ths, undefined);
    assert.deepEqual(m.errors, ['parse error in summary: GHS 5s is not a number: "n/a"']);
    assert.throws(() => num('12abc'), ParseError);
    assert.equal(num(''), undefined);
  });

  test('a reply without its section (STATS missing) is a parse error', () => {
    const m = normalise('bmminer', { stats: '{"STATUS":[{"STATUS":"S","Code":70}],"id":1}' }, { ip: IP });
    assert.deepEqual(m.errors, ['parse error in stats: reply has no STATS array']);
  });

  test('STATUS "E" on a required command is reported; on an optional one it is not', () => {
    const e = '{"STATUS":[{"STATUS":"E","When":1,"Code":45,"Msg":"Access denied to \'stats\' command","Description":"cgminer 1.0.0"}],"id":1}';
    assert.deepEqual(normalise('bmminer', { stats: e }, { ip: IP }).errors, ["stats: miner answered an error: Access denied to 'stats' command"]);
    assert.deepEqual(normalise('bmminer', { version: e }, { ip: IP }).errors, []);
  });

  test('a broken Avalon blob is a parse error', () => {
    const raw = fixture('avalon-1246-cgminer4.11.1-21072802-stats.json').toString().replace('Fan1[5344]', 'Fan1[5344');
    const m = normalise('cgminer', { stats: raw }, { ip: IP });
    assert.equal(m.fans_rpm, undefined);
    assert.equal(m.errors.length, 1);
    assert.match(/** @type {string} */ (m.errors[0]), /^parse error in stats: /);
  });
});

describe('issue 8: state, hashrate and identity from the firmware\'s own signals', () => {
  const stateOf = (/** @type {import('../lib/parse/index.mjs').DialectName} */ d, /** @type {Record<string, unknown>} */ r) => normalise(d, r, { ip: IP }).state;

  test('nan, a hot chip string, Mode 254 and btmineroff each give the right state', () => {
    // Avalon 10xx `"MHS av":nan`: the reply is kept (pools, temps, fans), not thrown away
    const avalon = normalise('cgminer', { 'pools+summary+stats': fixture('avalon-10xx-cgminer4.11.1-pools+summary+stats-nan.json') }, { ip: IP });
    assert.equal(avalon.model, 'AvalonMiner 1047');
    assert.ok(!avalon.errors.some((e) => e.startsWith('parse error')), 'no parse error');
    assert.equal(avalon.hashrate_avg_ths, 25.175); // from the stats blob, since the summary's av is nan
    // S19 Pro, every chip "xxx", 88–97 °C: overheating (error), never "sleeping"
    assert.equal(stateOf('bmminer', { stats: fixture('antminer-s19pro-bmminer-49.0.1.3-overheat-stats.json') }), 'error');
    assert.equal(stateOf('bmminer', { stats: fixture('antminer-s19pro-bmminer-49.0.1.3-overheat2-stats.json') }), 'error');
    // …while the cool S19 with the same chip pattern is asleep
    assert.equal(stateOf('bmminer', { stats: fixture('antminer-s19-bmminer-49.0.1.3-stats.json') }), 'sleeping');
    // T17+ Mode 254
    assert.equal(stateOf('bmminer', { stats: fixture('antminer-t17plus-bmminer-b023.0.1.3-sleep-stats.json') }), 'sleeping');
    // Whatsminer powered off, newer firmware
    assert.equal(stateOf('btminer', { status: fixture('whatsminer-m31s-btminer-20210109.22.REL-status.json') }), 'sleeping');
  });

  test('Mode 254 on a hot miner is still an overheating error (derived from the real T17+ reply)', () => {
    const raw = JSON.parse(fixture('antminer-t17plus-bmminer-b023.0.1.3-sleep-stats.json').toString());
    Object.assign(raw.STATS[1], { temp1: 85, temp2_1: 95, chain_acn1: 48 }); // the one change: chain 1 reads hot
    const m = normalise('bmminer', { stats: raw }, { ip: IP });
    assert.equal(m.state, 'error');
    assert.deepEqual(m.errors, ['overheating: not hashing with chips at 95 °C']);
  });

  test('BOSer (Braiins OS 22.08+): detected from version alone; temps, fans and the firmware\'s own hot limit read', () => {
    assert.equal(detectDialect({ version: fixture('braiins-boser-0.1.0-75912fc7-version.json') }), 'bosminer');
    // the same commands on one miner; temps/fans/tempctrl are Braiins' documented replies (BOSminer+ 0.2.0)
    const m = normalise('bosminer', {
      version: fixture('braiins-boser-0.1.0-75912fc7-version.json'),
      temps: fixture('braiins-s9-bosminerplus-0.2.0-docs-temps.json'),
      fans: fixture('braiins-s9-bosminerplus-0.2.0-docs-fans.json'),
      tempctrl: fixture('braiins-s9-bosminerplus-0.2.0-docs-tempctrl.json'),
    }, { ip: IP });
    assert.equal(m.firmware, 'BOSer boser-buildroot 0.1.0-75912fc7');
    assert.deepEqual(m.board_temps_c, [81.9, 85.9, 84.4]);
    assert.deepEqual(m.chip_temps_c, [104.6, 108.9, 105.4]);
    assert.deepEqual(m.fans_rpm, [5340, 4620, 0, 0]);
    assert.deepEqual(m.errors, ["overheating: chips at 108.9 °C, at or above the firmware's hot limit of 100 °C"]);
  });

  test('the 30 s / RT figure is preferred, and a 5 s spike above what the unit can do is never reported', () => {
    const summary = JSON.parse(fixture('whatsminer-m31s-btminer-20201202.22.REL-summary.json').toString());
    // with HS RT: 76.691 (the firmware's realtime), not MHS 5s 92.768
    assert.equal(normalise('btminer', { summary }, { ip: IP }).hashrate_ths, 76.691);
    // derived from the real reply: without HS RT the 1 m figure is used
    delete summary.SUMMARY[0]['HS RT'];
    assert.equal(normalise('btminer', { summary }, { ip: IP }).hashrate_ths, 77.909);
    // SYNTHETIC (no real reply with every window implausible was found): only a 5 s window,
    // 102 TH/s on an 85 TH/s unit → left out, with the reason; the average still says it hashes
    const spike = { STATUS: [{ STATUS: 'S', Code: 11, Msg: 'Summary', Description: 'cgminer 4.9.2' }],
      SUMMARY: [{ Elapsed: 600, 'MHS 5s': 102000000, 'MHS av': 84000000, 'Factory GHS': 85000 }] };
    const m = normalise('btminer', { summary: spike }, { ip: IP });
    assert.equal(m.hashrate_ths, 84); // the average is the first plausible smoother window
    assert.equal(m.state, 'mining');
    const onlySpike = { ...spike, SUMMARY: [{ Elapsed: 600, 'MHS 5s': 102000000, 'Factory GHS': 85000 }] };
    const n = normalise('btminer', { summary: onlySpike }, { ip: IP });
    assert.equal(n.hashrate_ths, undefined);
    assert.deepEqual(n.errors, ['hashrate 102 TH/s is implausible for a 85 TH/s unit; not reported']);
  });

  test('Whatsminer error codes are readable', () => {
    const m = normalise('btminer', { get_error_code: fixture('whatsminer-btminer-api2-get_error_code.json') }, { ip: IP });
    assert.deepEqual(m.errors, ['btminer error code 218: power supply error', 'btminer error code 110: intake fan speed error']);
  });

  test('aftermarket Antminer firmware is named, not taken for stock', () => {
    const fw = (/** @type {string} */ f) => normalise('bmminer', { version: fixture(f) }, { ip: IP }).firmware;
    assert.equal(fw('antminer-s9-vnish-3.8.6-version.json'), 'VNish 3.8.6');
    assert.equal(fw('antminer-s9-hiveon-2.0.0rwglr-version.json'), 'Hiveon 2.0.0 rwglr');
    assert.equal(fw('antminer-s9-asicseer-1.1.9-version.json'), 'ASICseer 1.1.9-f7b7');
    assert.equal(fw('antminer-s19-mskminer-2.6.0.39-version.json'), 'MSKminer 2.6.0.39');
    assert.equal(fw('antminer-s19pro-bmminer-49.0.1.3-version.json'), '49.0.1.3');
  });
});

test('errors stay within what the Worker accepts (50 per miner, 500 characters each)', () => {
  // a Whatsminer listing 80 fault codes (shape of the real get_error_code reply, codes made up)
  const reply = { Code: 131, Description: '', STATUS: 'S', When: 0, Msg: { error_code: Array.from({ length: 80 }, (_, i) => ({ [String(5000 + i)]: '2024-06-15 10:30:00' })) } };
  const m = normalise('btminer', { get_error_code: reply }, { ip: IP });
  assert.equal(m.errors.length, 50);
  assert.equal(m.errors[49], '… and 31 more errors');
  assert.equal(capErrors(['x'.repeat(900)])[0]?.length, 500);
});

describe('issue 8: Avalon Nano/Q/13xx, BOSer and Whatsminer API v3 from real replies', () => {
  test('Avalon Q: version identity + idle summary + stats blob is one sleeping miner, not an unknown one', () => {
    const m = normalise('cgminer', {
      version: fixture('avalon-q-cgminer4.11.1-25052801-version.json'),
      summary: fixture('avalon-q-cgminer4.11.1-25052801-summary.json'),
      stats: fixture('avalon-q-cgminer4.11.1-25052801-stats.json'),
    }, { ip: IP });
    assert.equal(m.vendor, 'Canaan');
    assert.equal(m.model, 'Avalon Q');
    assert.equal(m.firmware, '25052801_14a19a2');
    assert.equal(m.mac, 'aa:bb:cc:dd:ee:ff');
    assert.equal(m.state, 'sleeping'); // SYSTEMSTATU[Work: In Idle…]
    assert.equal(m.hashrate_ths, 0);
    assert.deepEqual(m.errors, []);
  });

  test('Avalon Nano 3s is recognised from `version` alone', () => {
    assert.equal(detectDialect({ version: fixture('avalon-nano3s-cgminer4.11.1-25021401-version.json') }), 'cgminer');
  });

  test('AvalonMiner 1346 (an excerpt of a real capture): model from version, sleeping and its standby watts from the blob', async () => {
    const { extract } = await import('../lib/parse/cgminer.mjs');
    const dir = new URL('./fixtures/cgminer-api/excerpts/', import.meta.url);
    const fs = await import('node:fs');
    const version = JSON.parse(fs.readFileSync(new URL('avalon-1346-110-cgminer-24041001-version-excerpt.json', dir), 'utf8'));
    const stats = JSON.parse(fs.readFileSync(new URL('avalon-1346-110-cgminer-24041001-sleep-stats-excerpt.json', dir), 'utf8'));
    // the excerpts carry no STATUS, so they go to the extractors directly, not through normalise()
    assert.deepEqual(extract.version(version), { mac: undefined, vendor: 'Canaan', model: 'AvalonMiner 1346-110', firmware: '24041001_08b0955_0196aba' });
    const s = extract.stats(stats);
    assert.equal(s.model, 'AvalonMiner 1346-110');
    assert.equal(s._idle, true); // SYSTEMSTATU[Work: In Idle, …]
    assert.equal(s.hashrate_ths, 0);
    assert.equal(s.power_w, 11); // 7th field of PS[]
  });

  test('BOSer: version and fans from the same live S19J Pro', () => {
    const m = normalise('bosminer', {
      version: fixture('braiins-boser-0.1.0-0ce150e9-version.json'),
      fans: fixture('braiins-s19jpro-boser-0.1.0-0ce150e9-fans.json'),
    }, { ip: IP });
    assert.deepEqual(m, { ip: IP, vendor: 'Bitmain', firmware: 'BOSer boser-buildroot 0.1.0-0ce150e9', fans_rpm: [3226, 3315, 3226, 3255], errors: [] });
  });

  test('Whatsminer API v3: every read of a poll makes one miner', () => {
    const replies = {
      'get.device.info': fixture('whatsminer-m60s-btminer-api3-get.device.info.json'),
      'get.miner.status:summary': fixture('whatsminer-btminer-api3-get.miner.status-summary.json'),
      'get.miner.status:edevs': fixture('whatsminer-m60s-btminer-api3-get.miner.status-edevs.json'),
      'get.miner.status:pools': fixture('whatsminer-m60s-btminer-api3-get.miner.status-pools.json'),
    };
    assert.equal(detectDialect(replies), 'btminer3');
    const m = normalise('btminer3', replies, { ip: IP });
    assert.equal(m.model, 'Whatsminer M60S_VK40');
    assert.equal(m.state, 'mining');
    assert.equal(m.hashrate_ths, 171.259);
    assert.deepEqual(m.board_temps_c, [41.1, 40.1, 41.5]);
    assert.deepEqual(m.chip_temps_c, [82]); // the summary's chip max comes first; edevs add nothing new to an existing field
    assert.equal(m.pool_user, 'asic-rs.test');
    assert.deepEqual(m.errors, []);
  });

  test('Whatsminer API v3 is chosen from the firmware date in get_version (2024-11 and later), not for older firmware', () => {
    const v2 = JSON.parse(fixture('whatsminer-m20sv10-btminer-20210322.22.REL-get_version.json').toString());
    assert.equal(detectDialect({ get_version: v2 }), 'btminer');
    // the same real reply with only the date moved past 2024-11, to pin the rule (not a fixture)
    const later = { ...v2, Msg: { ...v2.Msg, fw_ver: '20250102.11.REL' } };
    assert.equal(detectDialect({ get_version: later }), 'btminer3');
  });

  test('a v3 miner that stopped its mining service (`working` "false") is sleeping', () => {
    const info = JSON.parse(fixture('whatsminer-m60s-btminer-api3-get.device.info.json').toString());
    info.msg.miner.working = 'false'; // the real reply with its one flag flipped (not a fixture)
    assert.equal(normalise('btminer3', { 'get.device.info': info }, { ip: IP }).state, 'sleeping');
  });
});

test('an old Avalon controller (ten 741 modules) is one mining miner with every module\'s sensors', () => {
  const m = normalise('cgminer', {
    summary: fixture('avalon-741-cgminer4.10.0-7411706-summary.json'),
    stats: fixture('avalon-741-cgminer4.10.0-7411706-stats.json'),
    pools: fixture('avalon-741-cgminer4.10.0-7411706-pools.json'),
  }, { ip: IP });
  assert.equal(m.model, 'AvalonMiner 741');
  assert.equal(m.state, 'mining');
  assert.equal(m.hashrate_ths, 42.592);
  assert.equal(m.chip_temps_c?.length, 10);
  assert.deepEqual(m.errors, ERRORS_741);
});
