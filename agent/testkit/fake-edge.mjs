// A stand-in for the Hashyard edge, for tests: it speaks agent wire format v1
// (register, telemetry, config) on 127.0.0.1, validates every telemetry batch
// strictly, acknowledges and ignores replayed batch ids, and can be switched
// into failure modes to simulate outages and a revoked token.

import http from 'node:http';
import zlib from 'node:zlib';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const NUM_FIELDS = ['hashrate_ths', 'hashrate_avg_ths', 'expected_hashrate_ths', 'power_w', 'uptime_s'];
const LIST_FIELDS = ['board_temps_c', 'chip_temps_c', 'fans_rpm'];
const STR_FIELDS = ['mac', 'serial', 'ip', 'vendor', 'model', 'firmware', 'sampled_at', 'pool_url', 'pool_user'];

/**
 * Problems with one v1 miner object (empty when valid).
 * @param {any} m
 */
export function validateMiner(m) {
  /** @type {string[]} */
  const p = [];
  if (!m || typeof m !== 'object') return ['miner is not an object'];
  for (const [k, v] of Object.entries(m)) if (v === null) p.push(`${k} is null (unknown must be absent)`);
  if (typeof m.ip !== 'string') p.push('ip missing');
  if (!m.mac && !m.serial && !m.ip) p.push('no identity');
  for (const k of STR_FIELDS) if (k in m && (typeof m[k] !== 'string' || m[k] === '')) p.push(`${k} is not a non-empty string`);
  for (const k of NUM_FIELDS) if (k in m && (typeof m[k] !== 'number' || !Number.isFinite(m[k]) || m[k] < 0)) p.push(`${k} is not a number ≥ 0`);
  for (const k of LIST_FIELDS) {
    if (k in m && (!Array.isArray(m[k]) || m[k].length === 0 || m[k].some((/** @type {unknown} */ x) => typeof x !== 'number'))) p.push(`${k} is not a non-empty number list`);
  }
  if ('state' in m && !['mining', 'sleeping', 'error'].includes(m.state)) p.push(`state ${m.state}`);
  if ('power_source' in m && !['miner', 'pdu', 'spec'].includes(m.power_source)) p.push(`power_source ${m.power_source}`);
  if ('power_w' in m !== 'power_source' in m) p.push('power_w and power_source go together');
  if ('mac' in m && !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(m.mac)) p.push(`mac ${m.mac}`);
  if ('sampled_at' in m && !ISO.test(m.sampled_at)) p.push('sampled_at not ISO');
  if ('pdu' in m) {
    const d = m.pdu;
    if (!d || typeof d !== 'object' || typeof d.pdu_id !== 'string' || typeof d.outlet !== 'string' || typeof d.sampled_at !== 'string' || !ISO.test(d.sampled_at)) p.push('pdu');
    else if ('power_w' in d && (typeof d.power_w !== 'number' || d.power_w < 0)) p.push('pdu.power_w');
    else if ('energy_wh' in d && (!Number.isInteger(d.energy_wh) || d.energy_wh < 0)) p.push('pdu.energy_wh');
    else if (Object.keys(d).some((k) => !['pdu_id', 'outlet', 'sampled_at', 'power_w', 'energy_wh'].includes(k))) p.push('pdu has unknown keys');
  }
  if ('pool_apply' in m) {
    const a = m.pool_apply;
    if (!a || typeof a !== 'object' || !['applied', 'refused', 'unreachable'].includes(a.status)) p.push('pool_apply.status');
    else if (typeof a.at !== 'string' || !ISO.test(a.at)) p.push('pool_apply.at not ISO');
    else if ('message' in a && (typeof a.message !== 'string' || a.message.length > 256)) p.push('pool_apply.message');
    else if (Object.keys(a).some((k) => !['status', 'message', 'at'].includes(k))) p.push('pool_apply has unknown keys');
  }
  if (!Array.isArray(m.errors) || m.errors.some((/** @type {unknown} */ e) => typeof e !== 'string')) p.push('errors is not a list of strings');
  // the Worker's limits (src/telemetry/batch.ts: list(50, text(500)))
  else if (m.errors.length > 50 || m.errors.some((/** @type {string} */ e) => e.length > 500)) p.push('errors: more than 50, or one longer than 500 characters');
  return p;
}

/**
 * @param {{ code?: string, token?: string, siteId?: string, agentId?: string, config?: unknown, port?: number }} [o]
 */
export async function startFakeEdge(o = {}) {
  const edge = {
    code: o.code ?? 'K7Q2ZP',
    token: o.token ?? 'tok-0123456789abcdef',
    siteId: o.siteId ?? 'site-1',
    agentId: o.agentId ?? 'agent-1',
    config: o.config ?? { scan_segments: [], poll_interval_s: 60, miners: [] },
    /** 'ok' | 'error503' | 'revoked' | 'reject400' | 'drop' (process, then cut the connection) | 'ratelimit' */
    mode: 'ok',
    codeUsed: false,
    /** every telemetry POST that reached the handler, in arrival order */
    posts: /** @type {{ batch_id: string, sent_at: string, miners: any[], headers: http.IncomingHttpHeaders, status: number }[]} */ ([]),
    /** accepted batches, first delivery only, in order */
    accepted: /** @type {{ batch_id: string, sent_at: string, miners: any[] }[]} */ ([]),
    duplicates: 0,
    invalid: /** @type {string[]} */ ([]),
    registrations: /** @type {any[]} */ ([]),
    configRequests: 0,
    url: '',
    port: 0,
    /** @type {http.Server | null} */
    server: null,
    sockets: /** @type {Set<import('node:net').Socket>} */ (new Set()),

    /** @param {string} m */
    setMode(m) {
      this.mode = m;
    },

    /** Stop listening: connections are refused, as when the edge is unreachable. */
    async goDown() {
      const s = this.server;
      if (!s) return;
      this.server = null;
      for (const sock of this.sockets) sock.destroy();
      await new Promise((r) => s.close(() => r(undefined)));
    },

    async comeUp() {
      if (this.server) return;
      await listen(this, this.port);
    },

    async close() {
      await this.goDown();
    },
  };
  await listen(edge, o.port ?? 0);
  edge.url = `http://127.0.0.1:${edge.port}`;
  return edge;
}

/** @typedef {Awaited<ReturnType<typeof startFakeEdge>>} FakeEdge */

/** @param {FakeEdge} edge @param {number} port */
async function listen(edge, port) {
  const server = http.createServer((req, res) => handle(edge, req, res));
  server.on('connection', (s) => {
    edge.sockets.add(s);
    s.on('close', () => edge.sockets.delete(s));
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', () => r(undefined)));
  const addr = server.address();
  edge.port = typeof addr === 'object' && addr ? addr.port : port;
  edge.server = server;
}

/** @param {http.IncomingMessage} req */
async function readBody(req) {
  /** @type {Buffer[]} */
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const raw = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
}

/**
 * @param {FakeEdge} edge @param {http.IncomingMessage} req @param {http.ServerResponse} res
 */
async function handle(edge, req, res) {
  const send = (/** @type {number} */ status, /** @type {unknown} */ body, /** @type {Record<string,string>} */ headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const body = await readBody(req);
  const path = new URL(req.url ?? '/', 'http://edge').pathname;
  const authed = req.headers.authorization === `Bearer ${edge.token}`;

  if (req.method === 'POST' && path === '/api/agent/v1/register') {
    const j = JSON.parse(body.toString('utf8'));
    edge.registrations.push(j);
    if (edge.mode === 'error503') return send(503, { error: 'unavailable' });
    if (j.code !== edge.code || edge.codeUsed) return send(400, { error: 'invalid or used registration code' });
    edge.codeUsed = true;
    return send(201, { agent_id: edge.agentId, site_id: edge.siteId, token: edge.token });
  }

  if (edge.mode === 'revoked' || !authed) return send(401, { error: 'unauthorized' });
  if (edge.mode === 'error503') return send(503, { error: 'unavailable' });
  if (edge.mode === 'ratelimit') return send(429, { error: 'slow down' }, { 'retry-after': '0' });

  if (req.method === 'GET' && path === '/api/agent/v1/config') {
    edge.configRequests++;
    return send(200, edge.config);
  }

  if (req.method === 'POST' && path === '/api/agent/v1/telemetry') {
    const j = JSON.parse(body.toString('utf8'));
    /** @type {string[]} */
    const problems = [];
    if (!UUID.test(j.batch_id)) problems.push('batch_id is not a UUID');
    if (!ISO.test(j.sent_at)) problems.push('sent_at is not ISO-8601 UTC');
    if (!Array.isArray(j.miners) || j.miners.length > 10000) problems.push('miners');
    else j.miners.forEach((/** @type {any} */ m, /** @type {number} */ i) => validateMiner(m).forEach((p) => problems.push(`miners[${i}] (${m?.ip}): ${p}`)));
    const status = edge.mode === 'reject400' ? 400 : problems.length ? 422 : 200;
    edge.posts.push({ batch_id: j.batch_id, sent_at: j.sent_at, miners: j.miners, headers: req.headers, status });
    if (problems.length) {
      edge.invalid.push(...problems);
      return send(422, { error: 'invalid batch', problems });
    }
    if (edge.mode === 'reject400') return send(400, { error: 'batch rejected' });
    const dup = edge.accepted.some((b) => b.batch_id === j.batch_id);
    if (dup) edge.duplicates++;
    else edge.accepted.push({ batch_id: j.batch_id, sent_at: j.sent_at, miners: j.miners });
    if (edge.mode === 'drop') {
      req.socket.destroy(); // processed, but the answer never arrives
      return;
    }
    return send(200, { ok: true, duplicate: dup });
  }
  send(404, { error: 'not found' });
}
