import { defineConfig } from 'vitest/config';

// Builds four images and runs the whole compose stack: minutes, not seconds, and one file at a time.
export default defineConfig({
  test: {
    name: 'containers',
    root: import.meta.dirname,
    include: ['**/*.test.ts'],
    passWithNoTests: true,
    testTimeout: 600_000,
    // A cold build of the four images (empty BuildKit and npm caches) takes up to ~6 min each on 2 cores.
    hookTimeout: 2_700_000,
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
