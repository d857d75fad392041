import { h } from '#jsx';
import { formatAgo, formatDate, timezoneNote } from '../../src/lib/format';

/**
 * A timestamp in the host's timezone (src/lib/format.ts; its formatters are cached per zone and
 * style), with the exact instant in the datetime attribute. The zone itself is stated once per
 * page (TimezoneNote), not after every time.
 */
export function Time(props: { ms: number; timezone: string; dateOnly?: boolean }) {
  const date = new Date(props.ms);
  return <time datetime={date.toISOString()}>{formatDate(props.ms, props.timezone, props.dateOnly ? 'date' : 'datetime')}</time>;
}

/** A live value's age ("15s ago"), with the absolute time in the host's zone as its title. */
export function Ago(props: { ms: number; now: number; timezone: string }) {
  return (
    <time datetime={new Date(props.ms).toISOString()} title={formatDate(props.ms, props.timezone)}>
      {formatAgo(props.ms, props.now)}
    </time>
  );
}

/** "Times in Europe/Berlin": once per page, in the layout's footer. */
export const TimezoneNote = (props: { timezone: string }) => <p class="timezone-note muted small">{timezoneNote(props.timezone)}</p>;
