import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/lib/markdown';

describe('renderMarkdown', () => {
  it('renders headings, emphasis, lists and safe links', () => {
    const html = renderMarkdown('# Terms\n\nPay **on time**, *always*.\n\n- one\n- two\n\n1. first\n2. second\n\n[site](https://example.com) [mail](mailto:a@b.example)');
    expect(html).toContain('<h2>Terms</h2>');
    expect(html).toContain('<strong>on time</strong>');
    expect(html).toContain('<em>always</em>');
    expect(html).toContain('<ul><li>one</li><li>two</li></ul>');
    expect(html).toContain('<ol><li>first</li><li>second</li></ol>');
    expect(html).toContain('<a href="https://example.com" rel="noopener noreferrer nofollow" target="_blank">site</a>');
    expect(html).toContain('<a href="mailto:a@b.example">mail</a>');
  });

  it('escapes HTML and refuses unsafe link targets', () => {
    const html = renderMarkdown('<script>x</script> [a](javascript:alert(1)) [b](data:text/html,x) [c](/relative) [d](https://x.example/"onmouseover="y)');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toMatch(/href="(javascript|data|\/relative)/);
    expect(html).not.toContain('"onmouseover');
  });
});
