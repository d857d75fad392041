// Tokenizer for Avalon's bracketed status strings, found in
// `STATS[0]["MM ID0"]` (older models) and `STATS[0]["MM ID0:Summary"]` /
// `HBinfo` (newer ones):
//
//   Ver[1246-83-21072802_4ec6bb0_211fc46] DNA[02010000cbd2fd6d] ...
//   SYSTEMSTATU[Work: In Work, Hash Board: 3 ] ... Fan1[5344] FanR[72%]
//   ATAOPTS0[--avalon10-freq 376:396:416:436 --avalon10-voltage-level 46 ]
//   'STATS':{Ver[Q-25052801_14a19a2] ... Nonce Mask[25]}
//   'HB0':{PVT_T0[ 58  59 ...] ...}
//
// A key runs from the previous token up to `[` (keys may contain spaces:
// `Nonce Mask[25]`); a value runs to the matching `]` and may contain spaces,
// `%`, `:` and `--flags`. A `'NAME':{...}` group nests. The result maps keys to
// raw string values and group names to nested results.

import { ParseError } from '../errors.mjs';
import { num } from './common.mjs';

/** @typedef {{ [key: string]: string | AvalonTokens }} AvalonTokens */

/**
 * @param {string} text
 * @returns {AvalonTokens}
 */
export function tokenizeAvalon(text) {
  if (typeof text !== 'string') throw new ParseError('Avalon status is not a string');
  const state = { pos: 0 };
  const out = parseEntries(text, state, null);
  if (state.pos < text.length) {
    throw new ParseError(`unexpected ${JSON.stringify(text[state.pos])} at ${state.pos} in Avalon status`);
  }
  return out;
}

/**
 * @param {string} text
 * @param {{ pos: number }} state
 * @param {string | null} close the character that ends this group, or null at top level
 * @returns {AvalonTokens}
 */
function parseEntries(text, state, close) {
  /** @type {AvalonTokens} */
  const out = {};
  for (;;) {
    while (state.pos < text.length && /\s/.test(text[state.pos] ?? '')) state.pos++;
    if (state.pos >= text.length) {
      if (close !== null) throw new ParseError(`unterminated '${close === '}' ? '{' : '['}' group in Avalon status`);
      return out;
    }
    const ch = text[state.pos];
    if (close !== null && ch === close) {
      state.pos++;
      return out;
    }
    if (ch === "'") {
      // 'NAME':{ ... }
      const end = text.indexOf("'", state.pos + 1);
      if (end < 0) throw new ParseError('unterminated quoted group name in Avalon status');
      const name = text.slice(state.pos + 1, end);
      let p = end + 1;
      while (/\s/.test(text[p] ?? '')) p++;
      if (text[p] !== ':') throw new ParseError(`expected ':' after '${name}' in Avalon status`);
      p++;
      while (/\s/.test(text[p] ?? '')) p++;
      if (text[p] !== '{') throw new ParseError(`expected '{' after '${name}': in Avalon status`);
      state.pos = p + 1;
      out[name] = parseEntries(text, state, '}');
      continue;
    }
    const open = text.indexOf('[', state.pos);
    if (open < 0) throw new ParseError(`text without [value] at ${state.pos} in Avalon status`);
    const key = text.slice(state.pos, open).trim();
    if (key === '' || /[\]{}]/.test(key)) {
      throw new ParseError(`malformed key ${JSON.stringify(key)} at ${state.pos} in Avalon status`);
    }
    let depth = 1;
    let p = open + 1;
    for (; p < text.length && depth > 0; p++) {
      if (text[p] === '[') depth++;
      else if (text[p] === ']') depth--;
    }
    if (depth !== 0) throw new ParseError(`unterminated value for ${key} in Avalon status`);
    out[key] = text.slice(open + 1, p - 1);
    state.pos = p;
  }
}

/**
 * Whitespace-separated numbers of a token value ("77 77 76", " 63  70 ").
 * "" gives []. Non-numeric parts are a ParseError.
 * @param {string | AvalonTokens | undefined} v
 * @param {string} [what]
 * @returns {number[] | undefined} undefined when the token is absent
 */
export function tokenNumbers(v, what = 'Avalon value') {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ParseError(`${what} is a group, not a value`);
  const parts = v.trim() === '' ? [] : v.trim().split(/\s+/);
  return parts.map((p) => /** @type {number} */ (num(p.replace(/%$/, ''), what)));
}

/**
 * A single number token ("31", "72%", "3731"); undefined when absent or empty.
 * @param {string | AvalonTokens | undefined} v
 * @param {string} [what]
 */
export function tokenNumber(v, what) {
  const all = tokenNumbers(v, what);
  if (all === undefined || all.length === 0) return undefined;
  if (all.length !== 1) throw new ParseError(`${what ?? 'Avalon value'} holds ${all.length} numbers, expected one`);
  return all[0];
}
