import { describe, expect, it } from 'vitest';
import { blocksToText, parseInline, parseMarkdown, parsePlain, RichText, safeHref } from '../../src/lib/markdown';

/** The HTML a page gets for a legal text (its h1 is the title, so `#` is an h2). */
const renderMarkdown = (source: string) => String(RichText({ blocks: parseMarkdown(source), headingBase: 2 }));

describe('the Markdown subset (announcements, their emails and legal agreements)', () => {
  it('parses headings, paragraphs with line breaks, lists, strong, emphasis and links', () => {
    expect(parseMarkdown('# Title\n\nLine one\nline two\n\n- a\n- **b**\n\n1. x\n2. *y*')).toEqual([
      { kind: 'heading', level: 1, children: [{ kind: 'text', text: 'Title' }] },
      { kind: 'paragraph', children: [{ kind: 'text', text: 'Line one' }, { kind: 'break' }, { kind: 'text', text: 'line two' }] },
      { kind: 'list', ordered: false, items: [[{ kind: 'text', text: 'a' }], [{ kind: 'strong', children: [{ kind: 'text', text: 'b' }] }]] },
      { kind: 'list', ordered: true, items: [[{ kind: 'text', text: 'x' }], [{ kind: 'em', children: [{ kind: 'text', text: 'y' }] }]] },
    ]);
    expect(parseInline('see [docs](https://x.example/a?b=1) or [mail](mailto:ops@x.example)')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', href: 'https://x.example/a?b=1', children: [{ kind: 'text', text: 'docs' }] },
      { kind: 'text', text: ' or ' },
      { kind: 'link', href: 'mailto:ops@x.example', children: [{ kind: 'text', text: 'mail' }] },
    ]);
  });

  it('keeps anything that is not an http(s) or mailto link as text', () => {
    for (const url of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,x', '/relative', '//evil.example', 'vbscript:x']) {
      expect(safeHref(url)).toBeNull();
      expect(parseInline(`[x](${url})`)).toEqual([{ kind: 'text', text: `[x](${url})` }]);
    }
  });

  it('leaves snake_case and lone markers alone, and plain text is never markup', () => {
    expect(parseInline('pool_user_name and 2 * 3 * 4')).toEqual([{ kind: 'text', text: 'pool_user_name and 2 * 3 * 4' }]);
    expect(parsePlain('# not a heading\n**not bold**')).toEqual([
      { kind: 'paragraph', children: [{ kind: 'text', text: '# not a heading' }, { kind: 'break' }, { kind: 'text', text: '**not bold**' }] },
    ]);
  });

  it('writes the text version with links spelled out', () => {
    expect(blocksToText(parseMarkdown('## Hi\n\n- [docs](https://x.example)\n\nbye'))).toEqual(['Hi', '---', '', '- docs (https://x.example/)', '', 'bye']);
  });

  it('renders headings, emphasis, code, lists and safe links as HTML', () => {
    const html = renderMarkdown('# Terms\n\nPay **on time**, *always*, by `SEPA`.\n\n- one\n- two\n\n1. first\n2. second\n\n[site](https://example.com) [mail](mailto:a@b.example)\n\n#### Small print');
    expect(html).toContain('<h2>Terms</h2>');
    expect(html).toContain('<strong>on time</strong>');
    expect(html).toContain('<em>always</em>');
    expect(html).toContain('<code>SEPA</code>');
    expect(html).toContain('<ul><li>one</li><li>two</li></ul>');
    expect(html).toContain('<ol><li>first</li><li>second</li></ol>');
    expect(html).toContain('<a href="https://example.com/" rel="noopener noreferrer nofollow" target="_blank">site</a>');
    expect(html).toContain('<a href="mailto:a@b.example">mail</a>');
    expect(html).toContain('<h5>Small print</h5>');
  });

  it('escapes HTML and refuses unsafe link targets in the HTML', () => {
    const html = renderMarkdown('<script>x</script> [a](javascript:alert(1)) [b](data:text/html,x) [c](/relative) [d](https://x.example/"onmouseover="y) `<b>`');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('<code>&lt;b&gt;</code>');
    expect(html).not.toMatch(/href="(javascript|data|\/relative)/);
    expect(html).not.toContain('"onmouseover');
  });

  it('keeps Markdown inside a code span literal', () => {
    expect(parseInline('run `**not bold** [x](https://x.example)` now')).toEqual([
      { kind: 'text', text: 'run ' },
      { kind: 'code', text: '**not bold** [x](https://x.example)' },
      { kind: 'text', text: ' now' },
    ]);
  });
});
