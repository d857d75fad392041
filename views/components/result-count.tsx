import { Fragment, h } from '#jsx';
import { formatCount } from '../../src/lib/format';
/** "12 customers match · Export CSV" above a list: the filtered total and, when any, the export. */
export function ResultCount(props: { total: number; noun: readonly [singular: string, plural: string]; filtered: boolean; exportHref: string }) {
  const { total } = props;
  return (
    <p class="result-count" role="status">
      {total === 1 ? `1 ${props.noun[0]}` : `${formatCount(total)} ${props.noun[1]}`}
      {props.filtered ? (total === 1 ? ' matches' : ' match') : ''}
      {total > 0 && (
        <>
          {' · '}
          <a class="export-link" href={props.exportHref}>
            Export CSV
          </a>
        </>
      )}
    </p>
  );
}
