/**
 * A ZIP reader for the tests, written apart from src/team/zip.ts so the export is checked by an
 * independent reading: the end record, the central directory, each local header at its offset,
 * the stored bytes and their CRC-32 (computed bit by bit here, not with the writer's table).
 */
function crc32Bitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

export function unzip(buffer: ArrayBuffer): Map<string, string> {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  const end = bytes.length - 22;
  if (view.getUint32(end, true) !== 0x06054b50) throw new Error('no end of central directory record (or a comment)');
  const count = view.getUint16(end + 10, true);
  const directorySize = view.getUint32(end + 12, true);
  let at = view.getUint32(end + 16, true);
  if (at + directorySize !== end) throw new Error('central directory does not end where the end record starts');
  const files = new Map<string, string>();
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  for (let i = 0; i < count; i++) {
    if (view.getUint32(at, true) !== 0x02014b50) throw new Error(`bad central header ${i}`);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extra = view.getUint16(at + 30, true);
    const comment = view.getUint16(at + 32, true);
    const offset = view.getUint32(at + 42, true);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    if (method !== 0) throw new Error(`${name}: not stored`);
    if (view.getUint32(offset, true) !== 0x04034b50) throw new Error(`${name}: no local header at ${offset}`);
    const localName = view.getUint16(offset + 26, true);
    const localExtra = view.getUint16(offset + 28, true);
    const start = offset + 30 + localName + localExtra;
    const data = bytes.subarray(start, start + size);
    if (crc32Bitwise(data) !== crc) throw new Error(`${name}: CRC mismatch`);
    const descriptor = start + size;
    if (view.getUint32(descriptor, true) !== 0x08074b50 || view.getUint32(descriptor + 4, true) !== crc || view.getUint32(descriptor + 12, true) !== size) {
      throw new Error(`${name}: data descriptor does not match`);
    }
    files.set(name, decoder.decode(data));
    at += 46 + nameLength + extra + comment;
  }
  return files;
}
