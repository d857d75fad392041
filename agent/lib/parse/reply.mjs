// Decoding a raw CGMiner-family reply into a JSON object, tolerating the
// known firmware quirks (see agent/test/fixtures/cgminer-api/README.md):
// trailing NUL bytes, the older `}{` missing-comma stats format, btminer's
// invalid `\'` escape, raw control characters inside strings, btminer's string
// STATUS, and multi-command (`summary+stats+pools`) replies.

import { CommandError, ParseError } from '../errors.mjs';

const EXCERPT = 160;

/** @param {string} text */
function excerpt(text) {
  return text.length > EXCERPT ? `${text.slice(0, EXCERPT)}…` : text;
}

/**
 * Strip NUL bytes and whitespace around a reply. Firmware usually terminates a
 * reply with one NUL; some pad with several.
 * @param {string} text
 */
export function stripNul(text) {
  return text.replace(/^[\s\u0000]+|[\s\u0000]+$/g, '');
}

/**
 * String-aware repair of the malformed JSON that real firmware emits:
 * - `}{` (or `} {`) between two objects outside strings gets its comma back
 *   (older cgminer/bmminer `stats`: `..."Type":"Antminer S9"}{"STATS":0,...`);
 * - invalid escapes inside strings (`\'` from btminer 20200917) keep the char;
 * - raw control characters inside strings are escaped;
 * - bare `nan`/`inf`/`-inf` values (not JSON) become null.
 * Returns the input unchanged when nothing needed fixing.
 * @param {string} text
 */
export function repairJson(text) {
  let out = '';
  let inString = false;
  let lastSignificant = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') {
        const next = text[i + 1];
        if (next !== undefined && '"\\/bfnrtu'.includes(next)) {
          out += ch + next;
        } else if (next !== undefined) {
          // Invalid escape such as \' : keep the character, drop the backslash.
          out += next === '"' ? '\\"' : next;
        }
        i++;
        continue;
      }
      if (ch === '"') {
        inString = false;
        out += ch;
        lastSignificant = ch;
        continue;
      }
      const code = ch.charCodeAt(0);
      if (code < 0x20) {
        out += `\\u${code.toString(16).padStart(4, '0')}`;
        continue;
      }
      out += ch;
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
      continue;
    }
    if (ch === '{' && lastSignificant === '}') out += ',';
    // A bare nan/inf/-inf/NaN/Infinity where a value belongs (Avalon 10xx
    // `"MHS av":nan`): JSON has no such number, so it becomes null ("not
    // reported") and the rest of the reply is kept.
    if (lastSignificant === ':' || lastSignificant === ',' || lastSignificant === '[') {
      const m = /^[-+]?(?:nan|inf(?:inity)?)(?![A-Za-z0-9_])/i.exec(text.slice(i, i + 10));
      if (m) {
        out += 'null';
        i += m[0].length - 1;
        lastSignificant = 'l';
        continue;
      }
    }
    out += ch;
    if (!/\s/.test(ch)) lastSignificant = ch;
  }
  return out;
}

/**
 * Decode one raw reply (string or Buffer) into an object. Throws ParseError
 * when it is empty, not JSON even after repair, or not a JSON object.
 * Already-decoded objects are returned as they are.
 * @param {string | Buffer | Record<string, unknown>} raw
 * @param {string} [command]
 * @returns {Record<string, any>}
 */
export function decodeReply(raw, command) {
  if (raw !== null && typeof raw === 'object' && !Buffer.isBuffer(raw)) return /** @type {any} */ (raw);
  if (typeof raw !== 'string' && !Buffer.isBuffer(raw)) {
    throw new ParseError('reply is neither text nor an object', { command });
  }
  const text = stripNul(Buffer.isBuffer(raw) ? raw.toString('utf8') : raw);
  if (text === '') throw new ParseError('empty reply', { command });
  /** @type {unknown} */
  let value;
  try {
    value = JSON.parse(text);
  } catch (first) {
    try {
      value = JSON.parse(repairJson(text));
    } catch {
      throw new ParseError(`reply is not JSON (${/** @type {Error} */ (first).message})`, {
        command,
        excerpt: excerpt(text),
        cause: first,
      });
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ParseError('reply is not a JSON object', { command, excerpt: excerpt(text) });
  }
  return /** @type {Record<string, any>} */ (value);
}

/**
 * @typedef {{ status: string, code?: number, msg?: string, description?: string, when?: number }} Status
 */

/**
 * Read the STATUS block, which is an array of one object on cgminer-family
 * firmware and a plain string ("S") with top-level Code/Msg/When on btminer's
 * own commands (`get_version`).
 * @param {Record<string, any>} reply
 * @param {string} [command]
 * @returns {Status}
 */
export function statusOf(reply, command) {
  const s = reply.STATUS;
  if (typeof s === 'string') {
    return {
      status: s,
      code: typeof reply.Code === 'number' ? reply.Code : undefined,
      msg: typeof reply.Msg === 'string' ? reply.Msg : undefined,
      description: typeof reply.Description === 'string' ? reply.Description : undefined,
      when: typeof reply.When === 'number' ? reply.When : undefined,
    };
  }
  if (Array.isArray(s) && s[0] && typeof s[0] === 'object') {
    const o = s[0];
    return {
      status: String(o.STATUS ?? ''),
      code: typeof o.Code === 'number' ? o.Code : undefined,
      msg: typeof o.Msg === 'string' ? o.Msg : undefined,
      description: typeof o.Description === 'string' ? o.Description : undefined,
      when: typeof o.When === 'number' ? o.When : undefined,
    };
  }
  // Whatsminer API v3: {"code":0,"desc":"get.miner.status","msg":{...},"when":…}
  if (typeof reply.code === 'number' && typeof reply.desc === 'string') {
    return {
      status: reply.code === 0 ? 'S' : 'E',
      code: reply.code,
      msg: typeof reply.msg === 'string' ? reply.msg : undefined,
      description: reply.desc,
      when: typeof reply.when === 'number' ? reply.when : undefined,
    };
  }
  throw new ParseError('reply has no STATUS', { command });
}

/**
 * Throw CommandError when the miner answered with an error status
 * (STATUS "E" or "F"). Warnings ("W") and info ("I") pass.
 * @param {Record<string, any>} reply
 * @param {string} [command]
 */
export function assertOk(reply, command) {
  const st = statusOf(reply, command);
  if (st.status === 'E' || st.status === 'F') {
    throw new CommandError(st.msg || `status ${st.status}`, { command, statusCode: st.code });
  }
  return st;
}

/**
 * The array under `key` (SUMMARY, STATS, POOLS, DEVS, ...). Throws ParseError
 * when it is missing or not an array of objects.
 * @param {Record<string, any>} reply
 * @param {string} key
 * @param {string} [command]
 * @returns {Record<string, any>[]}
 */
export function section(reply, key, command) {
  const v = reply[key];
  if (!Array.isArray(v)) throw new ParseError(`reply has no ${key} array`, { command });
  for (const item of v) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new ParseError(`${key} holds a non-object entry`, { command });
    }
  }
  return v;
}

/**
 * Split a multi-command reply (`{"command":"summary+stats+pools"}` →
 * `{"summary":[{STATUS..,SUMMARY..}], "stats":[...], "pools":[...], "id":1}`)
 * into one reply per command. Returns null when `reply` is a single reply.
 * @param {Record<string, any>} reply
 * @returns {Record<string, Record<string, any>> | null}
 */
export function unpackMulti(reply) {
  if ('STATUS' in reply) return null;
  /** @type {Record<string, Record<string, any>>} */
  const out = {};
  for (const [key, value] of Object.entries(reply)) {
    if (key === 'id') continue;
    if (Array.isArray(value) && value.length === 1 && value[0] && typeof value[0] === 'object' && 'STATUS' in value[0]) {
      out[key] = value[0];
    }
  }
  return Object.keys(out).length > 0 ? out : null;
}
