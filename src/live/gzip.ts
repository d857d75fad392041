import { MAX_BATCH_BYTES } from '../telemetry/batch';
import { readAtMost } from '../lib/stream';

/** The journal keeps batches as gzip bytes: what the agent usually sent, and a tenth of the JSON. */
export async function gzip(text: string): Promise<ArrayBuffer> {
  return new Response(new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
}

/** Gunzips, refusing more than MAX_BATCH_BYTES (RangeError) so a small zip bomb cannot exhaust the isolate. */
export async function gunzipText(bytes: ArrayBuffer): Promise<string> {
  const out = await readAtMost(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip')), MAX_BATCH_BYTES);
  if (!out) throw new RangeError('too large');
  return new TextDecoder().decode(out);
}
