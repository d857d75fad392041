// A real, decodable PNG built in memory (no image library): raw RGBA rows deflated with
// node:zlib, wrapped in IHDR / IDAT / IEND chunks with their CRC-32s.
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

const hexToRgba = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).concat(0xff);

/**
 * A `width`×`height` PNG (8-bit RGBA): `background`, with a centred square of `foreground`
 * half the image's size, so it looks like a logo rather than a swatch. Colours are #rrggbb.
 */
export function logoPng(width, height, { background = '#0b6e4f', foreground = '#f59e0b' } = {}) {
  const bg = hexToRgba(background);
  const fg = hexToRgba(foreground);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type 6 (RGBA), deflate, no filter, no interlace
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 4); // filter byte 0 (None), then the pixels
    const inY = y >= height / 4 && y < (height * 3) / 4;
    for (let x = 0; x < width; x++) {
      const inside = inY && x >= width / 4 && x < (width * 3) / 4;
      row.set(inside ? fg : bg, 1 + x * 4);
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
