// Cuts hono's deprecated `app.mount()` helper (utils/mount.js, about 0.5 KiB gzip) out of the
// Worker bundle (bench/README.md, "The Worker bundle"): HonoBase imports it for its `mount`
// method, which esbuild cannot drop from the class, and Hashyard mounts no foreign application
// (its route files are Hono apps joined with `app.route`). `mount()` now throws instead.
// Run by `postinstall`, so `npm ci` applies it; the rules are scripts/lib/patch-package.mjs's.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { patchPackage } from './lib/patch-package.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EDITS = [
  ['dist/hono-base.js', [
    [
      'import { createMountedRequest } from "./utils/mount.js";\n',
      'const createMountedRequest = () => { throw new Error("hono as patched by scripts/patch-hono.mjs has no app.mount(): join Hono apps with app.route()"); };\n',
    ],
  ]],
];

const patched = await patchPackage({ root, name: 'hono', pinned: '4.13.19', mark: '/* hashyard: patched by scripts/patch-hono.mjs */\n', edits: EDITS, script: 'scripts/patch-hono.mjs' });
if (patched > 0) console.log(`patch-hono: hono 4.13.19: ${patched} file(s) patched (app.mount() out of the bundle)`);
