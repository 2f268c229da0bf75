import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The runtime's own tests alone: `npx vitest run --config packages/runtime/vitest.config.ts`.
// The root config runs them too, together with everything else.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
