// @ts-check
/**
 * The one implementation of the usage seal's canonical form, the evidence CSV's shape, and the
 * checks `npm run verify-evidence` makes (docs/billing/evidence.md). Plain JavaScript with no
 * imports, so the Worker (bundled) and the offline verifier (Node, no TypeScript loader) run the
 * very same code: a seal the Worker writes and a seal the verifier re-derives cannot disagree by
 * construction, only by the data. Types: seal-format.d.ts beside it.
 */

/** Names the canonical form; a future form gets a new name and old seals keep theirs. */
export const SEAL_FORMAT = 'hashyard-usage-seal-v1';

/** What the first seal of a (site, customer) chains to. */
export const GENESIS_HASH = '0'.repeat(64);

const DAY_MS = 86_400_000;

/** UTC day (`YYYY-MM-DD`) of an instant: the unit of sealing. */
export const utcDayOf = (/** @type {number} */ ms) => new Date(ms).toISOString().slice(0, 10);

/** First instant (epoch ms) of a UTC day. */
export const utcDayStartMs = (/** @type {string} */ day) => Date.parse(`${day}T00:00:00.000Z`);

/** The UTC day after `day`. */
export const nextUtcDay = (/** @type {string} */ day) => utcDayOf(utcDayStartMs(day) + DAY_MS);

/** Code-unit order (ids are ASCII, where it equals SQLite's BINARY order). */
const compareText = (/** @type {string} */ a, /** @type {string} */ b) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The exact text hashed for one (site, customer_key, UTC day): a header naming the form, the
 * seal's coordinates and the previous hash, then one line per usage row in (miner_id,
 * hour_start) order. Integers are written in plain decimal, every line ends with "\n".
 * @param {import('./seal-format').SealInput} input
 */
export function canonicalSealText(input) {
  const rows = [...input.rows].sort((a, b) => compareText(a.minerId, b.minerId) || a.hourStart - b.hourStart);
  let text = `${SEAL_FORMAT}\n${input.siteId}\n${input.customerKey}\n${input.day}\n${input.prevHash}\n`;
  for (const r of rows) {
    // Unknown energy (null, source `unknown`) is written as an empty field; rows with energy are
    // written exactly as before, so seals made before unknown energy existed re-derive unchanged.
    text += `${r.minerId}|${intText(r.hourStart)}|${r.energyWh === null ? '' : intText(r.energyWh)}|${r.energySource}|${intText(r.avgHashrateMths)}|${intText(r.onlineSeconds)}|${intText(r.samples)}\n`;
  }
  return text;
}

/** @param {number} n */
function intText(n) {
  if (!Number.isSafeInteger(n)) throw new Error(`Not an integer: ${n}`);
  return String(n);
}

/**
 * Lowercase hex SHA-256 of the canonical text (UTF-8), with Web Crypto (Workers and Node 20).
 * @param {import('./seal-format').SealInput} input
 */
export async function sealHash(input) {
  const bytes = new TextEncoder().encode(canonicalSealText(input));
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// ---------------------------------------------------------------------------------------------
// Billing arithmetic, restated for the verifier. The Worker bills with src/billing/energy.ts and
// money.ts; test/unit/seal-format.test.ts holds these equal to them, so the verifier checks a
// file against the same rules without importing TypeScript.

/** @param {bigint} n @param {bigint} d */
function divideRoundHalfUp(n, d) {
  const negative = n < 0n;
  const abs = negative ? -n : n;
  const q = abs / d;
  const rounded = (abs % d) * 2n >= d ? q + 1n : q;
  return negative ? -rounded : rounded;
}

/**
 * Billed Wh of one usage row under a kWh source; null when the source needs a value the unit
 * lacks. Same rule as billedWh in src/billing/energy.ts.
 * @param {import('./seal-format').KwhSourceName} source
 * @param {{ energyWh: number; onlineSeconds: number; avgHashrateMths: number }} row
 * @param {number | null} nominalPowerW
 * @param {number | null} efficiencyMjPerTh
 * @returns {number | null}
 */
export function recomputeBilledWh(source, row, nominalPowerW, efficiencyMjPerTh) {
  if (source === 'metered') return row.energyWh;
  if (source === 'spec') {
    if (nominalPowerW === null) return null;
    return Number(divideRoundHalfUp(BigInt(nominalPowerW) * BigInt(row.onlineSeconds), 3_600n));
  }
  if (source === 'hashrate') {
    if (efficiencyMjPerTh === null) return null;
    return Number(divideRoundHalfUp(BigInt(efficiencyMjPerTh) * BigInt(row.avgHashrateMths) * BigInt(row.onlineSeconds), 3_600_000_000n));
  }
  throw new Error(`Unknown kWh source ${source}`);
}

/**
 * Wh x micro-units per kWh → minor units of a currency with `exponent` digits, rounded half up
 * once. Same rule as energyAmountMinor in src/billing/money.ts.
 * @param {number | bigint} energyWh @param {number} rateMicrosPerKwh @param {number} exponent
 */
export function recomputeAmountMinor(energyWh, rateMicrosPerKwh, exponent) {
  return Number(divideRoundHalfUp(BigInt(energyWh) * BigInt(rateMicrosPerKwh) * 10n ** BigInt(exponent), 1_000_000_000n));
}

/**
 * The exact, unrounded charge of some Wh at a rate, in the currency's major unit with nine
 * decimals (Wh x micro-units/kWh is a multiple of 1e-9): what each evidence row contributes
 * before the line rounds its sum once.
 * @param {number} energyWh @param {number} rateMicrosPerKwh
 */
export function exactAmountText(energyWh, rateMicrosPerKwh) {
  const nanos = BigInt(energyWh) * BigInt(rateMicrosPerKwh);
  const sign = nanos < 0n ? '-' : '';
  const abs = nanos < 0n ? -nanos : nanos;
  return `${sign}${abs / 1_000_000_000n}.${String(abs % 1_000_000_000n).padStart(9, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// The evidence CSV.

/** Every column of an evidence file, in order (docs/billing/evidence.md describes each). */
export const EVIDENCE_COLUMNS = /** @type {const} */ ([
  'record_type',
  'invoice_number',
  'line_id',
  'line_kind',
  'unit_id',
  'unit_serial',
  'site_id',
  'customer_key',
  'hour_start_utc',
  'hour_start_host',
  'hour_start_ms',
  'energy_wh',
  'energy_source',
  'avg_hashrate_mths',
  'online_seconds',
  'samples',
  'nominal_power_w',
  'efficiency_mj_per_th',
  'kwh_source',
  'billed_wh',
  'rate_micros_per_kwh',
  'amount_exact',
  'currency',
  'currency_exponent',
  'in_line',
  'seal_format',
  'seal_day',
  'seal_prev_hash',
  'seal_hash',
  'adjustment_id',
  'old_energy_wh',
  'new_energy_wh',
  'amount_minor',
  // Added with fixed-fee lines (issue 17): why a line is what it is, in words. Optional, so
  // files written before it still verify.
  'note',
]);

/** Columns a file may lack (written before they existed). */
const OPTIONAL_COLUMNS = ['note'];

/**
 * One CSV cell (RFC 4180 quoting). Text that a spreadsheet would read as a formula (starting
 * with = + - @, tab or CR) gets a leading apostrophe; numbers are written as they are, so a
 * negative adjustment stays a number.
 * @param {string | number | boolean | null | undefined} value
 */
export function csvCell(value) {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * One CSV record (CRLF-terminated, as RFC 4180 has it) from a record keyed by column name.
 * @param {Partial<Record<import('./seal-format').EvidenceColumn, string | number | null>>} record
 */
export const evidenceCsvRecord = (record) => `${EVIDENCE_COLUMNS.map((column) => csvCell(record[column])).join(',')}\r\n`;

export const evidenceCsvHeader = () => `${EVIDENCE_COLUMNS.join(',')}\r\n`;

/**
 * RFC 4180 parser: quoted fields, doubled quotes, CRLF or LF line ends. Returns records of
 * fields (no unescaping of the formula apostrophe: the verifier only reads ids, numbers and
 * hashes, which never start with one).
 * @param {string} text
 * @returns {string[][]}
 */
export function parseCsv(text) {
  /** @type {string[][]} */
  const records = [];
  /** @type {string[]} */
  let record = [];
  let field = '';
  let quoted = false;
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += ch;
  }
  if (quoted) throw new Error('Unterminated quoted field');
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

// ---------------------------------------------------------------------------------------------
// Verification (what `npm run verify-evidence` runs, and what the Worker's tests run on the files
// it serves).

/** Thrown once a failure is already in the report, to stop checking that line's rows. */
const REPORTED = Symbol('reported');

/** @param {string} text @param {string} what */
function integerField(text, what) {
  if (!/^-?\d+$/.test(text)) throw new Error(`${what} is not an integer: "${text}"`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`${what} is out of range: "${text}"`);
  return n;
}

/** @param {string} text @param {string} what */
const optionalInteger = (text, what) => (text === '' ? null : integerField(text, what));

/**
 * Re-derives every seal and every line total of an evidence file.
 * @param {string} csvText
 * @returns {Promise<import('./seal-format').VerifyReport>}
 */
export async function verifyEvidence(csvText) {
  /** @type {import('./seal-format').VerifyCheck[]} */
  const checks = [];
  const fail = (/** @type {string} */ name, /** @type {string} */ detail) => checks.push({ name, ok: false, detail });
  const pass = (/** @type {string} */ name, /** @type {string} */ detail) => checks.push({ name, ok: true, detail });

  let records;
  try {
    records = parseCsv(csvText).filter((r) => !(r.length === 1 && r[0] === ''));
  } catch (error) {
    fail('file', `not a CSV file: ${/** @type {Error} */ (error).message}`);
    return { ok: false, checks };
  }
  const header = records.shift();
  const missing = EVIDENCE_COLUMNS.filter((c) => !header?.includes(c) && !OPTIONAL_COLUMNS.includes(c));
  if (!header || missing.length > 0) {
    fail('columns', `missing column(s): ${missing.join(', ') || 'all'}`);
    return { ok: false, checks };
  }
  const index = new Map(header.map((name, i) => [name, i]));
  const get = (/** @type {string[]} */ r, /** @type {string} */ column) => r[/** @type {number} */ (index.get(column))] ?? '';

  /** @type {Map<string, { kind: string; usage: string[][]; adjustments: string[][]; total: string[] | null; firstRecord: number }>} */
  const lines = new Map();
  try {
    records.forEach((r, n) => {
      const type = get(r, 'record_type');
      const lineId = get(r, 'line_id');
      let line = lines.get(lineId);
      if (!line) {
        line = { kind: get(r, 'line_kind'), usage: [], adjustments: [], total: null, firstRecord: n + 2 };
        lines.set(lineId, line);
      }
      if (type === 'usage') line.usage.push(r);
      else if (type === 'adjustment') line.adjustments.push(r);
      else if (type === 'total') {
        if (line.total) throw new Error(`line ${lineId} has two total records`);
        line.total = r;
      } else throw new Error(`record ${n + 2}: unknown record_type "${type}"`);
    });
  } catch (error) {
    fail('records', /** @type {Error} */ (error).message);
    return { ok: false, checks };
  }
  if (lines.size === 0) {
    fail('records', 'the file has no lines');
    return { ok: false, checks };
  }

  for (const [lineId, line] of lines) {
    const label = `line ${lineId}`;
    // Rows, then the line's energy and amount; a failure stops this part only, seals are still checked.
    totals: try {
      if (!line.total) throw new Error('no total record');
      const total = line.total;
      if (line.kind === 'unit_fee') {
        // A fixed fee staff set instead of energy: not computed from the rows (they are listed,
        // in_line 0, to show the hours without power data), so only its amount is checked.
        const fee = integerField(get(total, 'amount_minor'), 'total amount_minor');
        if (fee <= 0) {
          fail(`${label} fixed fee`, `a fixed fee must be above zero, the line says ${fee}`);
          break totals;
        }
        const unknown = line.usage.filter((r) => get(r, 'energy_source') === 'unknown').length;
        pass(`${label} fixed fee`, `${fee} minor units of ${get(total, 'currency')} for unit ${get(total, 'unit_serial') || get(total, 'unit_id')}, not computed from energy; ${unknown} hour(s) listed without power data`);
        break totals;
      }
      const rate = integerField(get(total, 'rate_micros_per_kwh'), 'rate_micros_per_kwh');
      const exponent = integerField(get(total, 'currency_exponent'), 'currency_exponent');
      let sum = 0n;
      let rowsChecked = 0;
      const checkExact = (/** @type {string[]} */ r, /** @type {number} */ billed, /** @type {number} */ rowRate) => {
        const stated = get(r, 'amount_exact');
        if (stated !== exactAmountText(billed, rowRate)) {
          fail(`${label} rows`, `unit ${get(r, 'unit_id')} hour ${get(r, 'hour_start_utc')}: amount_exact ${stated}, recomputed ${exactAmountText(billed, rowRate)}`);
          throw REPORTED;
        }
      };
      if (line.kind === 'adjustment') {
        for (const r of line.adjustments) {
          const oldWh = integerField(get(r, 'old_energy_wh'), 'old_energy_wh');
          const newWh = integerField(get(r, 'new_energy_wh'), 'new_energy_wh');
          const billed = integerField(get(r, 'billed_wh'), 'billed_wh');
          if (billed !== newWh - oldWh) {
            fail(`${label} rows`, `adjustment ${get(r, 'adjustment_id')}: billed_wh ${billed} is not new_energy_wh - old_energy_wh = ${newWh - oldWh}`);
            throw REPORTED;
          }
          checkExact(r, billed, rate);
          sum += BigInt(billed);
          rowsChecked++;
        }
      } else {
        const kwhSource = get(total, 'kwh_source');
        for (const r of line.usage) {
          if (get(r, 'in_line') !== '1') continue;
          const row = {
            energyWh: integerField(get(r, 'energy_wh'), 'energy_wh'),
            onlineSeconds: integerField(get(r, 'online_seconds'), 'online_seconds'),
            avgHashrateMths: integerField(get(r, 'avg_hashrate_mths'), 'avg_hashrate_mths'),
          };
          const expected = recomputeBilledWh(
            /** @type {import('./seal-format').KwhSourceName} */ (get(r, 'kwh_source') || kwhSource),
            row,
            optionalInteger(get(r, 'nominal_power_w'), 'nominal_power_w'),
            optionalInteger(get(r, 'efficiency_mj_per_th'), 'efficiency_mj_per_th'),
          );
          const billed = integerField(get(r, 'billed_wh'), 'billed_wh');
          if (expected !== billed) {
            fail(`${label} rows`, `unit ${get(r, 'unit_id')} hour ${get(r, 'hour_start_utc')}: billed_wh ${billed}, recomputed ${expected ?? 'not computable'}`);
            throw REPORTED;
          }
          checkExact(r, billed, rate);
          sum += BigInt(billed);
          rowsChecked++;
        }
      }
      pass(`${label} rows`, `${rowsChecked} billed row(s) recomputed`);
      const totalWh = integerField(get(total, 'billed_wh'), 'total billed_wh');
      if (BigInt(totalWh) !== sum) {
        fail(`${label} energy`, `rows sum to ${sum} Wh, the line says ${totalWh} Wh`);
        break totals;
      }
      pass(`${label} energy`, `${sum} Wh`);
      const amount = recomputeAmountMinor(sum, rate, exponent);
      const statedAmount = integerField(get(total, 'amount_minor'), 'total amount_minor');
      if (amount !== statedAmount) {
        fail(`${label} amount`, `${sum} Wh at ${rate} micro-units/kWh is ${amount} minor units, the line says ${statedAmount}`);
        break totals;
      }
      pass(`${label} amount`, `${amount} minor units of ${get(total, 'currency')}`);
    } catch (error) {
      if (error !== REPORTED) fail(label, /** @type {Error} */ (error).message);
    }

    // Seals: every sealed (site, customer, day) group of this line's usage rows.
    /** @type {Map<string, string[][]>} */
    const groups = new Map();
    for (const r of line.usage) {
      if (get(r, 'seal_hash') === '') continue;
      const key = `${get(r, 'site_id')}\n${get(r, 'customer_key')}\n${get(r, 'seal_day')}`;
      const group = groups.get(key) ?? [];
      group.push(r);
      groups.set(key, group);
    }
    /** @type {Map<string, { day: string; hash: string; prev: string }[]>} */
    const chains = new Map();
    for (const group of groups.values()) {
      const first = /** @type {string[]} */ (group[0]);
      const site = get(first, 'site_id');
      const day = get(first, 'seal_day');
      const name = `${label} seal ${site} ${day}`;
      try {
        const format = get(first, 'seal_format');
        if (format !== SEAL_FORMAT) throw new Error(`unknown seal format "${format}" (this verifier knows ${SEAL_FORMAT})`);
        const hash = get(first, 'seal_hash');
        const prevHash = get(first, 'seal_prev_hash');
        if (group.some((r) => get(r, 'seal_hash') !== hash || get(r, 'seal_prev_hash') !== prevHash)) throw new Error('rows of one seal name different hashes');
        const rows = group.map((r) => {
          const hourStart = integerField(get(r, 'hour_start_ms'), 'hour_start_ms');
          if (utcDayOf(hourStart) !== day) throw new Error(`hour ${get(r, 'hour_start_utc')} is not on ${day}`);
          return {
            minerId: get(r, 'unit_id'),
            hourStart,
            energyWh: optionalInteger(get(r, 'energy_wh'), 'energy_wh'),
            energySource: get(r, 'energy_source'),
            avgHashrateMths: integerField(get(r, 'avg_hashrate_mths'), 'avg_hashrate_mths'),
            onlineSeconds: integerField(get(r, 'online_seconds'), 'online_seconds'),
            samples: integerField(get(r, 'samples'), 'samples'),
          };
        });
        const derived = await sealHash({ siteId: site, customerKey: get(first, 'customer_key'), day, prevHash, rows });
        if (derived !== hash) throw new Error(`re-derived ${derived} from ${rows.length} row(s), the file says ${hash}`);
        pass(name, `${rows.length} row(s), ${hash}`);
        const chainKey = `${site}\n${get(first, 'customer_key')}`;
        chains.set(chainKey, [...(chains.get(chainKey) ?? []), { day, hash, prev: prevHash }]);
      } catch (error) {
        fail(name, /** @type {Error} */ (error).message);
      }
    }
    // The chain is checked where the file shows both ends of a link; a seal between two shown
    // days (a day when none of this line's rows ran there) is not in the file, so is not a fault.
    let links = 0;
    for (const seals of chains.values()) {
      seals.sort((a, b) => compareText(a.day, b.day));
      for (let i = 1; i < seals.length; i++) {
        const prev = /** @type {{ day: string; hash: string }} */ (seals[i - 1]);
        const cur = /** @type {{ day: string; prev: string }} */ (seals[i]);
        if (cur.prev === prev.hash) links++;
        else if (nextUtcDay(prev.day) === cur.day) fail(`${label} chain`, `seal of ${cur.day} does not chain to the seal of ${prev.day}`);
      }
    }
    if (links > 0) pass(`${label} chain`, `${links} link(s) between consecutive seals confirmed`);
  }
  return { ok: checks.every((c) => c.ok), checks };
}
