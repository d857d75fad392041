// Apply a desired pool list to a miner with the CGMiner API write commands,
// idempotently: a miner that already mines on the desired pool gets no write.
//
//   1. `addpool|url,user,pass` for each desired pool the miner lacks
//   2. `enablepool|N` if the desired first pool is disabled
//   3. `switchpool|N` to make the desired first pool the top-priority one
//   4. `removepool|N` for pools not in the list — only when asked
//      (remove_other_pools) and only when safe: the desired pool is Alive and
//      is the one being mined on, the pool removed is not the active one, and
//      the list is re-read after every removal (ids shift).
//
// Pool ids are used as the miner numbers them (`POOL`), 0- or 1-based.

import { CommandError } from './errors.mjs';
import { escapeParam } from './cgminer-client.mjs';
import { parsePools } from './parse/index.mjs';
import { assertOk, decodeReply } from './parse/reply.mjs';

/** @typedef {import('./parse/common.mjs').PoolEntry} PoolEntry */
/** @typedef {import('./config.mjs').DesiredPool} DesiredPool */

/** @param {string} u */
function canonUrl(u) {
  const t = u.trim();
  const m = /^([a-z0-9+]+:\/\/)([^/]+)(.*)$/i.exec(t);
  return m ? `${m[1]?.toLowerCase()}${m[2]?.toLowerCase()}${m[3]?.replace(/\/$/, '')}` : t;
}

/** @param {PoolEntry} p @param {DesiredPool} d */
export function samePool(p, d) {
  return canonUrl(p.url) === canonUrl(d.url) && (p.user ?? '') === d.user;
}

/**
 * Does the miner already mine (or is set to mine) on the desired first pool?
 * @param {PoolEntry[]} pools @param {DesiredPool[]} desired
 */
export function poolsSatisfied(pools, desired) {
  if (desired.length === 0) return true;
  const first = /** @type {DesiredPool} */ (desired[0]);
  const top = topPool(pools);
  return desired.every((d) => pools.some((p) => samePool(p, d))) && !!top && samePool(top, first) && top.status !== 'Disabled';
}

/** The pool with the best (lowest) priority. @param {PoolEntry[]} pools */
function topPool(pools) {
  return [...pools].sort((a, b) => (a.priority ?? a.id) - (b.priority ?? b.id))[0];
}

/**
 * @param {{
 *   query: (command: string, parameter?: string) => Promise<string>,
 *   desired: DesiredPool[],
 *   removeOthers?: boolean,
 *   current?: PoolEntry[],
 * }} o  `query` sends one command to this miner; `current` saves a read
 * @returns {Promise<{ actions: string[], errors: string[], changed: boolean }>}
 */
export async function applyPools(o) {
  /** @type {string[]} */
  const actions = [];
  /** @type {string[]} */
  const errors = [];
  const { desired } = o;
  if (desired.length === 0) return { actions, errors, changed: false };
  const read = async () => parsePools(await o.query('pools'));
  /** @param {string} command @param {string} parameter */
  const write = async (command, parameter) => {
    const reply = decodeReply(await o.query(command, parameter), command);
    assertOk(reply, command);
    actions.push(`${command}|${command === 'addpool' ? parameter.replace(/,[^,]*$/, ',***') : parameter}`);
  };

  try {
    let pools = o.current ?? (await read());

    // 1. add what is missing
    let added = false;
    for (const d of desired) {
      if (!pools.some((p) => samePool(p, d))) {
        await write('addpool', [d.url, d.user, d.password].map(escapeParam).join(','));
        added = true;
      }
    }
    if (added) pools = await read();

    const first = /** @type {DesiredPool} */ (desired[0]);
    const target = pools.find((p) => samePool(p, first));
    if (!target) {
      errors.push(`pool change: ${first.url} is still missing after addpool`);
      return { actions, errors, changed: actions.length > 0 };
    }

    // 2./3. make it the pool in use
    let switched = false;
    if (target.status === 'Disabled') {
      await write('enablepool', String(target.id));
      switched = true;
    }
    const top = topPool(pools);
    if (!top || top.id !== target.id) {
      await write('switchpool', String(target.id));
      switched = true;
    }
    if (switched) pools = await read();

    // 4. remove the others, when asked and safe
    if (o.removeOthers) {
      for (let guard = 0; guard < 32; guard++) {
        const t = pools.find((p) => samePool(p, first));
        const active = pools.find((p) => p.active) ?? topPool(pools);
        const safe = !!t && t.status === 'Alive' && !!active && active.id === t.id;
        const others = pools.filter((p) => !desired.some((d) => samePool(p, d)));
        if (others.length === 0) break;
        if (!safe) {
          actions.push(`removepool deferred: ${first.url} is not alive and in use yet`);
          break;
        }
        // when safe the active pool is the desired one, so none of these is in use
        const extra = others.find((p) => p.id !== active?.id);
        if (!extra) break;
        await write('removepool', String(extra.id));
        pools = await read();
      }
    }
  } catch (err) {
    const msg = err instanceof CommandError ? `${err.command}: ${err.message}` : /** @type {Error} */ (err).message;
    errors.push(`pool change failed: ${msg}`);
  }
  return { actions, errors, changed: actions.some((a) => !a.startsWith('removepool deferred')) };
}
