import { describe, expect, it } from 'vitest';
import { CURRENCY_CODES, currencyOptions, isCurrencyCode, MINOR_DIGITS } from '../../src/lib/currencies';
import { currencyExponent } from '../../src/lib/format';
import { currencyExponent as billingCurrencyExponent } from '../../src/billing/money';

const sha256Hex = async (text: string) =>
  [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))].map((b) => b.toString(16).padStart(2, '0')).join('');

describe('currencies: codes and digits by hand, names from workerd’s ICU', () => {
  it('are exactly the 155 codes and minor-unit digits of the former literal, so no stored amount changes scale', async () => {
    expect(CURRENCY_CODES).toHaveLength(155);
    expect(MINOR_DIGITS.size).toBe(155);
    // SHA-256 of "CODE digits" lines of the [code, name, digits] literal it replaced (commit e99cb1f).
    const lines = CURRENCY_CODES.map((code) => `${code} ${MINOR_DIGITS.get(code)}`).join('\n');
    expect(await sha256Hex(lines)).toBe('805d11256b602dec9cc82d8a986e13a54801a9fde041c971b813d2840603a536');
    expect([currencyExponent('JPY'), currencyExponent('USD'), currencyExponent('BHD')]).toEqual([0, 2, 3]);
    expect(billingCurrencyExponent).toBe(currencyExponent);
    expect(() => currencyExponent('XXX')).toThrow('Unknown currency XXX');
  });

  it('accepts listed codes only', () => {
    for (const code of ['USD', 'EUR', 'JPY', 'BHD', 'ZWG']) expect(isCurrencyCode(code)).toBe(true);
    for (const code of ['', 'usd', 'XXX', 'USD ', '<b>']) expect(isCurrencyCode(code)).toBe(false);
  });

  it('offers every code A to Z with the English name the former literal had: workerd’s ICU, four by hand', async () => {
    const options = currencyOptions();
    expect(options.map(([code]) => code)).toEqual([...CURRENCY_CODES].sort());
    const labels = new Map(options);
    expect(labels.get('EUR')).toBe('EUR — Euro');
    expect(labels.get('USD')).toBe('USD — US Dollar');
    expect(labels.get('ZWG')).toBe('ZWG — Zimbabwe Gold');
    // SHA-256 of the literal's rows joined as "code|name|digits" lines (commit e99cb1f).
    const rows = options.map(([code, label]) => `${code}|${label.slice(`${code} — `.length)}|${MINOR_DIGITS.get(code)}`).join('\n');
    expect(await sha256Hex(rows)).toBe('356b28a2d93cf4eba8dcdb370b7807f6a218a36dfabc3c9b5e2315e5fe7859e0');
    expect(currencyOptions()).toBe(options);
  });
});
