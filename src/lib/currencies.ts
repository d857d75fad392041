/**
 * ISO 4217 active currencies and their minor-unit digits (USD 2, JPY 0, BHD 3), kept by hand:
 * the digits are a money decision (every amount is integer minor units of them), so they never
 * follow a runtime update. Taken once from Node ICU (`Intl.supportedValuesOf('currency')` minus
 * retired and fund codes); edit when ISO changes. Every code not listed under 0 or 3 has 2 digits.
 */
const DIGITS_0 =
  'AFN ALL BIF CLP COP DJF GNF HUF IDR IQD IRR ISK JPY KMF KPW KRW LAK LBP MGA MMK PKR PYG RWF ' +
  'SOS SYP UGX VND VUV XAF XOF XPF YER';
const DIGITS_2 =
  'AED AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF ' +
  'CNY CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL ' +
  'HTG ILS INR JMD KES KGS KHR KYD KZT LKR LRD LSL MAD MDL MKD MNT MOP MRU MUR MVR MWK MXN MYR ' +
  'MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP ' +
  'SLE SRD SSP STN SVC SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD XCG ZAR ' +
  'ZMW ZWG';
const DIGITS_3 = 'BHD JOD KWD LYD OMR TND';

/** Code → minor-unit digits, for every currency offered and accepted. */
export const MINOR_DIGITS: ReadonlyMap<string, number> = new Map(
  ([[0, DIGITS_0], [2, DIGITS_2], [3, DIGITS_3]] as const).flatMap(([digits, codes]) => codes.split(' ').map((code) => [code, digits] as const)),
);

/** The codes, A to Z. */
export const CURRENCY_CODES: readonly string[] = [...MINOR_DIGITS.keys()].sort();

export function isCurrencyCode(value: string): boolean {
  return MINOR_DIGITS.has(value);
}

/**
 * Names workerd's ICU lacks (currencies newer than its data) or spells as older CLDR did
 * ("Kyrgystani Som"), as the former literal had them from Node's ICU.
 */
const NAMES_BY_HAND: Partial<Record<string, string>> = {
  KGS: 'Kyrgyz Som',
  SLE: 'Sierra Leonean Leone',
  XCG: 'Caribbean Guilder',
  ZWG: 'Zimbabwe Gold',
};

let options: ReadonlyArray<readonly [code: string, label: string]> | undefined;

/**
 * The currency select's options, "EUR — Euro", A to Z, with names from the runtime's ICU
 * (Intl.DisplayNames), built on first use. A 155-name literal used to ship in the bundle
 * (bench/README.md, "The Worker bundle"); test/unit/currencies.test.ts holds the labels to it.
 * @see https://developer.mozilla.org/docs/Web/JavaScript/Reference/Global_Objects/Intl/DisplayNames
 */
export function currencyOptions(): ReadonlyArray<readonly [code: string, label: string]> {
  if (!options) {
    const names = new Intl.DisplayNames(['en'], { type: 'currency' });
    options = CURRENCY_CODES.map((code) => [code, `${code} — ${NAMES_BY_HAND[code] ?? names.of(code) ?? code}`] as const);
  }
  return options;
}
