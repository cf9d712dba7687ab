import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'manifests',
    root: import.meta.dirname,
    include: ['**/*.test.ts'],
    // Installs helm/kubectl (scripts/ensure-helm.sh) and renders every chart and overlay once.
    globalSetup: ['./global-setup.ts'],
    // helm lint/template of five charts on a shared 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
