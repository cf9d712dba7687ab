// `@shop/testing/vitest`: helpers that register vitest hooks, kept apart so the main entry never
// imports vitest (scripts such as the bench load it outside a test run).
import { afterAll, beforeAll } from 'vitest';

/**
 * Per-file fixture: registers `beforeAll(setup)` and `afterAll(teardown)` where it is called and
 * returns an object that receives the setup result's own properties once `beforeAll` has run, so a
 * test file can hold it in one module-level `const`. Teardown runs only if setup succeeded; a setup
 * that fails half-way must clean up what it created before rethrowing.
 */
export function useFileFixture<T extends object>(
  setup: () => Promise<T>,
  teardown: (value: T) => Promise<void>,
): T {
  const handle = {} as T;
  let value: T | undefined;
  beforeAll(async () => {
    value = await setup();
    Object.assign(handle, value);
  });
  afterAll(async () => {
    if (value !== undefined) await teardown(value);
  });
  return handle;
}
