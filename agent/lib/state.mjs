// The agent's state directory:
//   agent.json   registration: agent_id, site_id, token (mode 0600)
//   config.json  the last configuration pulled from the edge
//   spool/       batches waiting to be delivered, one file each
//   dead/        batches the edge refused for good, each with a .reason.json
//   agent.lock   the pid of the agent using this directory

import fs from 'node:fs/promises';
import fsSync from 'node:fs';
import path from 'node:path';

/**
 * @typedef {{ api: string, agent_id: string, site_id: string, token: string,
 *   registered_at: string, revoked_at?: string }} Registration
 */

/**
 * Write a file atomically (temp file, fsync, rename) with the given mode.
 * @param {string} file
 * @param {string | Buffer} data
 * @param {number} [mode]
 */
export async function writeFileAtomic(file, data, mode = 0o600) {
  const tmp = path.join(path.dirname(file), `.tmp-${path.basename(file)}-${process.pid}-${Date.now()}`);
  const fh = await fs.open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.chmod(tmp, mode); // the umask may have narrowed or the file pre-existed
  await fs.rename(tmp, file);
}

/** @param {string} dir */
export async function ensureStateDir(dir) {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.mkdir(path.join(dir, 'spool'), { recursive: true, mode: 0o700 });
  await fs.mkdir(path.join(dir, 'dead'), { recursive: true, mode: 0o700 });
}

/**
 * @param {string} dir
 * @returns {Promise<Registration | null>}
 */
export async function loadRegistration(dir) {
  try {
    const v = JSON.parse(await fs.readFile(path.join(dir, 'agent.json'), 'utf8'));
    if (v && typeof v.token === 'string' && typeof v.agent_id === 'string') return v;
    return null;
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === 'ENOENT') return null;
    throw err;
  }
}

/** @param {string} dir @param {Registration} reg */
export async function saveRegistration(dir, reg) {
  await writeFileAtomic(path.join(dir, 'agent.json'), `${JSON.stringify(reg, null, 2)}\n`, 0o600);
}

/** @param {string} dir */
export async function loadSavedConfig(dir) {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, 'config.json'), 'utf8'));
  } catch {
    return null;
  }
}

/** @param {string} dir @param {unknown} config */
export async function saveConfig(dir, config) {
  await writeFileAtomic(path.join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`, 0o600);
}

/**
 * Take the directory's lock (one agent per state directory). A lock left by
 * a process that no longer exists is taken over.
 * @param {string} dir
 * @returns {() => void} release
 */
export function acquireLock(dir) {
  const file = path.join(dir, 'agent.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fsSync.openSync(file, 'wx', 0o600);
      fsSync.writeSync(fd, String(process.pid));
      fsSync.closeSync(fd);
      return () => {
        try {
          if (fsSync.readFileSync(file, 'utf8') === String(process.pid)) fsSync.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'EEXIST') throw err;
      const pid = Number(fsSync.readFileSync(file, 'utf8'));
      let alive = false;
      if (Number.isInteger(pid) && pid > 0) {
        try {
          process.kill(pid, 0);
          alive = true;
        } catch (e) {
          alive = /** @type {NodeJS.ErrnoException} */ (e).code === 'EPERM';
        }
      }
      if (alive && pid !== process.pid) throw new Error(`another agent (pid ${pid}) is using ${dir}`);
      fsSync.rmSync(file, { force: true });
    }
  }
  throw new Error(`could not lock ${dir}`);
}
