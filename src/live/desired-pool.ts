/**
 * The pool each miner should mine on (DESIGN.md §7): the one rule, served today in the agent's
 * config pull (`src/telemetry/agent-config.ts`, read from D1 per pull).
 *
 * The place a pool guard grows from: to notice a miner that does not mine where it should, carry
 * the desired pool into the object with the registry mirror (`registry.ts` re-reads the miners'
 * rows every few minutes; add the owner pool and the customer's redirect there), and compare it
 * with each sample's reported `pool_url`/`pool_user` in a room of its own that takes the fold's
 * advanced samples, as the alert tracker does.
 */

export interface DesiredPool {
  url: string;
  user: string;
  password: string;
}

export interface PoolFacts {
  /** The host's holding pool while the miner's customer is under an active redirect. */
  redirectUrl: string | null;
  redirectUser: string | null;
  /** The owner's pool on record for this miner. */
  ownerPoolUrl: string | null;
  ownerPoolUser: string | null;
}

/** A redirect wins over the owner's pool; with neither, the miner is left as it is (null). */
export function desiredPoolOf(facts: PoolFacts): DesiredPool | null {
  if (facts.redirectUrl) return { url: facts.redirectUrl, user: facts.redirectUser ?? '', password: 'x' };
  if (facts.ownerPoolUrl) return { url: facts.ownerPoolUrl, user: facts.ownerPoolUser ?? '', password: 'x' };
  return null;
}
