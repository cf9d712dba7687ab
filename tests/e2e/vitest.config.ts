import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'e2e',
    root: import.meta.dirname,
    include: ['**/*.test.ts'],
    passWithNoTests: true,
    // One stack of four service processes per file; files run one after another (2-core machines).
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
