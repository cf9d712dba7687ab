import type { Server } from 'node:http';
import {
  type BackgroundWorker,
  createDataClients,
  type DerivedConfig,
  type ServiceBootstrap,
} from '@shop/service-kit';
import { createJwtVerifier, jwtVerifierOptionsFromConfig } from '@shop/service-kit/auth';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { buildApp } from './app.js';
import { type PaymentConfig, sandboxWebhookUrl } from './config.js';
import { createPaymentsRepository } from './modules/payments/payments.repository.js';
import { createPaymentsService, type PaymentsService } from './modules/payments/payments.service.js';
import {
  createReconciliationService,
  type ReconciliationService,
} from './modules/reconciliation/reconciliation.service.js';
import { createSandboxProvider } from './modules/sandbox/sandbox.provider.js';
import { createSandboxRepository } from './modules/sandbox/sandbox.repository.js';
import { createWorkers } from './workers.js';

export interface ComposedPaymentService {
  server: Server;
  app: FastifyInstance;
  workers: BackgroundWorker[];
  pool: pg.Pool;
  redis: Redis;
  payments: PaymentsService;
  reconciliation: ReconciliationService;
}

type Bootstrap = Pick<ServiceBootstrap<PaymentConfig & DerivedConfig>, 'config' | 'kit'>;

/** Repositories on the pool, the sandbox provider on its ledger, and the services on both. */
function createModules(
  config: PaymentConfig,
  kit: Bootstrap['kit'],
  pool: pg.Pool,
  redis: Redis,
  now: () => Date,
) {
  const paymentsRepository = createPaymentsRepository(pool);
  const sandboxRepository = createSandboxRepository(pool);
  const provider = createSandboxProvider({
    repository: sandboxRepository,
    asyncDelayMs: config.SANDBOX_ASYNC_DELAY_MS,
    now,
    flags: kit.flags,
  });
  const payments = createPaymentsService({ payments: paymentsRepository, provider, logger: kit.logger, now });
  const reconciliation = createReconciliationService({
    payments: paymentsRepository,
    redis,
    provider,
    lockTtlMs: config.RECONCILIATION_LOCK_TTL_MS,
    now,
  });
  return { payments, reconciliation, sandboxRepository };
}

/**
 * The payment service built from its parsed config: clients (PostgreSQL, Redis, token verifier) →
 * modules (repositories with the pool, sandbox provider, services) → workers → app. `main.ts`
 * starts the workers and listens; `test/harness.ts` composes the same service on a test environment.
 */
export async function composePaymentService(
  { config, kit }: Bootstrap,
  version: string,
): Promise<ComposedPaymentService> {
  const now = () => new Date();
  const { pool, redis } = createDataClients(kit, config);
  const verifier = createJwtVerifier(jwtVerifierOptionsFromConfig(config));

  const { payments, reconciliation, sandboxRepository } = createModules(config, kit, pool, redis, now);

  const workers = createWorkers({
    kit,
    pool,
    redis,
    payments,
    outboxPollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    outboxListen: config.OUTBOX_LISTEN,
    relayEnabled: config.OUTBOX_RELAY_ENABLED,
    ...(config.PAYMENT_PROVIDER === 'sandbox'
      ? {
          sandbox: {
            repository: sandboxRepository,
            webhookUrl: sandboxWebhookUrl(config),
            signingKey: config.PAYMENT_GATEWAY_KEY,
            pollIntervalMs: config.SANDBOX_WEBHOOK_POLL_MS,
          },
        }
      : {}),
    recovery: { afterMs: config.PAYMENT_RECOVERY_AFTER_MS, intervalMs: config.PAYMENT_RECOVERY_INTERVAL_MS },
    now,
  });

  const app = await buildApp({
    kit,
    version,
    payments,
    reconciliation,
    verifier,
    internalToken: config.INTERNAL_API_TOKEN,
    webhookSigningKey: config.PAYMENT_GATEWAY_KEY,
    webhookToleranceSeconds: config.PAYMENT_WEBHOOK_TOLERANCE_SECONDS,
    now,
  });
  return { server: app.server, app, workers, pool, redis, payments, reconciliation };
}
