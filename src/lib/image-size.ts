/**
 * Image type and pixel dimensions read from the file's own bytes: the magic number decides the
 * type (never the file name or the Content-Type the browser sent), the format's header gives the
 * size. Nothing is decoded, so a malformed body costs at most one pass over its markers.
 *
 * - PNG: 8-byte signature, then the IHDR chunk (always first): width and height, big-endian u32.
 * - JPEG: SOI (FF D8), then marker segments; the first SOFn frame header (C0–CF except C4 DHT,
 *   C8 JPG and CC DAC) holds height then width, big-endian u16. APPn, DQT, DHT, COM, … are skipped
 *   by their length; reaching SOS or EOI before a frame header means there is no size.
 * - WebP: RIFF container with form type WEBP; the first chunk is `VP8 ` (lossy: 14-bit sizes after
 *   the 9D 01 2A start code), `VP8L` (lossless: 0x2F signature, then 14-bit width-1 and height-1)
 *   or `VP8X` (extended: 24-bit canvas width-1 and height-1).
 */
export type ImageType = 'image/png' | 'image/jpeg' | 'image/webp';

export interface ImageInfo {
  type: ImageType;
  width: number;
  height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const ascii = (bytes: Uint8Array, at: number, length: number) => String.fromCharCode(...bytes.subarray(at, at + length));
const u16be = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const u16le = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
const u24le = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16);
const u32be = (b: Uint8Array, at: number) => ((b[at]! << 24) >>> 0) + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);

const sized = (type: ImageType, width: number, height: number): ImageInfo | null =>
  width > 0 && height > 0 ? { type, width, height } : null;

function png(b: Uint8Array): ImageInfo | null {
  if (b.length < 24) return null;
  if (ascii(b, 12, 4) !== 'IHDR') return null;
  return sized('image/png', u32be(b, 16), u32be(b, 20));
}

/** Markers that stand alone (no length field): TEM, RST0–7, SOI. */
const standalone = (marker: number) => marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8);
const isFrameHeader = (marker: number) => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

function jpeg(b: Uint8Array): ImageInfo | null {
  let at = 2;
  while (at < b.length) {
    if (b[at] !== 0xff) return null; // lost sync: not a marker where one must be
    while (at < b.length && b[at] === 0xff) at++; // fill bytes
    if (at >= b.length) return null;
    const marker = b[at]!;
    at++;
    if (standalone(marker)) continue;
    if (marker === 0xd9 || marker === 0xda) return null; // EOI or SOS before any frame header
    if (at + 2 > b.length) return null;
    const length = u16be(b, at);
    if (length < 2) return null;
    if (isFrameHeader(marker)) {
      // length(2) precision(1) height(2) width(2)
      if (length < 7 || at + 7 > b.length) return null;
      return sized('image/jpeg', u16be(b, at + 5), u16be(b, at + 3));
    }
    at += length;
  }
  return null;
}

function webp(b: Uint8Array): ImageInfo | null {
  if (b.length < 30) return null;
  const chunk = ascii(b, 12, 4);
  const data = 20;
  if (chunk === 'VP8 ') {
    // frame tag (3 bytes), start code 9D 01 2A, then 14-bit width and height (2 bits of scale each)
    if (b[data + 3] !== 0x9d || b[data + 4] !== 0x01 || b[data + 5] !== 0x2a) return null;
    return sized('image/webp', u16le(b, data + 6) & 0x3fff, u16le(b, data + 8) & 0x3fff);
  }
  if (chunk === 'VP8L') {
    if (b[data] !== 0x2f) return null;
    const bits = (b[data + 1]! | (b[data + 2]! << 8) | (b[data + 3]! << 16) | (b[data + 4]! << 24)) >>> 0;
    return sized('image/webp', (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (chunk === 'VP8X') {
    // flags (1 byte), reserved (3 bytes), canvas width-1 (24 bits), canvas height-1 (24 bits)
    return sized('image/webp', u24le(b, data + 4) + 1, u24le(b, data + 7) + 1);
  }
  return null;
}

/** The type from the magic number alone (even when the header is too damaged to measure). */
export function sniffImageType(bytes: Uint8Array): ImageType | null {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((byte, i) => bytes[i] === byte)) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'image/webp';
  return null;
}

/** The image's type and size, or null when the bytes are not a PNG, JPEG or WebP we can measure. */
export function imageInfo(bytes: Uint8Array): ImageInfo | null {
  switch (sniffImageType(bytes)) {
    case 'image/png':
      return png(bytes);
    case 'image/jpeg':
      return jpeg(bytes);
    case 'image/webp':
      return webp(bytes);
    default:
      return null;
  }
}
