import { h } from '#jsx';
import type { Child } from 'hono/jsx';

/**
 * Every data table sits in one of these (docs/ARCHITECTURE.md, "UI rules"): on a narrow screen
 * the table scrolls inside this box, never the page, with its first column kept in view
 * (`.table-wrap` in app.css). It is a labelled region that takes keyboard focus, so a keyboard
 * user can scroll it too (WCAG 2.1.1; axe `scrollable-region-focusable`). `wide` keeps a table of
 * many prose columns (billing, usage, contracts) at a readable minimum width on a phone, scrolling
 * rather than squeezing each cell to a word a line.
 */
export function TableWrap(props: { label: string; children: Child; wide?: boolean }) {
  return (
    <div class={props.wide ? 'table-wrap table-wrap-wide' : 'table-wrap'} role="region" aria-label={props.label} tabindex={0}>
      {props.children}
    </div>
  );
}

/** A long name cut to the column's width with an ellipsis; the full text is its title. */
export const Truncate = (props: { text: string }) => (
  <span class="truncate" title={props.text}>
    {props.text}
  </span>
);
