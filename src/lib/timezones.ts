/**
 * IANA time zones offered and accepted: "UTC" first, then the runtime's own list, read once per
 * isolate. It used to be a 419-entry literal generated from Node's ICU (7.5 KiB of the bundle);
 * workerd's ICU gives exactly those 418 names (test/unit/timezones.test.ts pins that), and any
 * zone it lists is one `Intl.DateTimeFormat` can format.
 * @see https://developer.mozilla.org/docs/Web/JavaScript/Reference/Global_Objects/Intl/supportedValuesOf
 */
export const TIMEZONES: readonly string[] = ['UTC', ...Intl.supportedValuesOf('timeZone')];

const ZONES = new Set(TIMEZONES);

export function isTimezone(value: string): boolean {
  return ZONES.has(value);
}
