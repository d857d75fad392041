/**
 * Exact decimal text ↔ scaled integers (money micro-units, milli-TH/s). Parsed from the digits
 * themselves, never through floating point, so "0.0425" at scale 6 is exactly 42,500.
 */

/**
 * Non-negative decimal text → integer in units of 10^-scale, rounded half-up at the first dropped
 * digit (scale 6: "0.0000005" → 1, "0.00000049" → 0). Null for anything that is not plain digits
 * with an optional decimal point (no sign, exponent, separators or currency).
 */
export function parseScaledDecimal(text: string, scale: number): number | null {
  const match = /^(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match || (match[1] === '' && (match[2] ?? '') === '')) return null;
  const whole = (match[1] ?? '').replace(/^0+(?=\d)/, '');
  const fraction = match[2] ?? '';
  if (whole.length > 9) return null; // beyond every cap we use; keeps the arithmetic exact
  const kept = fraction.slice(0, scale).padEnd(scale, '0');
  const roundUp = (fraction[scale] ?? '0') >= '5' ? 1 : 0;
  return Number(whole || '0') * 10 ** scale + Number(kept || '0') + roundUp;
}

/** Integer in units of 10^-scale → decimal text with at least `minDecimals` decimals, no trailing zeros beyond. */
export function formatScaledDecimal(value: number, scale: number, minDecimals = 0): string {
  const unit = 10 ** scale;
  const whole = Math.floor(value / unit);
  const fraction = String(value % unit)
    .padStart(scale, '0')
    .replace(/0+$/, '')
    .padEnd(minDecimals, '0');
  return fraction ? `${whole}.${fraction}` : String(whole);
}

/** A JSON number as the shortest text that reads back as the same number (String(0.1) is "0.1"). */
export const numberText = (value: string | number): string => (typeof value === 'number' ? String(value) : value.trim());
