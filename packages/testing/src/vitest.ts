// `@shop/testing/vitest`: helpers that register vitest hooks, kept apart so the main entry never
// imports vitest (scripts such as the bench load it outside a test run).
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { type ServiceBehindProxies, startServiceBehindProxies } from './outage.js';

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

type Environment = { teardown(): Promise<void> };
type App = { close(): Promise<void> };

/** `environment()` then `start(env)`; the environment is torn down again if the start fails. */
export async function startWithEnvironment<E extends Environment, A extends App>(
  environment: () => Promise<E>,
  start: (env: E) => Promise<A>,
): Promise<A & { env: E }> {
  const env = await environment();
  try {
    return { ...(await start(env)), env };
  } catch (err) {
    await env.teardown();
    throw err;
  }
}

/**
 * A test file's app on its own environment: `startWithEnvironment` in `beforeAll`, `close()` then
 * `env.teardown()` in `afterAll`. Returns the started app with the environment as `env`.
 */
export function useTestApp<E extends Environment, A extends App>(
  environment: () => Promise<E>,
  start: (env: E) => Promise<A>,
): A & { env: E } {
  return useFileFixture(
    () => startWithEnvironment(environment, start),
    async (app) => {
      await app.close();
      await app.env.teardown();
    },
  );
}

/**
 * Asserts the answer a request gets while a dependency is unreachable: 503 problem+json with a
 * `Retry-After` and the stable `code`, whose detail names no address or driver message.
 */
export async function expectUnavailable(response: Response, code = 'DEPENDENCY.UNAVAILABLE'): Promise<void> {
  const body = (await response.json()) as { status?: number; code?: string; detail?: string };
  expect({ status: response.status, code: body.code }).toEqual({ status: 503, code });
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(body.detail ?? '').not.toMatch(/127\.0\.0\.1|ECONN|ENOTFOUND|terminat/i);
}

/**
 * A test file's service process behind cuttable proxies: `environment()` and
 * `startServiceBehindProxies(await options(env))` in `beforeAll`, both proxies forwarding again after
 * each test, the process stopped and the environment torn down in `afterAll`.
 */
export function useServiceBehindProxies<E extends Environment>(
  environment: () => Promise<E>,
  options: (env: E) => Promise<{ entry: string; env: Record<string, string> }>,
): ServiceBehindProxies & { env: E } {
  const running = useTestApp(environment, async (env) => startServiceBehindProxies(await options(env)));
  afterEach(async () => {
    await running.deps.restore();
  });
  return running;
}
