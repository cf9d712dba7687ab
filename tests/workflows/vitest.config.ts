import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'workflows',
    root: import.meta.dirname,
    include: ['**/*.test.ts'],
    passWithNoTests: true,
  },
});
