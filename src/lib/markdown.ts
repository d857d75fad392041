/**
 * A small, safe Markdown subset for text hosts write in the app (legal agreements): headings,
 * paragraphs, bullet and numbered lists, **bold**, *emphasis*, `code` and links to http(s) or
 * mailto addresses. Everything else is shown as the literal text: the input is HTML-escaped
 * before any markup is added, so no tag, attribute or script from the source can reach the page.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);

/** Only these link targets become links; anything else (javascript:, data:, relative) stays text. */
const SAFE_URL = /^(https?:\/\/[^\s]+|mailto:[^\s]+)$/i;

/** Inline markup on already-escaped text. */
function inline(escaped: string): string {
  // Code spans first, kept out of the other rules by a placeholder.
  const codes: string[] = [];
  let text = escaped.replace(/`([^`]+)`/g, (_m, code: string) => {
    codes.push(`<code>${code}</code>`);
    return `\u0000${codes.length - 1}\u0000`;
  });
  text = text.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (match, label: string, url: string) => {
    // The URL was escaped with the rest; &amp; is fine in an attribute, quotes are already entities.
    const raw = url.replace(/&amp;/g, '&');
    if (!SAFE_URL.test(raw)) return match;
    const external = /^https?:/i.test(raw);
    return `<a href="${url}"${external ? ' rel="noopener noreferrer nofollow" target="_blank"' : ''}>${label}</a>`;
  });
  text = text.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
  text = text.replace(/(^|[^*\w])\*([^*\s][^*]*?)\*(?!\w)/g, '$1<em>$2</em>');
  text = text.replace(/(^|[^_\w])_([^_\s][^_]*?)_(?!\w)/g, '$1<em>$2</em>');
  return text.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => codes[Number(i)]!);
}

/** Markdown (the subset above) to HTML that is safe to insert as-is. */
export function renderMarkdown(source: string): string {
  const lines = escapeHtml(source.replace(/\r\n?/g, '\n').replace(/\u0000/g, '')).split('\n');
  const out: string[] = [];
  let paragraph: string[] = [];
  let list: { tag: 'ul' | 'ol'; items: string[] } | null = null;
  const flushParagraph = () => {
    if (paragraph.length) out.push(`<p>${paragraph.map(inline).join('<br>')}</p>`);
    paragraph = [];
  };
  const flushList = () => {
    if (list) out.push(`<${list.tag}>${list.items.map((item) => `<li>${inline(item)}</li>`).join('')}</${list.tag}>`);
    list = null;
  };
  for (const line of lines) {
    const trimmed = line.trim();
    const heading = /^(#{1,6})\s+(.*?)\s*#*$/.exec(trimmed);
    const bullet = /^[-*+]\s+(.*)$/.exec(trimmed);
    const numbered = /^\d{1,9}[.)]\s+(.*)$/.exec(trimmed);
    if (trimmed === '') {
      flushParagraph();
      flushList();
    } else if (heading) {
      flushParagraph();
      flushList();
      // h1 is the page's own title: document headings start at h2.
      const level = Math.min(heading[1]!.length + 1, 6);
      out.push(`<h${level}>${inline(heading[2]!)}</h${level}>`);
    } else if (bullet || numbered) {
      flushParagraph();
      const tag = bullet ? 'ul' : 'ol';
      const current = list as { tag: 'ul' | 'ol'; items: string[] } | null;
      if (current && current.tag !== tag) flushList();
      list ??= { tag, items: [] };
      list.items.push((bullet ?? numbered)![1]!);
    } else {
      flushList();
      paragraph.push(trimmed);
    }
  }
  flushParagraph();
  flushList();
  return out.join('\n');
}
