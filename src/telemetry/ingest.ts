import type { Bindings } from '../env';
import { AppError, ValidationError } from '../lib/errors';
import { MAX_BATCH_BYTES, minerKey, type TelemetryMiner } from './batch';
import { readAtMost } from '../lib/stream';
import { siteState } from '../live/client';
import { decodeBatch } from '../live/decode';
import { shardOfKey } from '../live/shard';
import type { IngestOutcome, IngestResult } from '../live/contract';

const TOO_LARGE = `The batch is larger than ${MAX_BATCH_BYTES / 1024 / 1024} MB; send fewer miners per batch.`;


/** The stream's bytes, refused (and the stream cancelled) as soon as they pass `limit`. */
async function readBounded(stream: ReadableStream<Uint8Array> | null, limit: number, signal?: AbortSignal): Promise<ArrayBuffer> {
  if (!stream) return new ArrayBuffer(0);
  const bytes = await readAtMost(stream, limit, signal);
  if (!bytes) throw new AppError('bad_request', TOO_LARGE);
  return bytes.buffer as ArrayBuffer;
}

/**
 * Reads the telemetry body as text: optionally gzip (`Content-Encoding: gzip`), bounded in size
 * after decompression so a small zip bomb cannot exhaust the isolate.
 */
export async function readTelemetryText(request: Request): Promise<string> {
  if (!request.body) throw new AppError('bad_request', 'Send the batch as a JSON body.');
  const encoding = (request.headers.get('Content-Encoding') ?? '').toLowerCase();
  let stream: ReadableStream<Uint8Array> = request.body;
  if (encoding === 'gzip') stream = stream.pipeThrough(new DecompressionStream('gzip'));
  else if (encoding && encoding !== 'identity') throw new AppError('bad_request', `Unsupported Content-Encoding "${encoding}"; use gzip or none.`);
  let bytes: ArrayBuffer;
  try {
    bytes = await readBounded(stream, MAX_BATCH_BYTES);
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('bad_request', 'The body could not be decompressed as gzip.');
  }
  return new TextDecoder().decode(bytes);
}

/** The body parsed as JSON (the bench's parse-only floor uses this). */
export async function readTelemetryBody(request: Request): Promise<unknown> {
  const text = await readTelemetryText(request);
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('bad_request', 'The body is not valid JSON.');
  }
}

export interface TelemetryPayload {
  body: ArrayBuffer;
  encoding: 'gzip' | 'identity';
}

/**
 * The body as the agent sent it, still compressed: SiteState decompresses, parses, validates and
 * keeps the compressed bytes as its journal entry, so nothing is decoded twice. `signal` abandons
 * the read (the request was refused meanwhile).
 */
export async function readTelemetryPayload(request: Request, signal?: AbortSignal): Promise<TelemetryPayload> {
  const header = (request.headers.get('Content-Encoding') ?? '').toLowerCase();
  if (header && header !== 'gzip' && header !== 'identity') throw new AppError('bad_request', `Unsupported Content-Encoding "${header}"; use gzip or none.`);
  const declared = Number(request.headers.get('Content-Length') ?? 0);
  if (declared > MAX_BATCH_BYTES) throw new AppError('bad_request', TOO_LARGE);
  // Read as a stream and stop at the limit: a chunked body has no Content-Length to check first.
  const body = await readBounded(request.body, MAX_BATCH_BYTES, signal);
  if (body.byteLength === 0) throw new AppError('bad_request', 'Send the batch as a JSON body.');
  return { body, encoding: header === 'gzip' ? 'gzip' : 'identity' };
}

const REFUSALS = {
  bad_json: 'The body is not valid JSON.',
  bad_gzip: 'The body could not be decompressed as gzip.',
  too_large: `The batch is larger than ${MAX_BATCH_BYTES / 1024 / 1024} MB once decompressed; send fewer miners per batch.`,
} as const;

const REJECTED_WHOLE = 'The batch was rejected whole: fix the fields named and send it again.';

/**
 * Hands the batch to the site's SiteState (the site comes from the agent's token, never from the
 * body). A batch with any invalid miner is rejected whole and nothing is written.
 *
 * A site of one shard (almost every site) gets the body as the agent sent it: the object
 * decompresses, parses and validates it, and keeps the bytes as its journal entry. A sharded site
 * (src/live/shard.ts) has the batch validated here once, split by the shard each unit's key hashes
 * to, and every shard sent its part in parallel, an empty part included: every shard learns of
 * every batch, so each knows when the site's agent last reported (what its silent-miner alerts
 * wait on) and the site's shard count.
 */
export async function ingestTelemetry(
  env: Pick<Bindings, 'SITE_STATE'>,
  agent: { hostId: string; siteId: string; liveShards?: number },
  payload: TelemetryPayload,
  origin?: string,
): Promise<IngestResult> {
  const context = { hostId: agent.hostId, siteId: agent.siteId, origin };
  const shards = agent.liveShards ?? 1;
  if (shards <= 1) {
    const outcome = await siteState(env, agent.siteId).ingestBody(context, payload.body, payload.encoding);
    if (outcome.ok) return outcome.result;
    throw refusalError(outcome);
  }
  const decoded = await decodeBatch(payload.body, payload.encoding, Date.now());
  if (!decoded.ok) throw refusalError(decoded);
  const batch = decoded.batch;
  const parts = Array.from({ length: shards }, (): TelemetryMiner[] => []);
  for (const miner of batch.miners) parts[shardOfKey(minerKey(miner), shards)]!.push(miner);
  const results = await Promise.all(parts.map((miners, index) => siteState(env, agent.siteId, index).ingest({ ...context, shard: { index, count: shards } }, { ...batch, miners })));
  return {
    duplicate: results.every((result) => result.duplicate),
    accepted: results.reduce((sum, result) => sum + result.accepted, 0),
    staged: results.reduce((sum, result) => sum + result.staged, 0),
    refused: results.flatMap((result) => result.refused),
  };
}

/** A batch refused whole (by the object, or here for a sharded site): the agent API's error. */
function refusalError(refusal: Extract<IngestOutcome, { ok: false }>): AppError {
  return refusal.reason === 'invalid' ? new ValidationError(refusal.fields, REJECTED_WHOLE) : new AppError('bad_request', REFUSALS[refusal.reason]);
}
