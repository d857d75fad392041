/**
 * A stream's bytes, or null (the stream cancelled) as soon as they pass `limit`: for bodies that
 * may arrive chunked without a Content-Length, and for decompressed data (a small zip bomb).
 * `signal` abandons the read: the stream is cancelled and the promise rejects with its reason.
 */
export async function readAtMost(stream: ReadableStream<Uint8Array>, limit: number, signal?: AbortSignal): Promise<Uint8Array | null> {
  const reader = stream.getReader();
  const abandon = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', abandon, { once: true });
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    signal?.throwIfAborted();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    parts.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return bytes;
}
