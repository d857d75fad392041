import { Fragment, h } from '#jsx';
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';

/**
 * htmx settings, read by htmx from this meta tag (no inline script: the CSP forbids it).
 * 422 responses are swapped so forms re-render with their field errors; other errors arrive as
 * fragments that retarget themselves to #flash (HX-Retarget), so they are swapped too.
 */
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  responseHandling: [
    { code: '204', swap: false },
    { code: '[23]..', swap: true },
    { code: '[45]..', swap: true, error: true },
  ],
});

export function BaseLayout(props: { title: string; children: Child; bodyClass?: string; stylesheets?: string[] }) {
  return (
    <>
      {raw('<!doctype html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="htmx-config" content={HTMX_CONFIG} />
          <title>{props.title}</title>
          <link rel="stylesheet" href="/css/app.css" />
          {props.stylesheets?.map((href) => <link rel="stylesheet" href={href} />)}
          <script src="/vendor/htmx.min.js" defer></script>
        </head>
        <body class={props.bodyClass}>{props.children}</body>
      </html>
    </>
  );
}
