// Apply a desired pool list to a miner with the CGMiner API write commands,
// idempotently: a miner that already mines on the desired pool gets no write.
//
//   1. `addpool|url,user,pass` for the desired first pool if the miner lacks it
//      (the backups are added after step 3, the same way); firmware
//      with a fixed number of pool slots answers cgminer's MSG_TOOMANYP (54,
//      "Reached maximum number of pools (N)") when they are all used: then the
//      least preferred pool that is neither desired nor in use is removed
//      (`removepool|N`) to make room, and addpool is sent again
//   2. `enablepool|N` if the desired first pool is disabled
//   3. `switchpool|N` to make the desired first pool the top-priority one
//   3b. the backups right after it, in the desired order (`poolpriority|a,b,c`,
//      or — firmware without that command — `switchpool` to each, last first),
//      so the miner fails over to the next desired pool, not to another one
//   4. `removepool|N` for pools not in the list — only when asked
//      (remove_other_pools) and only when safe: the desired pool is Alive and
//      is the one being mined on, the pool removed is not the active one, and
//      the list is re-read after every removal (ids shift).
//   5. the pools named in `remove_pools` (a restore's holding pools) must not
//      stay usable: `removepool|N`, or — firmware that refuses it (no such
//      command, or the pool is the active one: cgminer's MSG_ACTPOOL 67) —
//      `disablepool|N`. Only after step 3 put the desired pool on top, so the
//      miner is never left without a pool; a desired pool is never touched.
//
// Pool ids are used as the miner numbers them (`POOL`), 0- or 1-based.

import { CommandError, TransportError } from './errors.mjs';
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
 * Does the miner hold every desired pool, enabled, as its top priorities in the desired order
 * (the first one on top, then the backups)?
 * @param {PoolEntry[]} pools @param {DesiredPool[]} desired
 */
export function poolsSatisfied(pools, desired) {
  if (desired.length === 0) return true;
  const ordered = byPriority(pools);
  return desired.every((d, i) => !!ordered[i] && samePool(/** @type {PoolEntry} */ (ordered[i]), d) && ordered[i]?.status !== 'Disabled');
}

/**
 * The pools named in `remove_pools` that the miner still holds enabled (a desired pool is never
 * one of them, whatever the list says).
 * @param {PoolEntry[]} pools @param {DesiredPool[]} desired @param {{ url: string, user: string }[] | undefined} unwanted
 */
export function unwantedLeft(pools, desired, unwanted) {
  if (!unwanted?.length) return [];
  return pools.filter((p) => p.status !== 'Disabled' && unwanted.some((u) => samePool(p, { ...u, password: '' })) && !desired.some((d) => samePool(p, d)));
}

/** Pools, best (lowest) priority first. @param {PoolEntry[]} pools */
function byPriority(pools) {
  return [...pools].sort((a, b) => (a.priority ?? a.id) - (b.priority ?? b.id));
}

/** The pool with the best (lowest) priority. @param {PoolEntry[]} pools */
function topPool(pools) {
  return byPriority(pools)[0];
}

/** cgminer's MSG_TOOMANYP: every pool slot is in use. @param {unknown} err */
function noFreeSlot(err) {
  return err instanceof CommandError && (err.statusCode === 54 || /maximum number of pools/i.test(err.message));
}

/** What to tell the edge about an attempt (`pool_apply`, agent/README.md); messages ≤ 256 characters. */
export const POOL_APPLY_MESSAGE_MAX = 256;

/**
 * @typedef {{ status: 'applied' | 'refused' | 'unreachable', message?: string }} PoolApplyOutcome
 */

/**
 * @param {{
 *   query: (command: string, parameter?: string) => Promise<string>,
 *   desired: DesiredPool[],
 *   removeOthers?: boolean,
 *   removePools?: { url: string, user: string }[],
 *   current?: PoolEntry[],
 * }} o  `query` sends one command to this miner; `current` saves a read
 * @returns {Promise<{ actions: string[], errors: string[], changed: boolean, outcome: PoolApplyOutcome | null }>}
 *   `outcome` is null when nothing had to be written
 */
export async function applyPools(o) {
  /** @type {string[]} */
  const actions = [];
  /** @type {string[]} */
  const errors = [];
  const { desired } = o;
  /** @type {PoolApplyOutcome | null} */
  let failure = null;
  if (desired.length === 0) return { actions, errors, changed: false, outcome: null };
  /** the command in flight, to name it when the connection fails */
  let asking = 'pools';
  const read = async () => {
    asking = 'pools';
    return parsePools(await o.query('pools'));
  };
  /** @param {string} command @param {string} parameter */
  const write = async (command, parameter) => {
    asking = command;
    const reply = decodeReply(await o.query(command, parameter), command);
    assertOk(reply, command);
    actions.push(`${command}|${command === 'addpool' ? parameter.replace(/,[^,]*$/, ',***') : parameter}`);
  };

  try {
    let pools = o.current ?? (await read());

    /**
     * 1. add what is missing (re-read after each: a removal to make room renumbers the pools)
     * @param {DesiredPool[]} wanted
     */
    const addMissing = async (wanted) => {
      for (const d of wanted) {
        if (pools.some((p) => samePool(p, d))) continue;
        const parameter = [d.url, d.user, d.password].map(escapeParam).join(',');
        try {
          await write('addpool', parameter);
        } catch (err) {
          if (!noFreeSlot(err)) throw err;
          const active = pools.find((p) => p.active) ?? topPool(pools);
          const spare = [...pools]
            .sort((a, b) => (b.priority ?? b.id) - (a.priority ?? a.id))
            .find((p) => p.id !== active?.id && !desired.some((x) => samePool(p, x)));
          if (!spare) throw err;
          await write('removepool', String(spare.id));
          await write('addpool', parameter);
        }
        pools = await read();
      }
    };
    // The first pool is added and switched to before the backups: on firmware with a fixed
    // number of slots the pool being left then becomes removable to make room for them.
    await addMissing(desired.slice(0, 1));

    const first = /** @type {DesiredPool} */ (desired[0]);
    const target = pools.find((p) => samePool(p, first));
    if (!target) {
      errors.push(`pool change: ${first.url} is still missing after addpool`);
      return { actions, errors, changed: actions.length > 0, outcome: { status: 'refused', message: clip(`${first.url} is still missing after addpool`) } };
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
    await addMissing(desired.slice(1));

    // 3b. the backups enabled and right after the first, in order: a miner whose first pool is
    // down fails over to the next desired one (cgminer tries pools by priority), not to a pool
    // left from before.
    for (const d of desired.slice(1)) {
      const p = pools.find((x) => samePool(x, d));
      if (p?.status === 'Disabled') {
        await write('enablepool', String(p.id));
        pools = await read();
      }
    }
    if (desired.length > 1 && !poolsSatisfied(pools, desired)) {
      const ids = desired.map((d) => pools.find((p) => samePool(p, d))?.id);
      if (ids.every((id) => id !== undefined)) {
        try {
          await write('poolpriority', ids.join(','));
        } catch (err) {
          if (!(err instanceof CommandError)) throw err;
          // No poolpriority: switchpool puts a pool on top and keeps the others' order, so
          // switching to the last backup first and the first pool last gives the same order.
          for (const id of [...ids].reverse()) await write('switchpool', String(id));
        }
        pools = await read();
      }
    }

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

    // 5. the unwanted pools removed, else disabled; one that neither takes is reported
    /** @type {string[]} */
    const kept = [];
    for (let guard = 0; guard < 32; guard++) {
      const p = unwantedLeft(pools, desired, o.removePools).find((x) => !kept.includes(poolKey(x)));
      if (!p) break;
      try {
        await write('removepool', String(p.id));
      } catch (err) {
        if (!(err instanceof CommandError)) throw err;
        try {
          await write('disablepool', String(p.id));
        } catch (err2) {
          if (!(err2 instanceof CommandError)) throw err2;
          kept.push(poolKey(p));
          errors.push(`pool change failed: ${p.url} stays enabled: removepool: ${err.message}; disablepool: ${err2.message}`);
        }
      }
      pools = await read();
    }
    if (kept.length) failure = { status: 'refused', message: clip(`${kept.length} pool(s) to remove stay enabled: ${kept.join(', ')}`) };
  } catch (err) {
    const msg = err instanceof CommandError ? `${err.command}: ${err.message}` : `${asking}: ${/** @type {Error} */ (err).message}`;
    errors.push(`pool change failed: ${msg}`);
    // The miner did not take the connection (or dropped it): unreachable. Anything it answered
    // that was not a success (an error status, a reply that is not the API's) is a refusal.
    failure = { status: err instanceof TransportError ? 'unreachable' : 'refused', message: clip(msg) };
  }
  const changed = actions.some((a) => !a.startsWith('removepool deferred'));
  const outcome = failure ?? (changed ? { status: /** @type {const} */ ('applied'), message: clip(`now on ${desired[0]?.url}`) } : null);
  return { actions, errors, changed, outcome };
}

/** @param {PoolEntry} p */
function poolKey(p) {
  return `${canonUrl(p.url)} ${p.user ?? ''}`;
}

/** @param {string} s */
function clip(s) {
  return s.length > POOL_APPLY_MESSAGE_MAX ? `${s.slice(0, POOL_APPLY_MESSAGE_MAX - 1)}…` : s;
}
