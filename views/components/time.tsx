/**
 * Formatters are costly to build (ICU data lookups), and a list renders one timestamp per row:
 * keep one per (timezone, style) for the isolate's lifetime.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string, dateOnly: boolean): Intl.DateTimeFormat {
  const key = `${timezone}|${dateOnly}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, dateStyle: 'medium', timeStyle: dateOnly ? undefined : 'short' });
    formatters.set(key, formatter);
  }
  return formatter;
}

/** A timestamp in the host's timezone, with the exact instant in the datetime attribute. */
export function Time(props: { ms: number; timezone: string; dateOnly?: boolean }) {
  const date = new Date(props.ms);
  return <time datetime={date.toISOString()}>{formatterFor(props.timezone, props.dateOnly ?? false).format(date)}</time>;
}
