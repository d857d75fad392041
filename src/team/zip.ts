/**
 * A streaming ZIP writer (store method, no compression) for the host's data export: each entry's
 * local header goes out before its data, and its CRC-32 and size follow in a data descriptor
 * (general-purpose flag bit 3), so a CSV of any length is written in chunks without being held
 * in memory. Every reader that uses the central directory (unzip, Python zipfile, 7-Zip, macOS,
 * Windows) opens it. No ZIP64: an archive stops at 4 GiB and 65,535 entries (checked).
 * @see https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT (4.3.9 data descriptor)
 */

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE) continued over `bytes`; start with 0. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** What the central directory needs to know about an entry once its data is written. */
export interface ZipEntry {
  name: string;
  /** Byte offset of the entry's local header in the archive. */
  offset: number;
  crc: number;
  size: number;
}

export const ZIP_MAX_BYTES = 0xffffffff;
export const ZIP_MAX_ENTRIES = 0xffff;
/** Bit 3: sizes and CRC in a data descriptor after the data; bit 11: the name is UTF-8. */
const FLAGS = 0x0808;
const encoder = new TextEncoder();

/** MS-DOS date and time of `ms` (UTC), as the headers store it. */
function dosDateTime(ms: number): { time: number; date: number } {
  const d = new Date(ms);
  const time = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2);
  const date = ((Math.max(d.getUTCFullYear(), 1980) - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
  return { time, date };
}

/** The local file header that opens an entry (CRC and sizes zero: the data descriptor has them). */
export function localHeader(name: string, modifiedAt: number): Uint8Array {
  const nameBytes = encoder.encode(name);
  const out = new Uint8Array(30 + nameBytes.length);
  const view = new DataView(out.buffer);
  const { time, date } = dosDateTime(modifiedAt);
  view.setUint32(0, 0x04034b50, true);
  view.setUint16(4, 20, true); // version needed: 2.0
  view.setUint16(6, FLAGS, true);
  view.setUint16(8, 0, true); // method: store
  view.setUint16(10, time, true);
  view.setUint16(12, date, true);
  // 14..25: CRC, compressed and uncompressed size, all zero here.
  view.setUint16(26, nameBytes.length, true);
  view.setUint16(28, 0, true);
  out.set(nameBytes, 30);
  return out;
}

/** The data descriptor that closes an entry. */
export function dataDescriptor(crc: number, size: number): Uint8Array {
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x08074b50, true);
  view.setUint32(4, crc, true);
  view.setUint32(8, size, true);
  view.setUint32(12, size, true);
  return out;
}

/** The central directory and its end record, written after the last entry at `offset`. */
export function centralDirectory(entries: readonly ZipEntry[], offset: number, modifiedAt: number): Uint8Array {
  if (entries.length > ZIP_MAX_ENTRIES) throw new Error('Too many files for a ZIP without ZIP64.');
  const { time, date } = dosDateTime(modifiedAt);
  const names = entries.map((entry) => encoder.encode(entry.name));
  const directorySize = names.reduce((sum, name) => sum + 46 + name.length, 0);
  if (offset + directorySize + 22 > ZIP_MAX_BYTES) throw new Error('The archive would pass 4 GiB, the limit of a ZIP without ZIP64.');
  const out = new Uint8Array(directorySize + 22);
  const view = new DataView(out.buffer);
  let at = 0;
  entries.forEach((entry, i) => {
    const name = names[i]!;
    view.setUint32(at, 0x02014b50, true);
    view.setUint16(at + 4, 20, true); // made by: 2.0, MS-DOS attributes
    view.setUint16(at + 6, 20, true);
    view.setUint16(at + 8, FLAGS, true);
    view.setUint16(at + 10, 0, true);
    view.setUint16(at + 12, time, true);
    view.setUint16(at + 14, date, true);
    view.setUint32(at + 16, entry.crc, true);
    view.setUint32(at + 20, entry.size, true);
    view.setUint32(at + 24, entry.size, true);
    view.setUint16(at + 28, name.length, true);
    // 30..41: extra, comment, disk, internal and external attributes: zero.
    view.setUint32(at + 42, entry.offset, true);
    out.set(name, at + 46);
    at += 46 + name.length;
  });
  view.setUint32(at, 0x06054b50, true);
  view.setUint16(at + 8, entries.length, true);
  view.setUint16(at + 10, entries.length, true);
  view.setUint32(at + 12, directorySize, true);
  view.setUint32(at + 16, offset, true);
  return out;
}
