// The real agent wired to a fake edge for tests: short timeouts, no sleeping
// between retries, no log output.

import { Agent } from '../lib/agent.mjs';

/** @param {import('./fake-edge.mjs').FakeEdge} edge @param {string} dir @param {Partial<import('../lib/agent.mjs').AgentOptions>} [extra] */
export function makeAgent(edge, dir, extra = {}) {
  return new Agent({
    api: edge.url,
    stateDir: dir,
    code: edge.code,
    connectTimeoutMs: 500,
    readTimeoutMs: 400,
    scanTimeoutMs: 500,
    retry: { attempts: 2, baseMs: 1, maxMs: 5 },
    sleep: async () => {},
    log: () => {},
    ...extra,
  });
}
