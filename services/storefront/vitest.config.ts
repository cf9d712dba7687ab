import { defineConfig } from 'vitest/config';

// Unit tests of the client logic (money, session/refresh, idempotency keys, error mapping) run in
// Node with injected fetch, clocks and storage; the pages are covered by the browser suite
// (tests/browser) in real Chromium against the real services.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
