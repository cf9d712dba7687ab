import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Integration tests start fixture processes through tsx (~1-2 s each on a busy 2-core machine).
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Child processes and TCP proxies are per file; forks keep each file's process cleanup isolated.
    pool: 'forks',
  },
});
