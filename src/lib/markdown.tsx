/**
 * The one safe Markdown subset of the app, for everything hosts write for their customers
 * (announcements and their emails, legal agreements): headings (# … ######), paragraphs, line
 * breaks, **strong**, *emphasis* / _emphasis_, `code`, bulleted (- or *) and numbered (1.) lists,
 * and [links](https://…) whose target is http(s) or mailto. Nothing else is Markdown: raw HTML,
 * images, code blocks and tables stay text.
 *
 * Parsing produces plain data (blocks of inline runs), never HTML strings; the renderers below
 * turn it into hono/jsx, which escapes every text and attribute, or into plain text. So any
 * `<script>` or `"><img onerror>` in the body is shown as the characters typed.
 */
import { h } from '#jsx';
import type { Child } from 'hono/jsx';

export type Inline =
  | { kind: 'text'; text: string }
  | { kind: 'strong'; children: Inline[] }
  | { kind: 'em'; children: Inline[] }
  | { kind: 'code'; text: string }
  | { kind: 'link'; href: string; children: Inline[] }
  | { kind: 'break' };

export type HeadingLevel = 1 | 2 | 3 | 4 | 5 | 6;

export type Block =
  | { kind: 'heading'; level: HeadingLevel; children: Inline[] }
  | { kind: 'paragraph'; children: Inline[] }
  | { kind: 'list'; ordered: boolean; items: Inline[][] };

/** Only these link targets survive; anything else (javascript:, data:, relative) stays text. */
export function safeHref(url: string): string | null {
  const trimmed = url.trim();
  if (!/^(https?:\/\/|mailto:)/i.test(trimmed)) return null;
  try {
    const parsed = new URL(trimmed);
    if (!['http:', 'https:', 'mailto:'].includes(parsed.protocol)) return null;
    return parsed.href;
  } catch {
    return null;
  }
}

/** Inline Markdown: code spans, links, strong, emphasis; everything else text. */
export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let buffer = '';
  const flush = () => {
    if (buffer) out.push({ kind: 'text', text: buffer });
    buffer = '';
  };
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    // `code` is literal: nothing inside it is Markdown.
    const code = /^`([^`\n]+)`/.exec(rest);
    if (code) {
      flush();
      out.push({ kind: 'code', text: code[1]! });
      i += code[0].length;
      continue;
    }
    // [label](url)
    const link = /^\[([^\]\n]{1,500})\]\(([^)\s]{1,2000})\)/.exec(rest);
    if (link) {
      const href = safeHref(link[2]!);
      if (href) {
        flush();
        out.push({ kind: 'link', href, children: parseInline(link[1]!) });
        i += link[0].length;
        continue;
      }
    }
    const strong = /^(\*\*|__)(?=\S)([\s\S]*?\S)\1/.exec(rest);
    if (strong) {
      flush();
      out.push({ kind: 'strong', children: parseInline(strong[2]!) });
      i += strong[0].length;
      continue;
    }
    const em = /^(\*|_)(?=[^\s*_])([^*_\n]*?[^\s*_])\1/.exec(rest);
    if (em && (em[1] === '*' || i === 0 || !/\w/.test(text[i - 1]!))) {
      flush();
      out.push({ kind: 'em', children: parseInline(em[2]!) });
      i += em[0].length;
      continue;
    }
    buffer += text[i];
    i += 1;
  }
  flush();
  return out;
}

const lineInlines = (lines: string[]): Inline[] => {
  const out: Inline[] = [];
  lines.forEach((line, index) => {
    if (index > 0) out.push({ kind: 'break' });
    out.push(...parseInline(line.trim()));
  });
  return out;
};

const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d{1,9}[.)]\s+(.*)$/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;

/** Markdown into blocks. */
export function parseMarkdown(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  const endParagraph = () => {
    if (paragraph.length > 0) blocks.push({ kind: 'paragraph', children: lineInlines(paragraph) });
    paragraph = [];
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '') {
      endParagraph();
      i += 1;
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      endParagraph();
      blocks.push({ kind: 'heading', level: heading[1]!.length as HeadingLevel, children: parseInline(heading[2]!) });
      i += 1;
      continue;
    }
    const ordered = NUMBERED.test(line);
    if (ordered || BULLET.test(line)) {
      endParagraph();
      const pattern = ordered ? NUMBERED : BULLET;
      const items: Inline[][] = [];
      while (i < lines.length && pattern.test(lines[i]!)) {
        items.push(parseInline(pattern.exec(lines[i]!)![1]!.trim()));
        i += 1;
      }
      blocks.push({ kind: 'list', ordered, items });
      continue;
    }
    paragraph.push(line);
    i += 1;
  }
  endParagraph();
  return blocks;
}

/** Plain text: paragraphs split at blank lines, line breaks kept; nothing is markup. */
export function parsePlain(source: string): Block[] {
  return source
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => ({
      kind: 'paragraph' as const,
      children: part.split('\n').flatMap((line, index): Inline[] => (index > 0 ? [{ kind: 'break' }, { kind: 'text', text: line }] : [{ kind: 'text', text: line }])),
    }));
}

export const parseBody = (body: string, format: 'plain' | 'markdown'): Block[] => (format === 'markdown' ? parseMarkdown(body) : parsePlain(body));

/** Optional inline styles, for email clients (pages style through app.css classes instead). */
export interface RenderStyles {
  heading?: string;
  paragraph?: string;
  list?: string;
  link?: string;
}

function renderInline(nodes: Inline[], styles: RenderStyles): Child[] {
  return nodes.map((node) => {
    switch (node.kind) {
      case 'text':
        return node.text;
      case 'break':
        return <br />;
      case 'code':
        return <code>{node.text}</code>;
      case 'strong':
        return <strong>{renderInline(node.children, styles)}</strong>;
      case 'em':
        return <em>{renderInline(node.children, styles)}</em>;
      case 'link':
        // Web links leave the app in a new tab and pass no referrer nor ranking; mail links open the mail client.
        return node.href.startsWith('mailto:') ? (
          <a href={node.href} style={styles.link}>
            {renderInline(node.children, styles)}
          </a>
        ) : (
          <a href={node.href} style={styles.link} rel="noopener noreferrer nofollow" target="_blank">
            {renderInline(node.children, styles)}
          </a>
        );
    }
  });
}

function Heading(props: { level: number; style?: string; children: Child[] }) {
  switch (props.level) {
    case 2:
      return <h2 style={props.style}>{props.children}</h2>;
    case 3:
      return <h3 style={props.style}>{props.children}</h3>;
    case 4:
      return <h4 style={props.style}>{props.children}</h4>;
    case 5:
      return <h5 style={props.style}>{props.children}</h5>;
    default:
      return <h6 style={props.style}>{props.children}</h6>;
  }
}

/**
 * Blocks as JSX. A `# heading` becomes `headingBase` (a page with its own h1 passes 2, one with
 * its own h1 and h2 passes 3), so the outline stays in order; the deepest is h6.
 */
export function RichText(props: { blocks: Block[]; headingBase?: 2 | 3 | 4; styles?: RenderStyles; class?: string }) {
  const styles = props.styles ?? {};
  const base = props.headingBase ?? 3;
  return (
    <div class={props.class ?? 'rich-text'}>
      {props.blocks.map((block) => {
        if (block.kind === 'heading') {
          return (
            <Heading level={Math.min(6, base + block.level - 1)} style={styles.heading}>
              {renderInline(block.children, styles)}
            </Heading>
          );
        }
        if (block.kind === 'list') {
          const items = block.items.map((item) => <li>{renderInline(item, styles)}</li>);
          return block.ordered ? <ol style={styles.list}>{items}</ol> : <ul style={styles.list}>{items}</ul>;
        }
        return <p style={styles.paragraph}>{renderInline(block.children, styles)}</p>;
      })}
    </div>
  );
}

function inlineText(nodes: Inline[]): string {
  return nodes
    .map((node) => {
      switch (node.kind) {
        case 'text':
        case 'code':
          return node.text;
        case 'break':
          return '\n';
        case 'strong':
        case 'em':
          return inlineText(node.children);
        case 'link': {
          const label = inlineText(node.children);
          const target = node.href.replace(/^mailto:/, '');
          return label === target || label === node.href ? node.href : `${label} (${node.href})`;
        }
      }
    })
    .join('');
}

/** The plain-text version (emails' text/plain part): links spelled out, lists with markers. */
export function blocksToText(blocks: Block[]): string[] {
  const lines: string[] = [];
  for (const block of blocks) {
    if (lines.length > 0) lines.push('');
    if (block.kind === 'heading') {
      const text = inlineText(block.children);
      lines.push(text, '-'.repeat(Math.min(60, Math.max(3, text.length))));
    } else if (block.kind === 'list') {
      block.items.forEach((item, index) => lines.push(`${block.ordered ? `${index + 1}.` : '-'} ${inlineText(item)}`));
    } else {
      lines.push(...inlineText(block.children).split('\n'));
    }
  }
  return lines;
}
