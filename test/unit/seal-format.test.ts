import { describe, expect, it } from 'vitest';
import { billedWh, type KwhSource } from '../../src/billing/energy';
import { energyAmountMinor } from '../../src/billing/money';
import {
  canonicalSealText,
  csvCell,
  evidenceCsvHeader,
  evidenceCsvRecord,
  EVIDENCE_COLUMNS,
  exactAmountText,
  GENESIS_HASH,
  parseCsv,
  recomputeAmountMinor,
  recomputeBilledWh,
  sealHash,
  utcDayOf,
} from '../../src/billing/seal-format.js';
import { VECTOR_HASH, VECTOR_INPUT, VECTOR_TEXT } from '../node/seal-vector.mjs';
import { rng } from '../helpers/random';

/** Deterministic pseudo-random integers below `max` (test/helpers/random.ts), so a failure reproduces. */
function random(seed: number) {
  const next = rng(seed);
  return (max: number) => Math.floor(next() * max);
}

describe('the seal canonical form', () => {
  it('matches the published vector in workerd (the Node test checks the same vector)', async () => {
    expect(canonicalSealText(VECTOR_INPUT)).toBe(VECTOR_TEXT);
    expect(await sealHash(VECTOR_INPUT)).toBe(VECTOR_HASH);
  });

  it('does not depend on row order, and changes with any field, the chain or the coordinates', async () => {
    const base = await sealHash(VECTOR_INPUT);
    expect(await sealHash({ ...VECTOR_INPUT, rows: [...VECTOR_INPUT.rows].reverse() })).toBe(base);
    const variants = [
      { ...VECTOR_INPUT, prevHash: 'a'.repeat(64) },
      { ...VECTOR_INPUT, customerKey: '' },
      { ...VECTOR_INPUT, siteId: 'site-2' },
      { ...VECTOR_INPUT, day: '2026-11-07' },
      ...(['energyWh', 'avgHashrateMths', 'onlineSeconds', 'samples', 'hourStart'] as const).map((field) => ({
        ...VECTOR_INPUT,
        rows: VECTOR_INPUT.rows.map((r, i) => (i === 0 ? { ...r, [field]: r[field]! + 1 } : r)),
      })),
      { ...VECTOR_INPUT, rows: VECTOR_INPUT.rows.map((r, i) => (i === 0 ? { ...r, energySource: 'miner' } : r)) },
      { ...VECTOR_INPUT, rows: VECTOR_INPUT.rows.slice(1) },
    ];
    const hashes = await Promise.all(variants.map((v) => sealHash(v)));
    expect(new Set([base, ...hashes]).size).toBe(variants.length + 1);
  });

  it('refuses non-integers rather than hash a float’s text', () => {
    expect(() => canonicalSealText({ ...VECTOR_INPUT, rows: [{ ...VECTOR_INPUT.rows[0]!, energyWh: 1.5 }] })).toThrow(/Not an integer/);
  });

  it('chains the first seal to 64 zeros and names UTC days', () => {
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    expect(utcDayOf(Date.UTC(2026, 10, 6, 23, 59, 59, 999))).toBe('2026-11-06');
    expect(utcDayOf(Date.UTC(2026, 10, 7))).toBe('2026-11-07');
  });
});

describe('the verifier’s arithmetic equals billing’s', () => {
  it('recomputes billed Wh exactly as billedWh does, for every source, over 10,000 random rows', () => {
    const next = random(9);
    const sources: KwhSource[] = ['metered', 'spec', 'hashrate'];
    for (let i = 0; i < 10_000; i++) {
      const row = {
        minerId: 'm',
        hourStart: 0,
        siteId: 's',
        customerId: 'c',
        energyWh: next(8_000),
        energySource: 'miner',
        avgHashrateMths: next(400_000),
        onlineSeconds: next(3_601),
        samples: 60,
      };
      const nominal = next(5) === 0 ? null : next(6_000);
      const efficiency = next(5) === 0 ? null : next(40_000);
      const source = sources[i % 3]!;
      expect(recomputeBilledWh(source, row, nominal, efficiency)).toBe(billedWh(row, source, { nominalPowerW: nominal }, efficiency));
    }
  });

  it('recomputes amounts exactly as energyAmountMinor does, in 0-, 2- and 3-digit currencies, negatives included', () => {
    const next = random(11);
    for (const [currency, exponent] of [
      ['JPY', 0],
      ['USD', 2],
      ['BHD', 3],
    ] as const) {
      for (let i = 0; i < 2_000; i++) {
        const wh = next(50_000_000) - 1_000_000;
        const rate = next(300_000);
        expect(recomputeAmountMinor(wh, rate, exponent)).toBe(energyAmountMinor(wh, rate, currency));
      }
    }
  });

  it('writes each row’s exact charge with nine decimals', () => {
    expect(exactAmountText(3_220, 81_250)).toBe('0.261625000');
    expect(exactAmountText(-79, 81_250)).toBe('-0.006418750');
    expect(exactAmountText(1_000_000, 1_000_000)).toBe('1000.000000000');
    expect(exactAmountText(0, 5)).toBe('0.000000000');
  });
});

describe('evidence CSV cells', () => {
  it('defuses formulas in text but leaves numbers alone, and quotes per RFC 4180', () => {
    expect(csvCell('=SUM(A1:A2)')).toBe("'=SUM(A1:A2)");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell('@cmd')).toBe("'@cmd");
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell(-42)).toBe('-42');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=1,"2"')).toBe(`"'=1,""2"""`);
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell(null)).toBe('');
  });

  it('parses back what it writes: quotes, commas, newlines, CRLF, a BOM', () => {
    const text =
      '\ufeff' +
      evidenceCsvHeader() +
      evidenceCsvRecord({ record_type: 'usage', unit_serial: 'has, comma "and" quotes\nand a newline', energy_wh: -5 }) +
      evidenceCsvRecord({ record_type: 'total' });
    const [header, first, second] = parseCsv(text);
    expect(header).toEqual([...EVIDENCE_COLUMNS]);
    expect(first![EVIDENCE_COLUMNS.indexOf('unit_serial')]).toBe('has, comma "and" quotes\nand a newline');
    expect(first![EVIDENCE_COLUMNS.indexOf('energy_wh')]).toBe('-5');
    expect(first).toHaveLength(EVIDENCE_COLUMNS.length);
    expect(second![0]).toBe('total');
    expect(() => parseCsv('"open')).toThrow(/Unterminated/);
  });
});
