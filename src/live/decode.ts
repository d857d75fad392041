import { validateTelemetryBatch, type TelemetryBatch } from '../telemetry/batch';
import type { IngestOutcome } from './contract';
import { gunzipText } from './gzip';

export type DecodedBatch = { ok: true; batch: TelemetryBatch; text: string } | Extract<IngestOutcome, { ok: false }>;

/**
 * A telemetry body as the agent sent it (gzip or plain JSON), decompressed, parsed and validated:
 * the one reading of the wire format, whether a site's object does it (one shard: the body crosses
 * the RPC boundary as bytes) or the Worker does it to split a sharded site's batch. A refusal
 * names its reason; the caller turns it into its answer.
 */
export async function decodeBatch(body: ArrayBuffer, encoding: 'gzip' | 'identity', now: number): Promise<DecodedBatch> {
  let text: string;
  try {
    text = encoding === 'gzip' ? await gunzipText(body) : new TextDecoder().decode(body);
  } catch (error) {
    return { ok: false, reason: error instanceof RangeError ? 'too_large' : 'bad_gzip' };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'bad_json' };
  }
  const validation = validateTelemetryBatch(raw, now);
  if (!validation.ok) return { ok: false, reason: 'invalid', fields: validation.fields };
  return { ok: true, batch: validation.batch, text };
}
