/// <reference types="vite/client" />
import { raw } from 'hono/html';
import * as hono from 'hono/jsx/jsx-runtime';
import { describe, expect, it } from 'vitest';
import * as ours from '../../src/lib/jsx/jsx-runtime';
import { parseMarkdown, RichText } from '../../src/lib/markdown';

/** The automatic runtime's calls, as esbuild emits them for `<tag {...props}>` (children inside props). */
type Runtime = { jsx: (tag: unknown, props: Record<string, unknown>) => unknown; Fragment: unknown };

/**
 * The same trees through `h`, the classic factory the views are compiled to: the children leave
 * the props and come as `h`'s argument, which must put them back exactly where they were.
 */
const oursClassic: Runtime = {
  jsx: (tag, written) => {
    const { children, ...props } = written;
    return 'children' in written ? ours.h(tag as string, props, children) : ours.h(tag as string, props);
  },
  Fragment: ours.Fragment,
};

const both = async (tree: (r: Runtime) => unknown) => {
  const theirs = String(await (tree(hono as unknown as Runtime) as { toString(): string | Promise<string> }).toString());
  const mine = String(tree(ours as unknown as Runtime));
  const classic = String(tree(oursClassic));
  return { theirs, mine, classic };
};

// Every .tsx file, read at build time by Vite: the JSX in them compiles to calls of `h`.
const tsxSources = import.meta.glob<string>(['../../src/**/*.tsx', '../../views/**/*.tsx', '../**/*.tsx'], { query: '?raw', import: 'default', eager: true });

/** A binding named `h` (a parameter, a variable, a destructured name) that would shadow the factory. */
const BINDS_H = /\b(?:const|let|var|function|class)\s+h\b|[(,]\s*h\s*(?:[,)=:?]|\)\s*=>)|(?:^|[^.\w$])h\s*=>|[{,]\s*h\s*[,}]/;

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
      const { theirs, mine, classic } = await both(tree);
      expect(mine).toBe(theirs);
      expect(classic).toBe(theirs);
    });
  }

  it('h passes children as the automatic runtime would: one as itself, several as an array, none as written', () => {
    const shape = (props: { children?: unknown }) =>
      Array.isArray(props.children) ? `array ${props.children.length}` : 'children' in props ? typeof props.children : 'none';
    const b = ours.h('b', null, 'x');
    expect(String(ours.h('p', { class: 'a' }, 'one', b, 2))).toBe(String(ours.jsx('p', { class: 'a', children: ['one', b, 2] })));
    expect(String(ours.h(shape, null, 'one', 'two'))).toBe('array 2');
    expect(String(ours.h(shape, null, b))).toBe('object');
    expect(String(ours.h(shape, null, [b]))).toBe('object'); // `<A>{[x]}</A>` gets `x`, as in hono
    expect(String(ours.h(shape, null))).toBe('none');
    expect(String(ours.h(shape, null, undefined))).toBe('undefined');
    // Spread props keep their children when the tag has none of its own (`<td {...rest} />`).
    expect(String(ours.h('td', { children: 'kept' }))).toBe('<td>kept</td>');
    expect(String(ours.h('td', { children: 'replaced' }, 'own'))).toBe('<td>own</td>');
    expect(String(ours.h('br', null))).toBe('<br/>');
  });

  it('returns escaped strings, which hono takes as they are', () => {
    const element = ours.jsx('b', { children: '<x>' }) as unknown as { isEscaped: boolean; toString(): string };
    expect(element.isEscaped).toBe(true);
    expect(element.toString()).toBe('<b>&lt;x&gt;</b>');
  });

  it('is the runtime the views are compiled with (tsconfig jsxFactory "h", imported from "#jsx")', () => {
    // hono/jsx would return a JSXNode; ours returns the escaped string itself.
    expect(RichText({ blocks: parseMarkdown('**a** <b>') })).toBeInstanceOf(String);
  });

  it('no .tsx file binds a name `h` of its own, which would shadow the factory for the JSX in its scope', () => {
    // TypeScript only checks that an `h` is in scope, not that it is the factory: `rows.map((h) => <td>{h.x}</td>)`
    // typechecks and fails at run time with "h is not a function".
    expect(Object.keys(tsxSources).length).toBeGreaterThan(100);
    const withoutImports = (source: string) => source.replace(/^import [^;]*;/gm, '');
    const offenders = Object.entries(tsxSources).filter(([, source]) => BINDS_H.test(withoutImports(source))).map(([file]) => file);
    expect(offenders).toEqual([]);
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
