import { raw } from 'hono/html';
import * as hono from 'hono/jsx/jsx-runtime';
import { describe, expect, it } from 'vitest';
import * as ours from '../../src/lib/jsx/jsx-runtime';
import { parseMarkdown, RichText } from '../../src/lib/markdown';

/** The automatic runtime's calls, as esbuild emits them for `<tag {...props}>` (children inside props). */
type Runtime = { jsx: (tag: unknown, props: Record<string, unknown>) => unknown; Fragment: unknown };

const both = async (tree: (r: Runtime) => unknown) => {
  const theirs = String(await (tree(hono as unknown as Runtime) as { toString(): string | Promise<string> }).toString());
  const mine = String(tree(ours as unknown as Runtime));
  return { theirs, mine };
};

const HOSTILE = `"><script>alert('x')</script>&amp;`;

/** Trees in the shapes the views use; each renders through hono/jsx and through ours. */
const TREES: Record<string, (r: Runtime) => unknown> = {
  'text and attributes escaped': ({ jsx }) => jsx('p', { title: HOSTILE, class: 'x', children: [HOSTILE, ' and ', `'quoted'`] }),
  'boolean attributes': ({ jsx }) =>
    jsx('input', { type: 'checkbox', checked: true, disabled: false, required: true, 'aria-hidden': true, 'aria-expanded': false, 'data-on': false }),
  'null, undefined, numbers, zero': ({ jsx }) =>
    jsx('td', { 'data-n': 0, colspan: 2, title: null, id: undefined, children: [0, null, undefined, false, true, 12.5, ''] }),
  'void elements': ({ jsx }) =>
    jsx('div', { children: [jsx('br', {}), jsx('img', { src: '/a.png', alt: '' }), jsx('br', { children: [] }), jsx('hr', { children: undefined }), jsx('meta', { charset: 'utf-8' })] }),
  'nested arrays and maps': ({ jsx }) =>
    jsx('ul', { children: [[1, 2].map((n) => jsx('li', { children: n })), [[jsx('li', { children: 'deep' })]], []] }),
  'raw strings stay raw, rendered JSX as an attribute is escaped': ({ jsx }) =>
    jsx('div', { 'data-raw': raw('<b>&amp;</b>'), 'data-jsx': jsx('b', { children: 'x' }), children: [raw('<i>kept</i>'), jsx('span', { children: raw('&nbsp;') })] }),
  'react spellings and invalid attribute names': ({ jsx }) =>
    jsx('label', { className: 'a', htmlFor: 'b', 'bad name': 'x', 'bad"q': 'y', '': 'z', ref: 'r', onclick: () => 1, children: 'L' }),
  'components: one child, a one-element array, several, none': ({ jsx }) => {
    const Box = (props: { children?: unknown; label: string }) =>
      jsx('section', { 'data-kind': Array.isArray(props.children) ? `array ${props.children.length}` : props.children === undefined ? ('children' in props ? 'undefined' : 'none') : typeof props.children, children: [props.label, props.children] });
    return jsx('main', {
      children: [
        jsx(Box, { label: 'one', children: jsx('b', { children: 1 }) }),
        jsx(Box, { label: 'array of one', children: [jsx('b', { children: 1 })] }),
        jsx(Box, { label: 'several', children: [jsx('b', { children: 1 }), 'two'] }),
        jsx(Box, { label: 'none' }),
        jsx(Box, { label: 'empty', children: [] }),
        jsx(Box, { label: 'undefined', children: undefined }),
      ],
    });
  },
  'components returning strings, numbers, null, arrays, raw': ({ jsx }) =>
    jsx('div', {
      children: [
        jsx(() => HOSTILE, {}),
        jsx(() => 42, {}),
        jsx(() => null, {}),
        jsx(() => false, {}),
        jsx(() => ['a', jsx('i', { children: 'b' })], {}),
        jsx(() => raw('<hr>'), {}),
        jsx((p: { title: string; children?: unknown }) => jsx('h2', { children: [p.title, p.children] }), { title: 'T<', children: 'c&' }),
      ],
    }),
  fragments: ({ jsx, Fragment }) =>
    jsx('div', {
      children: [
        jsx(Fragment, { children: 0 }),
        jsx(Fragment, { children: '' }),
        jsx(Fragment, { children: [0, ''] }),
        jsx(Fragment, { children: [jsx('a', { href: '/x?a=1&b=2', children: 'x' }), 'y'] }),
        jsx(Fragment, {}),
      ],
    }),
  'document head and an SVG chart, as the layouts write them': ({ jsx }) =>
    jsx('html', {
      lang: 'en',
      children: [
        jsx('head', {
          children: [
            jsx('meta', { charset: 'utf-8' }),
            jsx('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' }),
            jsx('title', { children: HOSTILE }),
            jsx('link', { rel: 'stylesheet', href: '/css/app.css' }),
            jsx('script', { src: '/vendor/htmx.min.js', defer: true }),
          ],
        }),
        jsx('body', {
          children: [
            jsx('svg', {
              class: 'chart-svg',
              viewBox: '0 0 10 10',
              preserveAspectRatio: 'xMidYMid meet',
              role: 'img',
              children: [jsx('title', { id: 't', children: 'Chart & <title>' }), jsx('path', { d: 'M0 0L1 1', 'stroke-width': 2, fill: 'none' })],
            }),
            jsx('form', { method: 'post', action: '/x', novalidate: true, children: [jsx('input', { name: 'a', value: HOSTILE }), jsx('button', { type: 'submit', formaction: '/y', children: 'Go' })] }),
            jsx('textarea', { name: 't', children: HOSTILE }),
            jsx('select', { name: 's', children: [jsx('option', { value: 'a', selected: true, children: 'A' }), jsx('option', { value: 'b', selected: false, children: 'B' })] }),
          ],
        }),
      ],
    }),
};

describe('our JSX runtime renders what hono/jsx renders', () => {
  for (const [name, tree] of Object.entries(TREES)) {
    it(name, async () => {
      const { theirs, mine } = await both(tree);
      expect(mine).toBe(theirs);
    });
  }

  it('returns escaped strings, which hono takes as they are', () => {
    const element = ours.jsx('b', { children: '<x>' }) as unknown as { isEscaped: boolean; toString(): string };
    expect(element.isEscaped).toBe(true);
    expect(element.toString()).toBe('<b>&lt;x&gt;</b>');
  });

  it('is the runtime the views are compiled with (tsconfig jsxImportSource "#jsx")', () => {
    // hono/jsx would return a JSXNode; ours returns the escaped string itself.
    expect(RichText({ blocks: parseMarkdown('**a** <b>') })).toBeInstanceOf(String);
  });

  it('refuses what it does not render rather than render it differently', () => {
    expect(() => ours.jsx('div', { children: Promise.resolve('x') })).toThrow(/promise/);
    expect(() => ours.jsx(async () => 'x', {})).toThrow(/async component/);
    expect(() => ours.jsx('div', { style: { color: 'red' } })).toThrow(/style object/);
    expect(() => ours.jsx('div', { title: Promise.resolve('x') })).toThrow(/promise/);
    expect(() => ours.jsx('div', { dangerouslySetInnerHTML: { __html: '<b>' } })).toThrow(/dangerouslySetInnerHTML/);
    expect(() => ours.jsx('div', { hidden: () => 1 })).toThrow(/Invalid prop 'hidden'/);
    expect(() => ours.jsx('a b', {})).toThrow(/Invalid JSX tag name/);
  });
});
