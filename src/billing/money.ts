/**
 * Exact money arithmetic (docs/BILLING.md, "Money rules"). Amounts are integer minor units of
 * their currency (ISO 4217 exponent: JPY 0, USD 2, BHD 3); rates are integer micro-units of the
 * currency per kWh (or per TH/s per day); energy is integer Wh. Products go through BigInt, since
 * Wh x micro-units passes 2^53 on a large site's month, and every line is rounded once, half up,
 * by `divideRoundHalfUp`. No floating point touches money.
 */
import { isCurrencyCode } from '../lib/currencies';
import { formatScaledDecimal, parseScaledDecimal } from '../lib/decimal';
// The currency's minor-unit digits (USD 2, JPY 0, BHD 3): one definition, in src/lib/format.ts.
import { currencyExponent } from '../lib/format';

export { currencyExponent, isCurrencyCode };

/** Money as the JSON API and the services carry it. */
export interface Money {
  amount_minor: number;
  currency: string;
}

export const money = (amountMinor: number, currency: string): Money => ({ amount_minor: amountMinor, currency });

/**
 * n / d rounded half up (away from zero for halves of negative numbers too, so a credit rounds
 * like the charge it mirrors). The one rounding rule of billing, applied once per line.
 */
export function divideRoundHalfUp(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new Error('divisor must be positive');
  const negative = n < 0n;
  const abs = negative ? -n : n;
  const q = abs / d;
  const r = abs % d;
  const rounded = r * 2n >= d ? q + 1n : q;
  return negative ? -rounded : rounded;
}

const toSafeNumber = (value: bigint): number => {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new Error('Amount out of range');
  }
  return Number(value);
};

/** Energy charge: Wh x micro-units per kWh → minor units, rounded once. */
export function energyAmountMinor(energyWh: number | bigint, rateMicrosPerKwh: number, currency: string): number {
  const scale = 10n ** BigInt(currencyExponent(currency));
  // Wh/1000 = kWh; micros/1e6 = currency; x 10^exp = minor units.
  return toSafeNumber(divideRoundHalfUp(BigInt(energyWh) * BigInt(rateMicrosPerKwh) * scale, 1_000n * 1_000_000n));
}

/** amount x numerator / denominator in minor units, rounded once (proration, fractions of a fee). */
export function prorateMinor(amountMinor: number, numerator: number | bigint, denominator: number | bigint): number {
  return toSafeNumber(divideRoundHalfUp(BigInt(amountMinor) * BigInt(numerator), BigInt(denominator)));
}

/** Micro-units x a quantity in thousandths (milli-TH/s x days) → minor units, rounded once. */
export function microsTimesMilliAmountMinor(micros: number, milliQuantity: number | bigint, currency: string): number {
  const scale = 10n ** BigInt(currencyExponent(currency));
  return toSafeNumber(divideRoundHalfUp(BigInt(micros) * BigInt(milliQuantity) * scale, 1_000_000n * 1_000n));
}

/** Tax in basis points of a base amount, rounded once. */
export const taxMinor = (baseMinor: number, rateBps: number): number => prorateMinor(baseMinor, rateBps, 10_000);

/**
 * Decimal text in the currency's major unit ("1234.5" USD) → minor units (123450). Null for
 * anything else: a sign, more decimals than the currency has, separators, symbols.
 */
export function parseMoneyText(text: string, currency: string): number | null {
  const trimmed = text.trim();
  const exponent = currencyExponent(currency);
  const decimals = /\.(\d*)$/.exec(trimmed)?.[1]?.length ?? 0;
  if (decimals > exponent) return null;
  return parseScaledDecimal(trimmed, exponent);
}

/** Minor units → plain decimal text in the major unit ("1234.50"), for forms and CSV. */
export function minorToDecimalText(amountMinor: number, currency: string): string {
  const exponent = currencyExponent(currency);
  const sign = amountMinor < 0 ? '-' : '';
  return sign + formatScaledDecimal(Math.abs(amountMinor), exponent, exponent);
}

/** Minor units as people read them ("1,234.50 USD"): the one money formatter, src/lib/format.ts. */
export { formatMoney } from '../lib/format';

/** Micro-units per kWh → "0.0425" (at least two decimals). */
export const microsToRateText = (micros: number): string => formatScaledDecimal(micros, 6, 2);
