import { describe, expect, it } from 'vitest';
import { bytesMatchKind, claimedKind, cleanFilename } from '../../src/support/attachments';

const bytes = (...values: number[]) => new Uint8Array(values);
const text = (value: string) => new TextEncoder().encode(value);

describe('ticket attachment types', () => {
  it('takes the claim from the extension first, else the MIME type', () => {
    expect(claimedKind('a.PNG', 'application/octet-stream')).toBe('png');
    expect(claimedKind('a.jpeg', '')).toBe('jpeg');
    expect(claimedKind('miner.log', 'application/octet-stream')).toBe('text');
    expect(claimedKind('noext', 'application/pdf')).toBe('pdf');
    expect(claimedKind('page.html', 'text/plain')).toBeNull();
    expect(claimedKind('tool.exe', 'image/png')).toBeNull();
  });

  it('checks magic numbers', () => {
    expect(bytesMatchKind(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), 'png')).toBe(true);
    expect(bytesMatchKind(bytes(0x89, 0x50, 0x4e, 0x47), 'png')).toBe(false);
    expect(bytesMatchKind(bytes(0xff, 0xd8, 0xff, 0xe0), 'jpeg')).toBe(true);
    expect(bytesMatchKind(text('GIF89a...'), 'gif')).toBe(true);
    expect(bytesMatchKind(text('RIFF\0\0\0\0WEBPVP8 '), 'webp')).toBe(true);
    expect(bytesMatchKind(text('RIFF\0\0\0\0WAVEfmt '), 'webp')).toBe(false);
    expect(bytesMatchKind(text('%PDF-1.7'), 'pdf')).toBe(true);
    expect(bytesMatchKind(text('<html>%PDF-'), 'pdf')).toBe(false);
  });

  it('takes logs only as UTF-8 text without NUL bytes', () => {
    expect(bytesMatchKind(text('12:00 hashboard 2 ✓\r\n'), 'text')).toBe(true);
    expect(bytesMatchKind(bytes(0x41, 0xc3), 'text')).toBe(false);
    expect(bytesMatchKind(bytes(0x41, 0x00, 0x42), 'text')).toBe(false);
  });

  it('cleans file names of paths, quotes and control characters', () => {
    expect(cleanFilename('C:\\Users\\me\\shot.png')).toBe('shot.png');
    expect(cleanFilename('../../etc/passwd')).toBe('passwd');
    expect(cleanFilename('a"b\r\n.png')).toBe('ab.png');
    expect(cleanFilename('')).toBe('attachment');
  });
});
