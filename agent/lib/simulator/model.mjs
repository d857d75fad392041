// A simulated miner: its identity, pools, scenario and the telemetry it would
// report at a given moment. Rendering into a firmware dialect is done by
// render.mjs; serving over TCP by server.mjs.

export const SCENARIOS = /** @type {const} */ ([
  'normal', // mining at nominal
  'offline', // not listening: connection refused
  'overheat', // boards ~94 °C, chips ~106 °C, fans flat out
  'lowhash', // one hashboard mostly dead: ~45 % of nominal
  'sleeping', // sleep/idle mode: 0 H/s, fans slow
  'poolchange', // someone changed the pools on the miner to a foreign pool
  'readonly', // the API refuses privileged commands (addpool, switchpool, ...): stock firmware with restricted API access
  'poolslots', // the firmware keeps three pool slots, all in use: addpool needs a removepool first
  'noremove', // the firmware has no removepool (answers "Invalid command"): pools can only be disabled
  'garbage', // replies are not JSON
  'hang', // accepts connections but never answers
]);

/** @typedef {typeof SCENARIOS[number]} Scenario */
/** @typedef {'bmminer' | 'btminer' | 'cgminer'} SimDialect */

export const MODELS = {
  bmminer: { vendor: 'Bitmain', model: 'Antminer S19 Pro', nominalThs: 110, boards: 3, chips: 114, fans: 4, watts: 3250 },
  btminer: { vendor: 'MicroBT', model: 'Whatsminer M30S', nominalThs: 86, boards: 3, chips: 156, fans: 2, watts: 3230 },
  cgminer: { vendor: 'Canaan', model: 'AvalonMiner 1246', nominalThs: 90, boards: 3, chips: 120, fans: 4, watts: 3420 },
};

/** Pool slots of a `poolslots` miner (the three pool rows of the Antminer web UI). */
export const POOL_SLOTS = 3;

export const FOREIGN_POOL = { url: 'stratum+tcp://other-pool.invalid:3333', user: 'someone.else', password: 'x' };

/**
 * @typedef {{ id: number, url: string, user: string, password: string, priority: number,
 *   disabled: boolean, accepted: number }} SimPool
 */

/** Deterministic hash of a string → uint32 (FNV-1a). @param {string} s */
export function hash32(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Noise in [-1, 1] for (key, bucket). @param {string} key @param {number} bucket */
function noise(key, bucket) {
  return (hash32(`${key}:${bucket}`) / 0xffffffff) * 2 - 1;
}

export class SimMiner {
  /**
   * @param {{ ip: string, dialect: SimDialect, index: number, scenario?: Scenario, jitter?: number,
   *   bootAt?: number, pools?: { url: string, user: string, password?: string }[] }} o
   */
  constructor(o) {
    this.ip = o.ip;
    this.dialect = o.dialect;
    this.index = o.index;
    this.spec = MODELS[o.dialect];
    const [, b, c, d] = o.ip.split('.').map(Number);
    this.mac = ['02', '48', '59', b, c, d].map((x) => (typeof x === 'number' ? x.toString(16).padStart(2, '0') : x)).join(':');
    this.minerId = hash32(o.ip).toString(16).padStart(8, '0') + hash32(`${o.ip}#`).toString(16).padStart(8, '0');
    this.jitter = o.jitter ?? 0;
    this.bootAt = o.bootAt ?? Date.now() - 3600 * 1000;
    this.worker = `hosted.m${String(o.index + 1).padStart(4, '0')}`;
    /** @type {SimPool[]} */
    this.pools = [];
    this.nextPoolId = 0;
    const initial = o.pools ?? [
      { url: 'stratum+tcp://btc.pool.example:3333', user: this.worker },
      { url: 'stratum+tcp://btc-backup.pool.example:3333', user: this.worker },
    ];
    this.setPools(initial);
    /** @type {Scenario} */
    this.scenario = 'normal';
    this.setScenario(o.scenario ?? 'normal');
  }

  /** @param {Scenario} s */
  setScenario(s) {
    if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`);
    if (s === 'poolchange') this.setPools([FOREIGN_POOL]);
    if (s === 'poolslots') {
      while (this.pools.length < POOL_SLOTS) this.addPool(`stratum+tcp://btc-spare${this.pools.length}.pool.example:3333`, this.worker, 'x');
    }
    this.scenario = s;
  }

  /** Replace the pool list (as someone at the miner's web UI would).
   * @param {{ url: string, user: string, password?: string }[]} pools */
  setPools(pools) {
    this.nextPoolId = 0;
    this.pools = pools.map((p, i) => ({ id: this.nextPoolId++, url: p.url, user: p.user, password: p.password ?? 'x', priority: i, disabled: false, accepted: 0 }));
  }

  get writable() {
    return this.scenario !== 'readonly';
  }

  /** How many pools the firmware holds (cgminer itself has no fixed limit). */
  get maxPools() {
    return this.scenario === 'poolslots' ? POOL_SLOTS : Infinity;
  }

  /** Pools in priority order. */
  orderedPools() {
    return [...this.pools].sort((a, b) => a.priority - b.priority);
  }

  /** The pool mined on: the enabled one with the best priority. */
  activePool() {
    return this.orderedPools().find((p) => !p.disabled);
  }

  /** @param {number} id */
  pool(id) {
    return this.pools.find((p) => p.id === id);
  }

  /** @param {string} url @param {string} user @param {string} password */
  addPool(url, user, password) {
    // a new pool goes last in priority (cgminer add_pool: prio = total_pools)
    const p = { id: this.pools.length, url, user, password, priority: this.pools.length, disabled: false, accepted: 0 };
    this.pools.push(p);
    return p;
  }

  /** cgminer's switchpool: the pool goes to priority 0, the rest keep their order. @param {SimPool} p */
  switchTo(p) {
    const rest = this.orderedPools().filter((x) => x !== p);
    p.priority = 0;
    p.disabled = false;
    rest.forEach((x, i) => (x.priority = i + 1));
  }

  /** cgminer's poolpriority: these pools first, in this order; the rest keep theirs. @param {SimPool[]} first */
  setPriorities(first) {
    const rest = this.orderedPools().filter((x) => !first.includes(x));
    [...first, ...rest].forEach((x, i) => (x.priority = i));
  }

  /** cgminer renumbers pools after a removal. @param {SimPool} p */
  removePool(p) {
    this.pools = this.pools.filter((x) => x !== p);
    this.pools.sort((a, b) => a.id - b.id).forEach((x, i) => (x.id = i));
    this.orderedPools().forEach((x, i) => (x.priority = i));
  }

  /**
   * What the miner measures at `nowMs`.
   * @param {number} nowMs
   */
  sample(nowMs) {
    const s = this.spec;
    const bucket = Math.floor(nowMs / 5000);
    const j = (/** @type {string} */ k) => 1 + this.jitter * noise(`${this.ip}:${k}`, bucket);
    const elapsed = Math.max(0, Math.floor((nowMs - this.bootAt) / 1000));
    const sc = this.scenario;
    const sleeping = sc === 'sleeping';
    const hot = sc === 'overheat';
    // share of each board's chips that answer, and of its nominal hashrate
    const boardFactor = Array.from({ length: s.boards }, (_, i) =>
      sleeping ? 0 : sc === 'lowhash' ? [1, 0.1, 0.25][i] ?? 1 : hot ? 0.93 : 1,
    );
    const chipsOk = boardFactor.map((f) => (sleeping ? 0 : Math.round(s.chips * Math.min(1, f / (hot ? 0.93 : 1)))));
    const perBoard = s.nominalThs / s.boards;
    const boardThs = boardFactor.map((f, i) => perBoard * f * j(`b${i}`));
    const ths5s = boardThs.reduce((a, b) => a + b, 0);
    const thsAv = perBoard * boardFactor.reduce((a, b) => a + b, 0);
    const boardTemps = Array.from({ length: s.boards }, (_, i) => Math.round((sleeping ? 40 : hot ? 94 + i : 63 + i) * j(`t${i}`)));
    const chipTemps = boardTemps.map((t, i) => Math.round((sleeping ? t : t + (hot ? 12 : 8)) * j(`c${i}`)));
    const fans = Array.from({ length: s.fans }, (_, i) => Math.round((sleeping ? 1560 - i * 240 : hot ? 6600 : 5400 + i * 60) * j(`f${i}`)));
    const watts = sleeping ? 120 : Math.round(s.watts * (sc === 'lowhash' ? 0.7 : hot ? 1.04 : 1) * j('w'));
    return { elapsed, ths5s, thsAv, boardThs, chipsOk, boardTemps, chipTemps, fans, watts, sleeping, overheat: hot };
  }
}
