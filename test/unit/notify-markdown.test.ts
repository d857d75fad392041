import { describe, expect, it } from 'vitest';
import { blocksToText, parseInline, parseMarkdown, parsePlain, safeHref } from '../../src/notify/markdown';

describe('the announcement Markdown subset', () => {
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
});
