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

  it("the Worker validates with zod/mini, never full zod: full zod attaches JSON-schema converters to every schema and costs 15 KiB gzip more (bench/README.md)", () => {
    expect(Object.keys(workerSources).length).toBeGreaterThan(100);
    const zodImports = Object.entries(workerSources).flatMap(([file, source]) => importsOf(source).filter((spec) => spec === 'zod' || spec.startsWith('zod/')).map((spec) => `${file} → ${spec}`));
    expect(zodImports.length).toBeGreaterThan(20);
    expect(zodImports.filter((entry) => !entry.endsWith('→ zod/mini') && !entry.endsWith('→ zod/locales'))).toEqual([]);
    // A namespace import lets esbuild keep only what is used; `{ z }` keeps the whole namespace object.
    const braceImports = Object.entries(workerSources)
      .filter(([, source]) => /import\s*\{[^}]*\bz\b[^}]*\}\s*from\s*'zod(\/[^']*)?'/.test(source))
      .map(([file]) => file);
    expect(braceImports).toEqual([]);
  });

  it('src/env.ts imports neither the SiteState class nor page modules (no import cycles through the bindings)', () => {
    const imports = importsOf(envSource);
    expect(imports).not.toContain('./live/site-state');
    expect(imports.filter((spec) => spec.startsWith('./routes/') || spec.startsWith('../views') || spec.includes('prefetch'))).toEqual([]);
  });
});
