import path from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'));
  return {
    // The views compile to the classic factory `h` (tsconfig.json); in development mode Vite's
    // transform would add React's `__self`/`__source` debugging props to every element, which our
    // runtime renders as attributes. wrangler's esbuild never adds them.
    oxc: { jsx: { development: false } },
    plugins: [
      cloudflareTest({
        main: './src/index.ts',
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            ENVIRONMENT: 'test',
            APP_HOST: 'hashyard.test',
            SESSION_SECRET: 'test-session-secret-0123456789abcdef',
          },
        },
      }),
    ],
    test: {
      include: ['test/**/*.test.{ts,tsx}'],
      setupFiles: ['./test/helpers/apply-migrations.ts'],
    },
  };
});
