// On-disk spool: every telemetry batch is written here before it is sent, one
// gzip file per batch, named by a monotonic sequence number so the oldest is
// replayed first. A batch leaves the spool only when the edge acknowledged it
// (deleted) or refused it for good (moved to dead/ with the reason). A crash
// at any point loses nothing; at worst a batch is sent twice, and the edge
// acknowledges and ignores a replayed batch_id.

import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { writeFileAtomic } from './state.mjs';

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

const NAME = /^(\d{12})-([0-9a-f-]{36})\.json\.gz$/;

/**
 * @typedef {{ batch_id: string, site_id?: string, created_at: string, miners: unknown[] }} SpooledBatch
 */

export class Spool {
  /**
   * @param {string} stateDir
   * @param {{ maxBytes?: number, log?: (msg: string) => void }} [opts]
   */
  constructor(stateDir, opts = {}) {
    this.dir = path.join(stateDir, 'spool');
    this.deadDir = path.join(stateDir, 'dead');
    this.maxBytes = opts.maxBytes ?? 1024 ** 3;
    this.log = opts.log ?? (() => {});
    this.nextSeq = 1;
  }

  async init() {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await fs.mkdir(this.deadDir, { recursive: true, mode: 0o700 });
    let max = 0;
    for (const name of await fs.readdir(this.dir)) {
      if (name.startsWith('.tmp-')) {
        await fs.rm(path.join(this.dir, name), { force: true }); // an interrupted write
        continue;
      }
      const m = NAME.exec(name);
      if (m) max = Math.max(max, Number(m[1]));
    }
    this.nextSeq = max + 1;
  }

  /** Spooled batch file names, oldest first. */
  async list() {
    return (await fs.readdir(this.dir)).filter((n) => NAME.test(n)).sort();
  }

  /** @param {string} name */
  static batchIdOf(name) {
    return NAME.exec(name)?.[2];
  }

  /**
   * Write a batch durably; returns its file name.
   * @param {SpooledBatch} batch
   */
  async put(batch) {
    const name = `${String(this.nextSeq++).padStart(12, '0')}-${batch.batch_id}.json.gz`;
    await writeFileAtomic(path.join(this.dir, name), await gzip(JSON.stringify(batch)), 0o600);
    await this.enforceCap(name);
    return name;
  }

  /** @param {string} name @returns {Promise<SpooledBatch>} */
  async read(name) {
    return JSON.parse((await gunzip(await fs.readFile(path.join(this.dir, name)))).toString('utf8'));
  }

  /** @param {string} name */
  async remove(name) {
    await fs.rm(path.join(this.dir, name), { force: true });
  }

  /**
   * Move a batch the edge will never accept to dead/, with the reason.
   * @param {string} name
   * @param {Record<string, unknown>} reason
   */
  async bury(name, reason) {
    await writeFileAtomic(
      path.join(this.deadDir, `${name}.reason.json`),
      `${JSON.stringify({ ...reason, batch_id: Spool.batchIdOf(name), at: new Date().toISOString() }, null, 2)}\n`,
      0o600,
    );
    await fs.rename(path.join(this.dir, name), path.join(this.deadDir, name));
  }

  async stats() {
    let bytes = 0;
    const names = await this.list();
    for (const n of names) bytes += (await fs.stat(path.join(this.dir, n))).size;
    return { count: names.length, bytes };
  }

  /**
   * Keep the spool under maxBytes by dropping the oldest batches (never the
   * one just written). This is the one case where data is discarded, and it
   * is logged with the batch ids.
   * @param {string} keep
   */
  async enforceCap(keep) {
    let { bytes } = await this.stats();
    if (bytes <= this.maxBytes) return;
    for (const n of await this.list()) {
      if (bytes <= this.maxBytes || n === keep) break;
      const size = (await fs.stat(path.join(this.dir, n))).size;
      await this.remove(n);
      bytes -= size;
      this.log(`spool over its ${this.maxBytes}-byte cap: dropped the oldest batch ${Spool.batchIdOf(n)}`);
    }
  }
}
