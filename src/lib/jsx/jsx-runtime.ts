/**
 * The JSX runtime of every view and email: hono/jsx's server rendering rules, rendering at once
 * to an escaped string. The views are compiled with the classic factory (tsconfig `"jsx":
 * "react"`, `jsxFactory: "h"`), so each .tsx file that writes JSX imports `h` (and `Fragment` for
 * `<>…</>`) from `#jsx`: `<p class="x">{a}{b}</p>` becomes `h("p", { class: "x" }, a, b)`, about
 * 4 KiB gzip less of the Worker than the automatic runtime's `jsx("p", { class: "x", children:
 * [a, b] })` (bench/README.md, "The Worker bundle"). `h` hands its children on exactly as the
 * automatic runtime would have put them in `props.children`, so `jsx(tag, props)` below is both
 * the renderer and what `test/unit/jsx-runtime.test.ts` compares with hono/jsx.
 *
 * hono/jsx builds a node tree and renders it on `toString()`, with what a string-only server
 * never uses here: async components, context providers, `<title>`/`<meta>`/`<link>` hoisted into
 * `<head>`, form actions as functions, style objects and SVG attribute renaming. That was about
 * 11 KiB of the Worker (bench/README.md, "The Worker bundle"). This keeps its output byte for byte
 * for what we write: the same escaping (hono's `escapeToBuffer`'s five entities), void elements closed `/>`,
 * boolean attributes as `name=""` or left out, other booleans as `"true"`/`"false"`, `null` and
 * `undefined` attributes and children left out, numbers as they are, strings escaped, `raw()`
 * strings kept, nested arrays flattened, and a component's `children` shaped as hono passes them.
 * What it does not do fails loudly instead of rendering something else: a promise as a child or
 * attribute (no async components), a style object, a function attribute other than `on…`.
 *
 * The elements are `HtmlEscapedString`s, as hono's types already declare `JSX.Element`, so
 * `c.html()`, hono's `html` helper and hono/jsx trees take them as they are.
 */
import { raw, type HtmlEscapedString } from 'hono/utils/html';

import type { JSX as HonoJSX } from 'hono/jsx/jsx-runtime';

export type { HonoJSX as JSX };

type Props = Record<string, unknown>;
type Component = (props: Props) => unknown;

const VOID_ELEMENTS = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'keygen', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
const BOOLEAN_ATTRIBUTES = new Set([
  'allowfullscreen', 'async', 'autofocus', 'autoplay', 'checked', 'controls', 'default', 'defer', 'disabled', 'download', 'formnovalidate',
  'hidden', 'inert', 'ismap', 'itemscope', 'loop', 'multiple', 'muted', 'nomodule', 'novalidate', 'open', 'playsinline', 'readonly',
  'required', 'reversed', 'selected', 'shadowrootclonable', 'shadowrootdelegatesfocus', 'shadowrootserializable',
]);
/** React spellings hono/jsx accepts for these attributes. */
const ATTRIBUTE_NAMES: Record<string, string> = {
  className: 'class', htmlFor: 'for', crossOrigin: 'crossorigin', httpEquiv: 'http-equiv', itemProp: 'itemprop',
  fetchPriority: 'fetchpriority', noModule: 'nomodule', formAction: 'formaction',
};
const INVALID_ATTRIBUTE_NAME = /[\s"'<>/=`\\\x00-\x1f\x7f-\x9f]/;
const INVALID_TAG_NAME = /^[!?]|[\s"'<>/=`\\\x00-\x1f\x7f-\x9f]/;
/** Marks what this runtime rendered: as an attribute value it is escaped again, like hono's RENDERED_JSX. */
const RENDERED = Symbol('rendered JSX');

function rendered(html: string): HtmlEscapedString {
  const element = raw(html) as HtmlEscapedString & { [RENDERED]?: true };
  element[RENDERED] = true;
  return element;
}

const ENTITIES: Record<string, string> = { '"': '&quot;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const NEEDS_ESCAPE = /[&<>'"]/;
const ESCAPED_CHARACTERS = /[&<>'"]/g;

/** hono's `escapeToBuffer` without the buffer: the same five entities, and most text has none. */
function escape(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPED_CHARACTERS, (character) => ENTITIES[character]!) : text;
}

function isEscaped(value: object): value is HtmlEscapedString {
  return (value as { isEscaped?: boolean }).isEscaped === true;
}

function notSupported(what: string): never {
  throw new Error(`JSX: ${what} is not supported by src/lib/jsx/jsx-runtime.ts`);
}

function renderChildren(children: unknown, out: string): string {
  if (typeof children === 'string') return out + escape(children);
  if (typeof children === 'number') return out + children;
  if (children === null || children === undefined || typeof children === 'boolean') return out;
  if (children instanceof Promise) notSupported('a promise as a child (async component)');
  // valueOf(): the string inside; `+` on the String object itself takes V8's slow ToPrimitive path.
  if (typeof children === 'object' && isEscaped(children)) return out + children.valueOf();
  // hono walks any other object by index: arrays flatten, anything without a length adds nothing.
  const list = children as ArrayLike<unknown>;
  for (let i = 0; i < list.length; i++) out = renderChildren(list[i], out);
  return out;
}

function renderAttribute(tag: string, key: string, value: unknown): string {
  if (key === 'ref' || value === null || value === undefined) return '';
  if (typeof value === 'boolean' && BOOLEAN_ATTRIBUTES.has(key)) return value ? ` ${key}=""` : '';
  if (typeof value === 'function') {
    if (!key.startsWith('on')) throw new Error(`Invalid prop '${key}' of type 'function' supplied to '${tag}'.`);
    return '';
  }
  if (typeof value === 'string') return ` ${key}="${escape(value)}"`;
  if (typeof value === 'number') return ` ${key}="${value}"`;
  if (value instanceof Promise) notSupported('a promise as an attribute');
  if (key === 'style' && typeof value === 'object') notSupported('a style object (write the style as a string)');
  if (value instanceof String && isEscaped(value) && !(RENDERED in value)) return ` ${key}="${value}"`;
  return ` ${key}="${escape(String(value))}"`;
}

/** `children` as the automatic runtime puts them in `props.children`; `hasChildren` whether it is there at all. */
function renderElement(tag: string, props: Props | null, children: unknown, hasChildren: boolean): HtmlEscapedString {
  if (INVALID_TAG_NAME.test(tag)) throw new Error(`Invalid JSX tag name: ${tag}`);
  let html = `<${tag}`;
  for (const name in props) {
    const key = ATTRIBUTE_NAMES[name] ?? name;
    if (key === 'children' || key === '' || INVALID_ATTRIBUTE_NAME.test(key)) continue;
    if (key === 'dangerouslySetInnerHTML') notSupported('dangerouslySetInnerHTML (use raw())');
    html += renderAttribute(tag, key, props[name]);
  }
  const empty = !hasChildren || (Array.isArray(children) && children.length === 0);
  if (empty && VOID_ELEMENTS.has(tag)) return rendered(`${html}/>`);
  return rendered(`${renderChildren(children, `${html}>`)}</${tag}>`);
}

function renderComponent(component: Component, props: Props): HtmlEscapedString {
  // hono hands a component a one-element children array as its element (`<A>{[x]}</A>` gets `x`).
  if (Array.isArray(props.children) && props.children.length === 1) props = { ...props, children: props.children[0] };
  const result = component(props);
  if (result instanceof Promise) notSupported('an async component');
  return rendered(renderChildren(result, ''));
}

/** Renders `tag` with `props` as the automatic runtime passes them: children inside, as `props.children`. */
export function jsx(tag: string | Component, props: Props | null): HtmlEscapedString {
  props ??= {};
  return typeof tag === 'function' ? renderComponent(tag, props) : renderElement(tag, props, props.children, 'children' in props);
}

/**
 * The classic factory the views are compiled to. Children given as arguments replace
 * `props.children` the way the automatic runtime writes them: one child as itself, several as an
 * array, none leaves `props` as written (`<td {...rest} />` keeps `rest.children`). An element
 * takes them as they are: copying its props to add `children` was half of rendering a page.
 */
export function h(tag: string | Component, props: Props | null, ...children: unknown[]): HtmlEscapedString {
  if (children.length === 0) return jsx(tag, props);
  const given = children.length === 1 ? children[0] : children;
  return typeof tag === 'function' ? renderComponent(tag, { ...props, children: given }) : renderElement(tag, props, given, true);
}

// TypeScript finds the JSX types of the classic factory on the factory itself (`h.JSX`): hono's.
export declare namespace h {
  namespace JSX {
    type Element = HonoJSX.Element;
    type ElementType = HonoJSX.ElementType;
    interface ElementChildrenAttribute extends HonoJSX.ElementChildrenAttribute {}
    interface IntrinsicElements extends HonoJSX.IntrinsicElements {}
    interface IntrinsicAttributes extends HonoJSX.IntrinsicAttributes {}
  }
}

export function Fragment({ children }: { children?: unknown }): HtmlEscapedString {
  // hono's Fragment drops a falsy single child, `0` and `''` included.
  return rendered(Array.isArray(children) || children ? renderChildren(children, '') : '');
}
