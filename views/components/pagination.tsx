import { h } from '#jsx';

/**
 * Previous / next links for a keyset-paged list. Each link works without JavaScript (href); with
 * a `target`, htmx swaps only that results region and updates the address bar.
 */
export function KeysetPagination(props: {
  prevHref: string | null;
  nextHref: string | null;
  /** The results region's id (without #), swapped in place; absent = plain links. */
  target?: string;
  prevLabel?: string;
  nextLabel?: string;
}) {
  if (!props.prevHref && !props.nextHref) return null;
  const swap = (href: string) => (props.target ? { 'hx-get': href, 'hx-target': `#${props.target}`, 'hx-swap': 'outerHTML', 'hx-push-url': 'true' } : {});
  const link = (href: string | null, label: string) =>
    href ? (
      <a class="btn" href={href} {...swap(href)}>
        {label}
      </a>
    ) : (
      <span class="btn disabled" aria-disabled="true">
        {label}
      </span>
    );
  return (
    <nav class="pagination" aria-label="Pages">
      {link(props.prevHref, props.prevLabel ?? '← Previous')}
      {link(props.nextHref, props.nextLabel ?? 'Next →')}
    </nav>
  );
}
