/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';

// The Worker's source text (src/ and views/), read at build time by Vite.
const workerSources = import.meta.glob<string>(['../../src/**/*.{ts,tsx}', '../../views/**/*.{ts,tsx}'], { query: '?raw', import: 'default', eager: true });
const views = Object.fromEntries(Object.entries(workerSources).filter(([file]) => file.startsWith('../../views/')));
const envSource = workerSources['../../src/env.ts']!;

const importsOf = (source: string) => [...source.matchAll(/from '([^']+)'|import\('([^']+)'\)/g)].map((m) => m[1] ?? m[2]!);

describe('layering', () => {
  it('views never import the database layer (src/db): pages get what they show from services', () => {
    expect(Object.keys(views).length).toBeGreaterThan(10);
    const offenders = Object.entries(views).flatMap(([file, source]) => importsOf(source).filter((spec) => spec.includes('/src/db/')).map((spec) => `${file} → ${spec}`));
    expect(offenders).toEqual([]);
  });

  it('the Worker validates with src/lib/schema, never zod: its own validators cost a fraction of zod/mini’s bytes (bench/README.md)', () => {
    expect(Object.keys(workerSources).length).toBeGreaterThan(100);
    const zodImports = Object.entries(workerSources).flatMap(([file, source]) => importsOf(source).filter((spec) => spec === 'zod' || spec.startsWith('zod/')).map((spec) => `${file} → ${spec}`));
    expect(zodImports).toEqual([]);
    const schemaUsers = Object.entries(workerSources).filter(([, source]) => importsOf(source).some((spec) => /(^|\/)lib\/schema$/.test(spec)));
    expect(schemaUsers.length).toBeGreaterThan(20);
    // A namespace import reads like zod's (`z.string()`) and lets esbuild keep only what is used.
    const braceImports = schemaUsers.filter(([, source]) => /import\s*\{[^}]*\}\s*from\s*'[^']*lib\/schema'/.test(source)).map(([file]) => file);
    expect(braceImports).toEqual([]);
  });

  it('src/env.ts imports neither the SiteState class nor page modules (no import cycles through the bindings)', () => {
    const imports = importsOf(envSource);
    expect(imports).not.toContain('./live/site-state');
    expect(imports.filter((spec) => spec.startsWith('./routes/') || spec.startsWith('../views') || spec.includes('prefetch'))).toEqual([]);
  });

  it('every data table in views sits in a TableWrap: a region that scrolls takes keyboard focus (axe scrollable-region-focusable)', () => {
    // Counted per file: a table outside the wrapper scrolls the page on a phone, or scrolls a box
    // no keyboard can reach, and the browser test only sees it when a page's data is wide that day.
    // The dev mailbox is a development page with its own stylesheet and no wide table.
    const unwrapped = Object.entries(views)
      .filter(([file]) => !file.endsWith('/dev-mailbox.tsx'))
      .map(([file, source]) => ({ file, tables: source.match(/<table\b/g)?.length ?? 0, wraps: source.match(/<TableWrap\b/g)?.length ?? 0 }))
      .filter(({ tables, wraps }) => tables !== wraps)
      .map(({ file, tables, wraps }) => `${file}: ${tables} tables, ${wraps} TableWrap`);
    expect(unwrapped).toEqual([]);
    const handWrittenWrappers = Object.entries(views).filter(([file, source]) => !file.endsWith('/components/table.tsx') && /class="table-(scroll|wrap)"/.test(source));
    expect(handWrittenWrappers.map(([file]) => file)).toEqual([]);
  });
});
