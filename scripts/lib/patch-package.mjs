// Exact-text edits to a pinned dependency at install time (scripts/patch-drizzle.mjs,
// scripts/patch-hono.mjs): each edit names the exact text it replaces; if the package changes, the
// run stops with the file and the text it could not find rather than patch something else. A
// patched file is marked on its first line with a digest of its edits and skipped afterwards, so
// running again changes nothing; a file marked by other edits stops the run and asks for `npm ci`
// (which restores the originals first). Files are replaced (written beside, then renamed), never
// written in place: node_modules may be a hard-linked copy of another checkout's, and that copy
// keeps its own files.
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** One edit: [text, replacement], or [start, end, replacement], which drops start up to (not including) end. */
function apply(text, edits, label) {
  for (const edit of edits) {
    if (edit.length === 2) {
      const [find, replacement] = edit;
      const at = text.indexOf(find);
      if (at < 0 || text.indexOf(find, at + 1) >= 0) throw new Error(`${label}: expected exactly one ${JSON.stringify(find.slice(0, 60))}`);
      text = text.slice(0, at) + replacement + text.slice(at + find.length);
    } else {
      const [start, end, replacement] = edit;
      const from = text.indexOf(start);
      const to = text.indexOf(end, from);
      if (from < 0 || to < 0 || text.indexOf(start, from + 1) >= 0) throw new Error(`${label}: expected one ${JSON.stringify(start.slice(0, 60))} before ${JSON.stringify(end.slice(0, 60))}`);
      text = text.slice(0, from) + replacement + text.slice(to);
    }
  }
  return text;
}

/**
 * Applies `edits` ([file, [edit, ...]] pairs, paths inside the package) to node_modules/`name` at
 * `root` when its version is `pinned`. Returns how many files it patched now; 0 when the package
 * is not installed.
 */
export async function patchPackage({ root, name, pinned, mark, edits, script }) {
  const dir = path.join(root, 'node_modules', name);
  let version;
  try {
    version = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')).version;
  } catch {
    return 0; // not installed (e.g. `npm ci --omit=dev` elsewhere): nothing to patch
  }
  if (version !== pinned) throw new Error(`${script}: ${name} is ${version}, the edits are written for ${pinned}; update ${script} with the pin`);
  let patched = 0;
  for (const [file, fileEdits] of edits) {
    const full = path.join(dir, file);
    const text = await readFile(full, 'utf8');
    // The mark names the file's edits by digest: a file patched by other edits (an older script,
    // before a pull) cannot be patched again from its patched text, and would ship what the new
    // edit takes out without a word.
    const stem = mark.trimEnd().replace(/ \*\/$/, '');
    const fileMark = `${stem} (edits ${createHash('sha256').update(JSON.stringify(fileEdits)).digest('hex').slice(0, 12)}) */\n`;
    if (text.startsWith(fileMark)) continue;
    if (text.startsWith(stem)) {
      throw new Error(`${script}: node_modules/${name}/${file} was patched by other edits (an earlier ${script}): run \`npm ci\` to install it afresh and patch it again`);
    }
    const temporary = `${full}.hashyard-${process.pid}`;
    await writeFile(temporary, fileMark + apply(text, fileEdits, `${script}: ${file}`));
    await rename(temporary, full);
    patched += 1;
  }
  return patched;
}
