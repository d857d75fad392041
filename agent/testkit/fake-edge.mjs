// A stand-in for the Hashyard edge, for tests: it speaks agent wire format v1
// (register, telemetry, config) on 127.0.0.1, validates every telemetry batch
// strictly, acknowledges and ignores replayed batch ids, and can be switched
// into failure modes to simulate outages and a revoked token.

import http from 'node:http';
import { readFileSync } from 'node:fs';
import zlib from 'node:zlib';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;
const TEXT_FIELDS = ['mac', 'serial', 'ip', 'vendor', 'model', 'firmware', 'pool_url', 'pool_user'];
const LIST_FIELDS = ['board_temps_c', 'chip_temps_c', 'fans_rpm'];

/**
 * The real edge's telemetry validator, `src/telemetry/batch.ts`, so the fake edge refuses exactly
 * what Hashyard refuses: one wire-format validator for the Worker and the agent's tests. Node 20
 * cannot import TypeScript, so the file (self-contained, no imports) is transpiled once per process.
 * @type {Promise<{ validateTelemetryBatch: (raw: unknown, now?: number) => { ok: true } | { ok: false, fields: Record<string, string> } }> | null}
 */
let workerValidator = null;
function loadWorkerValidator() {
  workerValidator ??= (async () => {
    const { default: ts } = await import('typescript');
    const source = readFileSync(new URL('../../src/telemetry/batch.ts', import.meta.url), 'utf8');
    const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } });
    return import(`data:text/javascript;base64,${Buffer.from(outputText).toString('base64')}`);
  })();
  return workerValidator;
}

/**
 * What our agent promises beyond the protocol (agent/README.md): the Worker accepts these, but
 * the agent never sends them, so a test that sees one has found an agent bug. Empty when kept.
 * @param {any} m
 */
export function agentPromisesBroken(m) {
  /** @type {string[]} */
  const p = [];
  if (!m || typeof m !== 'object') return [];
  for (const [k, v] of Object.entries(m)) if (v === null) p.push(`${k} is null (unknown must be absent)`);
  if (typeof m.ip !== 'string') p.push('ip missing');
  for (const k of TEXT_FIELDS) if (m[k] === '') p.push(`${k} is empty (unknown must be absent)`);
  for (const k of LIST_FIELDS) if (Array.isArray(m[k]) && m[k].length === 0) p.push(`${k} is an empty list (unknown must be absent)`);
  if ('power_w' in m !== 'power_source' in m) p.push('power_w and power_source go together');
  if (typeof m.mac === 'string' && !MAC.test(m.mac)) p.push(`mac ${m.mac} is not normalised (lowercase, colons)`);
  if (!Array.isArray(m.errors)) p.push('errors missing (the agent always sends the list)');
  return p;
}

/**
 * Problems with one telemetry batch as the fake edge judges it: the Worker's own verdict (a copy
 * is validated, since the Worker normalises in place), then the agent's promises. Sample times are
 * bounded against `now` only when the test gives the edge a clock: many agent tests run the agent
 * on a simulated clock, and the bounds are the server's, tested in the Worker's own tests.
 * @param {any} batch
 * @param {number} [now]
 * @returns {Promise<string[]>}
 */
export async function batchProblems(batch, now) {
  const { validateTelemetryBatch } = await loadWorkerValidator();
  const verdict = validateTelemetryBatch(structuredClone(batch), now);
  const problems = verdict.ok ? [] : Object.entries(verdict.fields).map(([field, message]) => `${field}: ${message}`);
  if (typeof batch?.batch_id === 'string' && !UUID.test(batch.batch_id)) problems.push('batch_id is not a UUID');
  if (Array.isArray(batch?.miners)) {
    batch.miners.forEach((/** @type {any} */ m, /** @type {number} */ i) => agentPromisesBroken(m).forEach((p) => problems.push(`miners[${i}] (${m?.ip}): ${p}`)));
  }
  return problems;
}

/**
 * @param {{ code?: string, token?: string, siteId?: string, agentId?: string, config?: unknown, port?: number, clock?: () => number }} [o]
 */
export async function startFakeEdge(o = {}) {
  const edge = {
    code: o.code ?? 'K7Q2ZP',
    token: o.token ?? 'tok-0123456789abcdef',
    siteId: o.siteId ?? 'site-1',
    agentId: o.agentId ?? 'agent-1',
    config: o.config ?? { scan_segments: [], poll_interval_s: 60, miners: [] },
    /** the edge's clock for the sample-time bounds; none: the format only (see batchProblems) */
    clock: o.clock,
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
    const problems = await batchProblems(j, edge.clock?.());
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
