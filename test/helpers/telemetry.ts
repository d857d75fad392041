import { env, SELF } from 'cloudflare:test';
import { expect } from 'vitest';
import { sites } from '../../src/db/schema';
import type { TelemetryBatch } from '../../src/telemetry/batch';
import type { HistoryPoint } from '../../src/telemetry/types';
import { db, type TestHost } from './fixtures';

export async function createSite(host: TestHost, name = 'Site One'): Promise<string> {
  const id = crypto.randomUUID();
  const now = Date.now();
  await db().insert(sites).values({ id, hostId: host.hostId, name, timezone: 'UTC', createdAt: now, updatedAt: now });
  return id;
}

let macCounter = 0;
/** A fresh locally-administered MAC. */
export const nextMac = () => {
  macCounter += 1;
  const n = macCounter + Math.floor(Math.random() * 1_000_000);
  return ['02', '00', ...[n >> 16, (n >> 8) & 255, n & 255].map((b) => b.toString(16).padStart(2, '0')), '01'].join(':');
};

export type MinerReport = TelemetryBatch['miners'][number];

export function report(mac: string, fields: Partial<MinerReport> = {}): MinerReport {
  return {
    mac,
    ip: '10.0.0.1',
    vendor: 'Bitmain',
    model: 'Antminer S19j Pro',
    sampled_at: new Date().toISOString(),
    state: 'mining',
    hashrate_ths: 100,
    expected_hashrate_ths: 104,
    board_temps_c: [62, 64, 63],
    chip_temps_c: [71, 74, 72],
    fans_rpm: [5400, 5460],
    power_w: 3050,
    power_source: 'miner',
    uptime_s: 86400,
    errors: [],
    ...fields,
  };
}

export const batchOf = (miners: MinerReport[], batchId: string = crypto.randomUUID()): TelemetryBatch => ({
  batch_id: batchId,
  sent_at: new Date().toISOString(),
  miners,
});

export const stateOf = (siteId: string) => env.SITE_STATE.getByName(siteId);

/** A registered agent for a site, through the real code → token exchange. */
export async function registeredAgent(host: TestHost, siteId: string): Promise<{ token: string; agentId: string }> {
  const { createAgent } = await import('../../src/agents/service');
  const { staffActor } = await import('../../src/hosts/service');
  const issued = await createAgent(db(), host.hostId, staffActor(host.owner.session), { role: 'owner' }, siteId, {});
  const res = await SELF.fetch('https://hashyard.test/api/agent/v1/register', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': `agent-${crypto.randomUUID()}` },
    body: JSON.stringify({ code: issued.code, hostname: 'rig-box-1', version: '0.1.0' }),
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { token: string; agent_id: string };
  return { token: body.token, agentId: body.agent_id };
}

export function postTelemetry(token: string | null, body: unknown, options: { gzip?: boolean; raw?: BodyInit } = {}) {
  const headers = new Headers({ 'Content-Type': 'application/json' });
  if (token) headers.set('Authorization', `Bearer ${token}`);
  let payload: BodyInit = options.raw ?? JSON.stringify(body);
  if (options.gzip) {
    headers.set('Content-Encoding', 'gzip');
    payload = new Response(new Blob([JSON.stringify(body)]).stream().pipeThrough(new CompressionStream('gzip'))).body!;
  }
  return SELF.fetch('https://hashyard.test/api/agent/v1/telemetry', { method: 'POST', headers, body: payload });
}

/** Two charts point by point: the same buckets, values equal to within float summation order. */
export function expectSameChart(actual: HistoryPoint[], expected: HistoryPoint[]) {
  expect(actual.map((p) => p.t)).toEqual(expected.map((p) => p.t));
  actual.forEach((point, i) => {
    const want = expected[i]!;
    for (const field of ['hashrateThs', 'powerW', 'tempMaxC'] as const) {
      if (want[field] === null) expect(point[field], `${field} at ${point.t}`).toBeNull();
      else expect(point[field], `${field} at ${point.t}`).toBeCloseTo(want[field]!, 6);
    }
  });
}
