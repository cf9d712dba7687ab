import { defineConfig } from 'vitest/config';

// Builds four images and runs the whole compose stack: minutes, not seconds, and one file at a time.
export default defineConfig({
  test: {
    name: 'containers',
    root: import.meta.dirname,
    include: ['**/*.test.ts'],
    passWithNoTests: true,
    testTimeout: 600_000,
    // A cold build of the four images (empty BuildKit and npm caches) takes ~2 min on 2 cores (one shared
    // dependency/build stage); the bound leaves room for a slow registry.
    hookTimeout: 1_200_000,
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
