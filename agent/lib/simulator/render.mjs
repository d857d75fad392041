// Replies in each firmware dialect, shaped after the real replies in
// agent/test/fixtures/cgminer-api/ (same keys, same quirks: GH/s vs MH/s,
// 1-based chains with an empty 4th slot, `Tenperature`, `Pool Stale%%`,
// btminer's string STATUS on get_version, Avalon's bracketed MM ID0 blob with
// -273 device temperatures and uptime in `When`).

/** @typedef {import('./model.mjs').SimMiner} SimMiner */
/** @typedef {ReturnType<SimMiner['sample']>} Sample */

const DESCRIPTION = { bmminer: 'cgminer 1.0.0', btminer: 'btminer', cgminer: 'cgminer 4.11.1' };

/** @param {number} x @param {number} d */
const fix = (x, d) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * A STATUS block in the dialect's style. Avalon firmware reports uptime in `When`.
 * @param {SimMiner} m @param {number} nowMs @param {string} status @param {number} code @param {string} msg
 */
export function statusBlock(m, nowMs, status, code, msg) {
  const when = m.dialect === 'cgminer' ? Math.floor((nowMs - m.bootAt) / 1000) : Math.floor(nowMs / 1000);
  return [{ STATUS: status, When: when, Code: code, Msg: msg, Description: DESCRIPTION[m.dialect] }];
}

/** @param {SimMiner} m @param {number} nowMs @param {number} code @param {string} msg */
export function errorReply(m, nowMs, code, msg) {
  return { STATUS: statusBlock(m, nowMs, 'E', code, msg), id: 1 };
}

/** @param {SimMiner} m @param {number} nowMs @param {number} code @param {string} msg */
export function okReply(m, nowMs, code, msg) {
  return { STATUS: statusBlock(m, nowMs, 'S', code, msg), id: 1 };
}

/** An informational reply (STATUS "I"), e.g. cgminer's "already enabled". @param {SimMiner} m @param {number} nowMs @param {number} code @param {string} msg */
export function infoReply(m, nowMs, code, msg) {
  return { STATUS: statusBlock(m, nowMs, 'I', code, msg), id: 1 };
}

/** cgminer `pools`, in the dialect's flavour. @param {SimMiner} m @param {number} nowMs */
function pools(m, nowMs) {
  const active = m.activePool();
  const list = m.orderedPools()
    .slice()
    .sort((a, b) => a.id - b.id)
    .map((p) => {
      const isActive = p === active;
      /** @type {Record<string, unknown>} */
      const o = {
        POOL: p.id,
        URL: p.url,
        Status: p.disabled ? 'Disabled' : 'Alive',
        Priority: p.priority,
        Quota: 1,
        'Long Poll': 'N',
        Getworks: isActive ? 3951 : 3,
        Accepted: isActive ? 4057 : 0,
        Rejected: isActive ? 11 : 0,
      };
      if (m.dialect !== 'bmminer') o.Works = isActive ? 10199 : 0;
      Object.assign(o, {
        Discarded: isActive ? 4528 : 0,
        Stale: 0,
        'Get Failures': 0,
        'Remote Failures': 0,
        User: p.user,
        'Last Share Time': m.dialect === 'bmminer' ? (isActive ? '0:00:03' : '0') : isActive ? Math.floor(nowMs / 1000) - 3 : 0,
      });
      if (m.dialect === 'bmminer') o.Diff = isActive ? '524K' : '';
      Object.assign(o, {
        'Diff1 Shares': 0,
        'Proxy Type': '',
        Proxy: '',
        'Difficulty Accepted': isActive ? 1305083904.0 : 0.0,
        'Difficulty Rejected': isActive ? 2490368.0 : 0.0,
        'Difficulty Stale': 0.0,
        'Last Share Difficulty': isActive ? 524288.0 : 0.0,
      });
      if (m.dialect !== 'bmminer') o['Work Difficulty'] = isActive ? 524288.0 : 0.0;
      o['Has Stratum'] = true;
      o['Stratum Active'] = isActive;
      o['Stratum URL'] = isActive ? p.url.replace(/^.*:\/\//, '').replace(/:\d+.*$/, '') : '';
      if (m.dialect !== 'bmminer') o['Stratum Difficulty'] = isActive ? 524288.0 : 0.0;
      if (m.dialect === 'cgminer') o['Has Vmask'] = true;
      o['Has GBT'] = false;
      o['Best Share'] = isActive ? 12904207043 : 0;
      o['Pool Rejected%'] = 0.0;
      if (m.dialect === 'bmminer') o['Pool Stale%%'] = 0.0;
      else {
        o['Pool Stale%'] = 0.0;
        o['Bad Work'] = 0;
        o['Current Block Height'] = isActive ? 882588 : 0;
        o['Current Block Version'] = 536870912;
      }
      return o;
    });
  return { STATUS: statusBlock(m, nowMs, 'S', 7, `${list.length} Pool(s)`), POOLS: list, id: 1 };
}

// ---------------------------------------------------------------- bmminer --

/** @param {SimMiner} m @param {number} nowMs @param {Sample} s */
function bmminerStats(m, nowMs, s) {
  /** @type {Record<string, unknown>} */
  const d = {
    STATS: 0, ID: 'BTM_SOC0', Elapsed: s.elapsed, Calls: 0, Wait: 0, Max: 0, Min: 99999999,
    'GHS 5s': fix(s.ths5s * 1000, 2), 'GHS av': fix(s.thsAv * 1000, 2), rate_30m: fix(s.thsAv * 1000, 2),
    Mode: 2, miner_count: s.chipsOk.filter((c) => c > 0).length || m.spec.boards, frequency: 525, fan_num: m.spec.fans,
  };
  s.fans.forEach((f, i) => (d[`fan${i + 1}`] = f));
  d.temp_num = m.spec.boards;
  for (let i = 0; i < m.spec.boards; i++) {
    d[`temp${i + 1}`] = s.boardTemps[i];
    d[`temp2_${i + 1}`] = s.chipTemps[i];
  }
  const dashed = (/** @type {number|undefined} */ t) => (t === undefined ? '0-0-0-0' : [t, t - 18, t - 6, t - 5].join('-'));
  for (const [key, off] of /** @type {[string, number][]} */ ([['temp_pcb', 0], ['temp_chip', 5], ['temp_pic', -10]])) {
    for (let i = 1; i <= 4; i++) {
      const t = i <= m.spec.boards ? (key === 'temp_chip' ? s.chipTemps[i - 1] : (s.boardTemps[i - 1] ?? 0) + off) : undefined;
      d[`${key}${i}`] = dashed(t);
    }
  }
  Object.assign(d, {
    total_rateideal: m.spec.nominalThs * 1000, rate_unit: 'GH', total_freqavg: 525,
    total_acn: m.spec.chips * m.spec.boards, 'total rate': fix(s.thsAv * 1000, 2), temp_max: 0, no_matching_work: 562,
  });
  for (let i = 1; i <= 4; i++) d[`chain_acn${i}`] = i <= m.spec.boards ? m.spec.chips : 0;
  for (let i = 1; i <= 4; i++) {
    if (i > m.spec.boards) {
      d[`chain_acs${i}`] = '';
      continue;
    }
    const ok = s.chipsOk[i - 1] ?? 0;
    let str = '';
    for (let c = 0; c < m.spec.chips; c++) str += `${c % 3 === 0 ? ' ' : ''}${c < ok ? 'o' : 'x'}`;
    d[`chain_acs${i}`] = str;
  }
  for (let i = 1; i <= 4; i++) d[`chain_hw${i}`] = i <= m.spec.boards ? 183 : 0;
  for (let i = 1; i <= 4; i++) d[`chain_rate${i}`] = i <= m.spec.boards ? ((s.boardThs[i - 1] ?? 0) * 1000).toFixed(2) : '';
  for (let i = 1; i <= 4; i++) d[`freq${i}`] = i <= m.spec.boards ? 525 : 0;
  d.miner_version = '49.0.1.3';
  d.miner_id = m.minerId;
  return {
    STATUS: statusBlock(m, nowMs, 'S', 70, 'CGMiner stats'),
    STATS: [{ BMMiner: '1.0.0', Miner: '49.0.1.3', CompileTime: 'Tue Dec  6 16:12:30 CST 2022', Type: m.spec.model }, d],
    id: 1,
  };
}

/** @type {Record<string, (m: SimMiner, nowMs: number, s: Sample) => object>} */
const BMMINER = {
  version: (m, now) => ({
    STATUS: statusBlock(m, now, 'S', 22, 'CGMiner versions'),
    VERSION: [{ BMMiner: '1.0.0', API: '3.1', Miner: '49.0.1.3', CompileTime: 'Tue Dec  6 16:12:30 CST 2022', Type: m.spec.model }],
    id: 1,
  }),
  summary: (m, now, s) => ({
    STATUS: statusBlock(m, now, 'S', 11, 'Summary'),
    SUMMARY: [{
      Elapsed: s.elapsed, 'GHS 5s': fix(s.ths5s * 1000, 2), 'GHS av': fix(s.thsAv * 1000, 2), 'GHS 30m': fix(s.thsAv * 1000, 2),
      'Found Blocks': 0, Getwork: 3957, Accepted: 4057, Rejected: 11, 'Hardware Errors': 562, Utility: 4.82, Discarded: 4528177,
      Stale: 1, 'Get Failures': 1, 'Local Work': 4532155, 'Remote Failures': 0, 'Network Blocks': 82, 'Total MH': 5643633754730.0,
      'Work Utility': 1554353.85, 'Difficulty Accepted': 1305083904.0, 'Difficulty Rejected': 2490368.0, 'Difficulty Stale': 0.0,
      'Best Share': 12904207043, 'Device Hardware%': 0.0, 'Device Rejected%': 0.0, 'Pool Rejected%': 0.0, 'Pool Stale%': 0.0,
      'Last getwork': Math.floor(now / 1000),
    }],
    id: 1,
  }),
  stats: bmminerStats,
  pools: (m, now) => pools(m, now),
  devs: (m, now, s) => ({
    STATUS: statusBlock(m, now, 'S', 9, '1 ASC(s)'),
    DEVS: [{
      ASC: 0, Name: 'BTM_SOC', ID: 0, Enabled: 'Y', Status: 'Alive', Tenperature: 0.0, 'MHS av': 0.0, 'MHS 5s': 0.0,
      Accepted: 4057, Rejected: 11, 'Hardware Errors': 0, Utility: 0.0, 'Last Share Pool': 0, 'Last Share Time': Math.floor(now / 1000),
      'Total MH': 0.0, 'Diff1 Work': 0, 'Difficulty Accepted': 1305083904, 'Difficulty Rejected': 2490368,
      'Last Share Difficulty': Math.floor(now / 1000), 'Last Valid Work': Math.floor(now / 1000), 'Device Hardware%': 0.0,
      'Device Rejected%': 0.0, 'Device Elapsed': s.elapsed,
    }],
    id: 1,
  }),
};

// ---------------------------------------------------------------- btminer --

/** @param {SimMiner} m @param {number} now @param {Sample} s */
function btminerDevs(m, now, s) {
  return {
    STATUS: statusBlock(m, now, 'S', 9, `${m.spec.boards} ASC(s)`),
    DEVS: s.boardThs.map((ths, i) => ({
      ASC: i, Name: 'SM', ID: i, Slot: i, Enabled: 'Y', Status: 'Alive', Temperature: s.boardTemps[i], 'Chip Frequency': 546,
      'Fan Speed In': s.fans[0], 'Fan Speed Out': s.fans[1], 'MHS av': fix((s.thsAv / m.spec.boards) * 1e6, 2), 'MHS 5s': fix(ths * 1e6, 2),
      'MHS 1m': fix(ths * 1e6, 2), 'MHS 5m': fix(ths * 1e6, 2), 'MHS 15m': fix(ths * 1e6, 2), Accepted: 608, Rejected: 1,
      'Hardware Errors': 396, Utility: 1.23, 'Last Share Pool': 0, 'Last Share Time': Math.floor(now / 1000) - 5,
      'Total MH': 869545124659.0, 'Diff1 Work': 3163380, 'Difficulty Accepted': 211879759.61, 'Difficulty Rejected': 537084.3,
      'Last Share Difficulty': 537084.3, 'Last Valid Work': Math.floor(now / 1000), 'Device Hardware%': 0.0125,
      'Device Rejected%': 0.0, 'Device Elapsed': s.elapsed, 'Upfreq Complete': 1, 'Effective Chips': s.chipsOk[i],
      'PCB SN': `H5M1ES9C2005${String(m.index).padStart(4, '0')}${i}`, 'Chip Temp Min': (s.chipTemps[i] ?? 0) - 25,
      'Chip Temp Max': s.chipTemps[i], 'Chip Temp Avg': (s.chipTemps[i] ?? 0) - 7, chip_vol_diff: 11,
    })),
    id: 1,
  };
}

/** @type {Record<string, (m: SimMiner, nowMs: number, s: Sample) => object>} */
const BTMINER = {
  summary: (m, now, s) => ({
    STATUS: statusBlock(m, now, 'S', 11, 'Summary'),
    SUMMARY: [{
      Elapsed: s.elapsed, 'MHS av': fix(s.thsAv * 1e6, 2), 'MHS 5s': fix(s.ths5s * 1e6, 2), 'MHS 1m': fix(s.ths5s * 1e6, 2),
      'MHS 5m': fix(s.thsAv * 1e6, 2), 'MHS 15m': fix(s.thsAv * 1e6, 2), 'Found Blocks': 0, Getworks: 1093, Accepted: 1739,
      Rejected: 1, 'Hardware Errors': 800, Utility: 3.53, Discarded: 803946, Stale: 0, 'Get Failures': 0, 'Local Work': 297895844,
      'Remote Failures': 0, 'Network Blocks': 52, 'Total MH': 2519134032188.0, 'Work Utility': 18576.89,
      'Difficulty Accepted': 619526749.59, 'Difficulty Rejected': 537084.3, 'Difficulty Stale': 0.0, 'Best Share': 887052932,
      Temperature: Math.max(...s.boardTemps), freq_avg: 528, 'Fan Speed In': s.fans[0], 'Fan Speed Out': s.fans[1], Voltage: 1238,
      Power: s.watts, Power_RT: s.watts, 'Device Hardware%': 0.0087, 'Device Rejected%': 0.0, 'Pool Rejected%': 0.0866,
      'Pool Stale%': 0.0, 'Last getwork': 0, Uptime: s.elapsed + 600, 'Chip Data': 'HP5A05-20043018 D02 BINV02-193005B',
      'Power Current': 249500, 'Power Fanspeed': 7576, 'Error Code Count': 0, 'Factory Error Code Count': 0, 'Security Mode': 0,
      'Liquid Cooling': false, 'Hash Stable': !s.sleeping, 'Hash Stable Cost Seconds': 15106, 'Hash Deviation%': -0.0214,
      'Target Freq': 527, 'Target MHS': Math.round(m.spec.nominalThs * 0.993 * 1e6), 'Env Temp': 24.0,
      'Power Mode': 'Normal', 'Firmware Version': "'20200512.13.REL'", MAC: m.mac.toUpperCase(),
      'Factory GHS': m.spec.nominalThs * 1000, 'Power Limit': 3600, 'Power Voltage Input': 228.75, 'Power Current Input': 14.23,
      'Chip Temp Min': Math.min(...s.chipTemps) - 25, 'Chip Temp Max': Math.max(...s.chipTemps), 'Chip Temp Avg': Math.max(...s.chipTemps) - 7,
    }],
    id: 1,
  }),
  edevs: btminerDevs,
  devs: btminerDevs,
  pools: (m, now) => pools(m, now),
  status: (_m, now, s) => ({
    STATUS: 'S', When: Math.floor(now / 1000), Code: 131,
    Msg: { mineroff: s.sleeping ? 'true' : 'false', mineroff_reason: '', mineroff_time: '', FirmwareVersion: "'20200512.13.REL'", power_mode: '', hash_percent: '' },
    Description: '',
  }),
  // Whatsminer API 2.x `get_error_code` (asic-rs v2 fixture shape); the
  // overheat scenario carries MicroBT's environment-temperature code 600.
  get_error_code: (_m, now, s) => ({
    Code: 131, Description: '', STATUS: 'S', When: Math.floor(now / 1000),
    Msg: { error_code: s.overheat ? [{ 600: new Date(now).toISOString().slice(0, 19).replace('T', ' ') }] : [] },
  }),
  get_version: (_m, now) => ({ Code: 131, Description: 'whatsminer v1.4.0', Msg: { api_ver: 'whatsminer v1.4.0', fw_ver: '20200512.13.REL' }, STATUS: 'S', When: Math.floor(now / 1000) }),
  devdetails: (m, now) => ({
    STATUS: statusBlock(m, now, 'S', 69, 'Device Details'),
    DEVDETAILS: Array.from({ length: m.spec.boards }, (_, i) => ({ DEVDETAILS: i, Name: 'SM', ID: i, Driver: 'bitmicro', Kernel: '', Model: 'M30S.VG20' })),
    id: 1,
  }),
};

// ------------------------------------------------------- cgminer (Avalon) --

/** @param {SimMiner} m @param {Sample} s */
function avalonBlob(m, s) {
  const ghs = s.ths5s * 1000;
  const parts = [
    `Ver[1246-83-21072802_4ec6bb0_211fc46]`,
    `DNA[020100${m.minerId.slice(0, 10)}]`,
    `MEMFREE[1201472.0]`,
    `NETFAIL[0 0 0 0 0 0 0 0]`,
    `SYSTEMSTATU[Work: ${s.sleeping ? 'In Idle' : 'In Work'}, Hash Board: ${m.spec.boards} ]`,
    `Elapsed[${s.elapsed}]`,
    `BOOTBY[0x08.00000000]`,
    `LW[24558724]`,
    `MH[0 0 0]`,
    `HW[2735]`,
    `DH[2.732%]`,
    `Temp[30]`,
    `TMax[${Math.max(...s.chipTemps)}]`,
    `TAvg[${Math.round(s.boardTemps.reduce((a, b) => a + b, 0) / s.boardTemps.length)}]`,
    ...s.fans.map((f, i) => `Fan${i + 1}[${f}]`),
    `FanR[${s.sleeping ? 10 : 72}%]`,
    `Vo[329]`,
    `PS[0 1214 1316 242 ${Math.max(0, s.watts - 315)} 1320 ${s.watts}]`,
    `GHSspd[${ghs.toFixed(2)}]`,
    `DHspd[2.732%]`,
    `GHSmm[${(m.spec.nominalThs * 1000).toFixed(2)}]`,
    `GHSavg[${(s.thsAv * 1000).toFixed(2)}]`,
    `WU[1112790.28]`,
    `Freq[502.41]`,
    `Led[0]`,
    `MGHS[${s.boardThs.map((t) => (t * 1000).toFixed(2)).join(' ')}]`,
    `MTmax[${s.chipTemps.join(' ')}]`,
    `MTavg[${s.boardTemps.join(' ')}]`,
    `TA[360]`,
    `Core[A3201]`,
    `PING[443]`,
    `POWS[0]`,
    `HASHS[0 0 0]`,
    `POOLS[0]`,
    `SoftOFF[0]`,
    `ECHU[0 0 0]`,
    `ECMM[0]`,
    ...s.chipTemps.map((t, i) => `PVT_T${i}[ ${Array.from({ length: 8 }, (_, k) => String(t - (k % 4)).padStart(3, ' ')).join(' ')}]`),
    `CRC[0 0 0]`,
    `POW_I2C[OK]`,
    `FACOPTS0[]`,
    `ATAOPTS0[--avalon10-freq 376:396:416:436 --avalon10-voltage-level 46 ]`,
    `ADJ[1]`,
    `MPO[3200]`,
    `WORKMODE[1]`,
  ];
  return parts.join(' ');
}

/** @type {Record<string, (m: SimMiner, nowMs: number, s: Sample) => object>} */
const CGMINER = {
  version: (m, now) => ({
    STATUS: statusBlock(m, now, 'S', 22, 'CGMiner versions'),
    VERSION: [{
      CGMiner: '4.11.1', API: '3.7', STM8: '20.08.01', PROD: m.spec.model, MODEL: '1246', HWTYPE: 'MM4v2_X3', SWTYPE: 'MM319',
      VERSION: '21072802_4ec6bb0_211fc46', LOADER: 'd0d779de.00', DNA: `020100${m.minerId.slice(0, 10)}`,
      MAC: m.mac.replace(/:/g, ''), UPAPI: '2',
    }],
    id: 1,
  }),
  summary: (m, now, s) => ({
    STATUS: statusBlock(m, now, 'S', 11, 'Summary'),
    SUMMARY: [{
      Elapsed: s.elapsed, 'MHS av': fix(s.thsAv * 1e6, 2), 'MHS 30s': fix(s.ths5s * 1e6, 2), 'MHS 1m': fix(s.ths5s * 1e6, 2),
      'MHS 5m': fix(s.thsAv * 1e6, 2), 'MHS 15m': fix(s.thsAv * 1e6, 2), 'Found Blocks': 0, Getworks: 27, Accepted: 148,
      Rejected: 1, 'Hardware Errors': 0, Utility: 9.61, Discarded: 0, Stale: 0, 'Get Failures': 0, 'Local Work': 714031,
      'Remote Failures': 0, 'Network Blocks': 4, 'Total MH': 178226436366.0, 'Work Utility': 2570548.05,
      'Difficulty Accepted': 38797312.0, 'Difficulty Rejected': 262144.0, 'Difficulty Stale': 0.0, 'Best Share': 19649871,
      'Device Hardware%': 0.0, 'Device Rejected%': 0.6275, 'Pool Rejected%': 0.6711, 'Pool Stale%': 0.0, 'Last getwork': 0,
    }],
    id: 1,
  }),
  stats: (m, now, s) => ({
    STATUS: statusBlock(m, now, 'S', 70, 'CGMiner stats'),
    STATS: [
      {
        STATS: 0, ID: 'AVA100', Elapsed: s.elapsed, Calls: 0, Wait: 0.0, Max: 0.0, Min: 99999999.0,
        'MM ID0': avalonBlob(m, s), 'MM Count': 1, 'Smart Speed': 1, 'Voltage Level Offset': 0, 'Nonce Mask': 25,
      },
      ...m.orderedPools().map((_p, i) => ({
        STATS: i + 1, ID: `POOL${i}`, Elapsed: s.elapsed, Calls: 0, Wait: 0.0, Max: 0.0, Min: 99999999.0, 'Pool Calls': 0,
        'Pool Attempts': 0, 'Pool Wait': 0.0, 'Pool Max': 0.0, 'Pool Min': 99999999.0, 'Pool Av': 0.0,
        'Work Had Roll Time': false, 'Work Can Roll': false, 'Work Had Expire': false, 'Work Roll Time': 0, 'Work Diff': 262144.0,
        'Min Diff': 65536.0, 'Max Diff': 262144.0, 'Min Diff Count': 495, 'Max Diff Count': 210727, 'Times Sent': 1796,
        'Bytes Sent': 235848, 'Times Recv': 4248, 'Bytes Recv': 4311342, 'Net Bytes Sent': 235848, 'Net Bytes Recv': 4311342,
      })),
    ],
    id: 1,
  }),
  devs: (m, now, s) => ({
    STATUS: statusBlock(m, now, 'S', 9, '1 ASC(s)'),
    DEVS: [{
      ASC: 0, Name: 'AVA10', ID: 0, Enabled: 'Y', Status: 'Alive', Temperature: -273.0, 'MHS av': fix(s.thsAv * 1e6, 2),
      'MHS 30s': fix(s.ths5s * 1e6, 2), 'MHS 1m': fix(s.ths5s * 1e6, 2), 'MHS 5m': fix(s.thsAv * 1e6, 2),
      'MHS 15m': fix(s.thsAv * 1e6, 2), Accepted: 148, Rejected: 1, 'Hardware Errors': 0, Utility: 9.61, 'Last Share Pool': 0,
      'Last Share Time': s.elapsed, 'Total MH': 178226436366.0, 'Diff1 Work': 41775104, 'Difficulty Accepted': 38797312.0,
      'Difficulty Rejected': 262144.0, 'Last Share Difficulty': 262144.0, 'Last Valid Work': s.elapsed,
      'Device Hardware%': 0.0, 'Device Rejected%': 0.6275, 'Device Elapsed': s.elapsed,
    }],
    id: 1,
  }),
  pools: (m, now) => pools(m, now),
};

export const RENDERERS = { bmminer: BMMINER, btminer: BTMINER, cgminer: CGMINER };

/**
 * Render a read command, or null when the dialect does not know it.
 * @param {SimMiner} m @param {string} command @param {number} nowMs
 */
export function renderRead(m, command, nowMs) {
  const fn = RENDERERS[m.dialect][command];
  return fn ? fn(m, nowMs, m.sample(nowMs)) : null;
}
