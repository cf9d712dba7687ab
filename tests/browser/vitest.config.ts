import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'browser',
    root: import.meta.dirname,
    include: ['**/*.browser.test.ts'],
    passWithNoTests: true,
    // One shop (four service processes, the storefront server, one Chromium) per file; files run one
    // after another (2-core machines).
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
