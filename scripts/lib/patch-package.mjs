// Exact-text edits to a pinned dependency at install time (scripts/patch-drizzle.mjs,
// scripts/patch-hono.mjs): each edit names the exact text it replaces; if the package changes, the
// run stops with the file and the text it could not find rather than patch something else. A
// patched file is marked on its first line and skipped afterwards, so running again changes
// nothing (a new edit must go to a file no earlier edit touched, or `npm ci` restores the
// originals first). Files are replaced (written beside, then renamed), never written in place:
// node_modules may be a hard-linked copy of another checkout's, and that copy keeps its own files.
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
    if (text.startsWith(mark)) continue;
    const temporary = `${full}.hashyard-${process.pid}`;
    await writeFile(temporary, mark + apply(text, fileEdits, `${script}: ${file}`));
    await rename(temporary, full);
    patched += 1;
  }
  return patched;
}
