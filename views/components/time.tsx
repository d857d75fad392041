/** A timestamp in the host's timezone, with the exact instant in the datetime attribute. */
export function Time(props: { ms: number; timezone: string; dateOnly?: boolean }) {
  const date = new Date(props.ms);
  const text = new Intl.DateTimeFormat('en-GB', {
    timeZone: props.timezone,
    dateStyle: 'medium',
    timeStyle: props.dateOnly ? undefined : 'short',
  }).format(date);
  return <time datetime={date.toISOString()}>{text}</time>;
}
