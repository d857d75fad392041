import { MAX_BATCH_BYTES } from '../telemetry/batch';

/** The journal keeps batches as gzip bytes: what the agent usually sent, and a tenth of the JSON. */
export async function gzip(text: string): Promise<ArrayBuffer> {
  return new Response(new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
}

/** Gunzips, refusing more than MAX_BATCH_BYTES (RangeError) so a small zip bomb cannot exhaust the isolate. */
export async function gunzipText(bytes: ArrayBuffer): Promise<string> {
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BATCH_BYTES) throw new RangeError('too large');
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return new TextDecoder().decode(out);
}
