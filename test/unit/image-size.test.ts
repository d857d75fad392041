import { describe, expect, it } from 'vitest';
import { imageInfo, sniffImageType } from '../../src/lib/image-size';
import { gif, jpeg, png, text, webp } from '../helpers/images';

describe('imageInfo: PNG', () => {
  it('reads width and height from IHDR', () => {
    expect(imageInfo(png(256, 256))).toEqual({ type: 'image/png', width: 256, height: 256 });
    expect(imageInfo(png(640, 200))).toEqual({ type: 'image/png', width: 640, height: 200 });
  });

  it('reads sizes past 16 bits (big-endian u32)', () => {
    expect(imageInfo(png(70_000, 3_000_000_000))).toEqual({ type: 'image/png', width: 70_000, height: 3_000_000_000 });
  });

  it('refuses a PNG signature without an IHDR chunk first, a truncated header, or a zero size', () => {
    const bytes = png(300, 300);
    const noIhdr = bytes.slice();
    noIhdr.set([0x74, 0x45, 0x58, 0x74], 12); // tEXt
    expect(imageInfo(noIhdr)).toBeNull();
    expect(sniffImageType(noIhdr)).toBe('image/png');
    expect(imageInfo(bytes.slice(0, 20))).toBeNull();
    expect(imageInfo(png(0, 300))).toBeNull();
  });
});

describe('imageInfo: JPEG', () => {
  it('reads the baseline frame header, skipping APP0, APP1 (with a decoy SOF inside), DQT and DHT', () => {
    expect(imageInfo(jpeg(512, 512))).toEqual({ type: 'image/jpeg', width: 512, height: 512 });
    expect(imageInfo(jpeg(800, 600))).toEqual({ type: 'image/jpeg', width: 800, height: 600 });
  });

  it('reads a progressive frame header (SOF2) and tolerates 0xFF fill bytes before a marker', () => {
    expect(imageInfo(jpeg(300, 300, { progressive: true }))).toEqual({ type: 'image/jpeg', width: 300, height: 300 });
    expect(imageInfo(jpeg(420, 420, { fillBytes: 3 }))).toEqual({ type: 'image/jpeg', width: 420, height: 420 });
  });

  it('gives no size when the scan starts before any frame header, or the file is cut short', () => {
    const noFrame = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xda, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 0xff, 0xd9]);
    expect(imageInfo(noFrame)).toBeNull();
    expect(sniffImageType(noFrame)).toBe('image/jpeg');
    const whole = jpeg(400, 400);
    const sof = whole.findIndex((b, i) => b === 0xff && whole[i + 1] === 0xc0 && i > 30);
    expect(imageInfo(whole.slice(0, sof + 5))).toBeNull();
    expect(imageInfo(new Uint8Array([0xff, 0xd8, 0xff]))).toBeNull();
  });

  it('refuses garbage where a marker must be', () => {
    expect(imageInfo(new Uint8Array([0xff, 0xd8, 0x12, 0x34, 0x56]))).toBeNull();
  });
});

describe('imageInfo: WebP', () => {
  it.each(['VP8', 'VP8L', 'VP8X'] as const)('reads %s', (kind) => {
    expect(imageInfo(webp(256, 256, kind))).toEqual({ type: 'image/webp', width: 256, height: 256 });
    expect(imageInfo(webp(1000, 700, kind))).toEqual({ type: 'image/webp', width: 1000, height: 700 });
  });

  it('reads the extended canvas beyond 14 bits (VP8X, 24-bit sizes)', () => {
    expect(imageInfo(webp(20_000, 20_000, 'VP8X'))).toEqual({ type: 'image/webp', width: 20_000, height: 20_000 });
  });

  it('refuses a VP8 frame without its start code, a VP8L without its signature, an unknown chunk', () => {
    const lossy = webp(300, 300, 'VP8');
    lossy[23] = 0x00;
    expect(imageInfo(lossy)).toBeNull();
    const lossless = webp(300, 300, 'VP8L');
    lossless[20] = 0x00;
    expect(imageInfo(lossless)).toBeNull();
    const unknown = webp(300, 300, 'VP8');
    unknown.set([0x41, 0x4c, 0x50, 0x48], 12); // ALPH
    expect(imageInfo(unknown)).toBeNull();
    expect(sniffImageType(unknown)).toBe('image/webp');
  });
});

describe('imageInfo: not an image', () => {
  it.each([
    ['empty', new Uint8Array()],
    ['text', text()],
    ['GIF', gif(300, 300)],
    ['PDF', new TextEncoder().encode('%PDF-1.7\n%âãÏÓ\n')],
    ['SVG', new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300"></svg>')],
    ['RIFF but not WebP (WAVE)', new TextEncoder().encode('RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00')],
  ])('%s → null', (_name, bytes) => {
    expect(imageInfo(bytes)).toBeNull();
    expect(sniffImageType(bytes)).toBeNull();
  });
});
