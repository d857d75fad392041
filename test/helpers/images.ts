/**
 * Minimal, well-formed image files built byte by byte: the headers real encoders write (PNG
 * signature + IHDR with a correct CRC, JPEG SOI + APPn + DQT + SOFn + SOS + EOI, WebP RIFF with
 * VP8 / VP8L / VP8X), so the upload checks are exercised on the layouts they will meet.
 * `padTo` grows a file to an exact byte size (inside a chunk or comment, keeping it valid).
 */

import { crc32 } from '../../src/team/zip';

// PNG chunks carry the same CRC-32 (IEEE) as ZIP entries.

const ascii = (text: string) => Uint8Array.from(text, (ch) => ch.charCodeAt(0));
const u32be = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const u16be = (n: number) => [(n >>> 8) & 0xff, n & 0xff];
const u16le = (n: number) => [n & 0xff, (n >>> 8) & 0xff];
const u24le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff];
const u32le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

function concat(parts: (Uint8Array | number[])[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const typeAndData = concat([ascii(type), data]);
  return concat([u32be(data.length), typeAndData, u32be(crc32(typeAndData))]);
}

/** PNG: signature, IHDR (RGBA 8-bit), an IDAT of zlib-stored zero rows (or filler to `padTo`), IEND. */
export function png(width: number, height: number, options: { padTo?: number } = {}): Uint8Array {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  const ihdr = pngChunk('IHDR', new Uint8Array([...u32be(width), ...u32be(height), 8, 6, 0, 0, 0]));
  const iend = pngChunk('IEND', new Uint8Array());
  const fixed = signature.length + ihdr.length + iend.length + 12;
  const idatLength = options.padTo ? options.padTo - fixed : 16;
  if (idatLength < 0) throw new Error('padTo is smaller than the PNG headers');
  const idat = pngChunk('IDAT', new Uint8Array(idatLength));
  return concat([signature, ihdr, idat, iend]);
}

/**
 * JPEG: SOI, APP0 (JFIF), APP1 (an "Exif" blob that itself contains bytes looking like a SOF0
 * marker, which a parser must skip by length), DQT, DHT, the SOF (baseline C0 or progressive
 * C2), SOS, a little scan data, EOI. `fillBytes` puts 0xFF padding before the SOF marker.
 */
export function jpeg(width: number, height: number, options: { progressive?: boolean; padTo?: number; fillBytes?: number } = {}): Uint8Array {
  const segment = (marker: number, data: Uint8Array | number[]) => concat([[0xff, marker], u16be(data.length + 2), data]);
  const app0 = segment(0xe0, [...ascii('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  const decoy = [0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x20]; // a 32×16 "SOF0" inside APP1
  const app1 = segment(0xe1, [...ascii('Exif\0\0'), ...decoy, 0, 0, 0, 0]);
  const dqt = segment(0xdb, [0x00, ...new Array<number>(64).fill(1)]);
  const dht = segment(0xc4, [0x00, ...new Array<number>(16).fill(0)]);
  const sof = segment(options.progressive ? 0xc2 : 0xc0, [8, ...u16be(height), ...u16be(width), 3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1]);
  const fill = new Array<number>(options.fillBytes ?? 0).fill(0xff);
  const sos = segment(0xda, [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]);
  const eoi = [0xff, 0xd9];
  const head = concat([[0xff, 0xd8], app0, app1, dqt, dht, fill, sof, sos]);
  const scanLength = options.padTo ? options.padTo - head.length - eoi.length : 8;
  if (scanLength < 0) throw new Error('padTo is smaller than the JPEG headers');
  return concat([head, new Uint8Array(scanLength).fill(0x11), eoi]);
}

function riff(chunks: Uint8Array[]): Uint8Array {
  const body = concat([ascii('WEBP'), ...chunks]);
  return concat([ascii('RIFF'), u32le(body.length), body]);
}

function webpChunk(type: string, data: Uint8Array | number[]): Uint8Array {
  const padded = data.length % 2 === 1 ? concat([data, [0]]) : Uint8Array.from(data);
  return concat([ascii(type), u32le(data.length), padded]);
}

const vp8 = (width: number, height: number, extra = 10) =>
  webpChunk('VP8 ', [0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, ...u16le(width & 0x3fff), ...u16le(height & 0x3fff), ...new Array<number>(extra).fill(0)]);

/** WebP: lossy (VP8), lossless (VP8L) or extended (VP8X followed by a VP8 frame). */
export function webp(width: number, height: number, kind: 'VP8' | 'VP8L' | 'VP8X' = 'VP8', options: { padTo?: number } = {}): Uint8Array {
  const build = (extra: number) => {
    if (kind === 'VP8') return riff([vp8(width, height, extra)]);
    if (kind === 'VP8L') {
      const bits = ((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14) | (1 << 28);
      return riff([webpChunk('VP8L', [0x2f, ...u32le(bits >>> 0), ...new Array<number>(extra).fill(0)])]);
    }
    return riff([webpChunk('VP8X', [0x10, 0, 0, 0, ...u24le(width - 1), ...u24le(height - 1)]), vp8(Math.min(width, 0x3fff), Math.min(height, 0x3fff), extra)]);
  };
  const small = build(10);
  if (!options.padTo) return small;
  return build(10 + options.padTo - small.length);
}

/** Not an image at all, and other formats we refuse. */
export const gif = (width: number, height: number) => concat([ascii('GIF89a'), u16le(width), u16le(height), [0, 0, 0], ascii(';')]);
export const text = (content = 'just some text, not an image\n') => new TextEncoder().encode(content);
