import { createDataClients, type DerivedConfig, type ServiceBootstrap } from '@shop/service-kit';
import { createJwtVerifier, jwtVerifierOptionsFromConfig } from '@shop/service-kit/auth';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { buildApp, type PaymentApp } from './app.js';
import type { PaymentConfig } from './config.js';
import { SandboxProvider } from './modules/sandbox/sandbox.provider.js';

export interface ComposedPaymentService extends PaymentApp {
  pool: pg.Pool;
  redis: Redis;
}

/**
 * Everything the payment service runs on, built from its parsed config: PostgreSQL pool and Redis
 * client (wired into the kit), token verifier, sandbox provider and the app. `main.ts` adds the
 * workers and listens; integration tests compose the same service from a test environment.
 */
export async function composePaymentService(
  { config, kit }: Pick<ServiceBootstrap<PaymentConfig & DerivedConfig>, 'config' | 'kit'>,
  version: string,
): Promise<ComposedPaymentService> {
  const { pool, redis } = createDataClients(kit, config);
  const built = await buildApp({
    kit,
    pool,
    redis,
    verifier: createJwtVerifier(jwtVerifierOptionsFromConfig(config)),
    provider: new SandboxProvider({ pool, asyncDelayMs: config.SANDBOX_ASYNC_DELAY_MS, flags: kit.flags }),
    internalToken: config.INTERNAL_API_TOKEN,
    webhookSigningKey: config.PAYMENT_GATEWAY_KEY,
    webhookToleranceSeconds: config.PAYMENT_WEBHOOK_TOLERANCE_SECONDS,
    reconciliationLockTtlMs: config.RECONCILIATION_LOCK_TTL_MS,
    version,
  });
  return { ...built, pool, redis };
}
