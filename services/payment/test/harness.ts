import { bootstrapService, type ServiceKit } from '@shop/service-kit';
import { runMigrations } from '@shop/service-kit/migrate';
import {
  createTestEnvironment,
  type LoopbackService,
  listenOnLoopback,
  type TestEnvironment,
  type TestEnvironmentWithTokens,
} from '@shop/testing';
import { useTestApp } from '@shop/testing/vitest';
import type { FastifyInstance } from 'fastify';
import { type ComposedPaymentService, composePaymentService } from '../src/compose.js';
import { DB_SCHEMA, paymentConfigSchema } from '../src/config.js';

export const MIGRATIONS = new URL('../migrations', import.meta.url);
export const INTERNAL_TOKEN = 'internal-token-for-tests-0123456789';
export const GATEWAY_KEY = 'sandbox-gateway-key-0123456789';
const TEST_VERSION = '0.0.0-test';

/** One database (schema DB_SCHEMA migrated), one Redis prefix and a token issuer per test file. */
export type PaymentTestEnv = TestEnvironmentWithTokens;

export function createPaymentTestEnv(label: string): Promise<PaymentTestEnv> {
  return createTestEnvironment(label, {
    migrate: (url) => runMigrations({ connectionString: url, schema: DB_SCHEMA, dir: MIGRATIONS }),
    tokens: true,
  });
}

/** The payment service's environment on a test environment: the same keys main.ts parses. */
export function paymentServiceEnv(env: TestEnvironment, extra: Record<string, string> = {}) {
  return env.serviceEnv({
    INTERNAL_API_TOKEN: INTERNAL_TOKEN,
    PAYMENT_GATEWAY_KEY: GATEWAY_KEY,
    SANDBOX_ASYNC_DELAY_MS: '0',
    RECONCILIATION_LOCK_TTL_MS: '5000',
    ...extra,
  });
}

export interface RunningPaymentApp extends ComposedPaymentService, LoopbackService {
  kit: ServiceKit;
}

/**
 * The service main.ts runs (same config parse and wiring), listening on a free loopback port;
 * its workers are not started (a test that needs them calls the kit's `startWorkers`).
 */
export async function startPaymentApp(
  env: PaymentTestEnv,
  options: { beforeListen?: (app: FastifyInstance) => void } = {},
): Promise<RunningPaymentApp> {
  const service = bootstrapService({
    name: 'payment',
    version: TEST_VERSION,
    configSchema: paymentConfigSchema,
    env: paymentServiceEnv(env),
    inProcess: true,
  });
  const composed = await composePaymentService(service, TEST_VERSION);
  options.beforeListen?.(composed.app);
  const listening = await listenOnLoopback(service.kit, composed.server, { redis: composed.redis });
  return { ...composed, ...listening, kit: service.kit };
}

/** Per-file setup: environment and app in `beforeAll`, shut down and dropped in `afterAll`. */
export function usePaymentApp(label: string) {
  return useTestApp(
    () => createPaymentTestEnv(label),
    (env) => startPaymentApp(env),
  );
}
