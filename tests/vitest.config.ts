import { defineConfig } from 'vitest/config';

// Each suite owns its folder and its own vitest.config.ts (timeouts differ a lot between them).
export default defineConfig({
  test: {
    projects: [
      './architecture/vitest.config.ts',
      './e2e/vitest.config.ts',
      './browser/vitest.config.ts',
      './manifests/vitest.config.ts',
      './workflows/vitest.config.ts',
      './containers/vitest.config.ts',
    ],
  },
});
