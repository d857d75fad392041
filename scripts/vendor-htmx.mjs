// Copies the pinned htmx build into public/ so pages load it from our own origin (strict CSP, no CDN).
import { copyFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'node_modules', 'htmx.org', 'dist', 'htmx.min.js');
const target = join(root, 'public', 'vendor', 'htmx.min.js');
if (existsSync(source)) {
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(source, target);
}
