import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'containers',
    root: import.meta.dirname,
    include: ['**/*.test.ts'],
    passWithNoTests: true,
  },
});
