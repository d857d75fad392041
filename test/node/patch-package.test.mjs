// scripts/lib/patch-package.mjs, which patches drizzle-orm and hono at postinstall: against a
// throwaway package in a temporary folder, never the installed ones.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { patchPackage } from '../../scripts/lib/patch-package.mjs';

const MARK = '/* hashyard: patched by scripts/patch-fake.mjs */\n';
const ORIGINAL = 'import { a } from "./a.js";\nclass Db {\n  count() {\n    return new Counter();\n  }\n}\n';

async function fakePackage() {
  const root = await mkdtemp(path.join(tmpdir(), 'patch-package-'));
  const dir = path.join(root, 'node_modules', 'fake');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'fake', version: '1.0.0' }));
  await writeFile(path.join(dir, 'db.js'), ORIGINAL);
  return { root, file: path.join(dir, 'db.js') };
}

const patch = (root, edits, pinned = '1.0.0') => patchPackage({ root, name: 'fake', pinned, mark: MARK, edits, script: 'scripts/patch-fake.mjs' });

test('patches once, marks the file with its edits, and a second run changes nothing', async () => {
  const { root, file } = await fakePackage();
  try {
    const edits = [['db.js', [['import { a } from "./a.js";\n', '']]]];
    assert.equal(await patch(root, edits), 1);
    const patched = await readFile(file, 'utf8');
    assert.match(patched, /^\/\* hashyard: patched by scripts\/patch-fake\.mjs \(edits [0-9a-f]{12}\) \*\/\nclass Db/);
    assert.equal(await patch(root, edits), 0);
    assert.equal(await readFile(file, 'utf8'), patched);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a file patched by other edits (an older script) stops the run and asks for npm ci, leaving it as it was', async () => {
  const { root, file } = await fakePackage();
  try {
    await patch(root, [['db.js', [['import { a } from "./a.js";\n', '']]]]);
    const before = await readFile(file, 'utf8');
    const more = [['db.js', [['import { a } from "./a.js";\n', ''], ['    return new Counter();\n', '    throw new Error("no count");\n']]]];
    await assert.rejects(patch(root, more), /node_modules\/fake\/db\.js was patched by other edits .* run `npm ci`/);
    assert.equal(await readFile(file, 'utf8'), before);
    // The same marker written by the old, digest-less format counts as other edits too.
    await writeFile(file, MARK + ORIGINAL);
    await assert.rejects(patch(root, more), /run `npm ci`/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('refuses another version, or text it cannot find exactly once, before writing anything', async () => {
  const { root, file } = await fakePackage();
  try {
    await assert.rejects(patch(root, [['db.js', [['class Db {\n', 'class Database {\n']]]], '2.0.0'), /fake is 1\.0\.0, the edits are written for 2\.0\.0/);
    await assert.rejects(patch(root, [['db.js', [['class Nothing {\n', '']]]]), /expected exactly one "class Nothing/);
    await assert.rejects(patch(root, [['db.js', [['  ', '']]]]), /expected exactly one/);
    assert.equal(await readFile(file, 'utf8'), ORIGINAL);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
