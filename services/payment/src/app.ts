import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Outbox } from '@shop/events';
import { type ServiceKit, ServiceUnavailableError } from '@shop/service-kit';
import type { JwtVerifier } from '@shop/service-kit/auth';
import { registerOpenApi, serviceKitPlugin } from '@shop/service-kit/fastify';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { internalOrAdmin } from './http/internal-or-admin.js';
import { paymentsRoutes } from './modules/payments/payments.routes.js';
import { PaymentsService } from './modules/payments/payments.service.js';
import { reconciliationRoutes } from './modules/reconciliation/reconciliation.routes.js';
import { ReconciliationService } from './modules/reconciliation/reconciliation.service.js';
import type { PaymentProvider } from './modules/sandbox/provider.js';
import { webhooksRoutes } from './modules/webhooks/webhooks.routes.js';

export const PAYMENTS_SCHEMA = 'payments';

export interface PaymentAppDeps {
  kit: ServiceKit;
  pool: pg.Pool;
  redis: Redis;
  verifier: JwtVerifier;
  provider: PaymentProvider;
  internalToken: string;
  webhookSigningKey: string;
  webhookToleranceSeconds: number;
  reconciliationLockTtlMs: number;
  now?: () => Date;
  version?: string;
}

export interface PaymentApp {
  app: FastifyInstance;
  payments: PaymentsService;
  reconciliation: ReconciliationService;
}

/** Builds the payment service's fastify instance and domain services (no listen, no environment). */
export async function buildApp(deps: PaymentAppDeps): Promise<PaymentApp> {
  const now = deps.now ?? (() => new Date());
  const app = Fastify({
    loggerInstance: deps.kit.logger as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await registerOpenApi(app, {
    title: 'Shop payment service',
    version: deps.version ?? '0.1.0',
    description:
      'Payment intents (idempotent per key, one capture per order), sandbox provider with signed webhooks, refunds, daily reconciliation.',
  });
  // Every answer is checked against its route's response schema (a body that breaks it is a 500).
  await app.register(serviceKitPlugin, { kit: deps.kit, validateResponses: true });

  const payments = new PaymentsService({
    pool: deps.pool,
    provider: deps.provider,
    outbox: new Outbox(PAYMENTS_SCHEMA),
    logger: deps.kit.logger,
    now,
  });
  const reconciliation = new ReconciliationService({
    pool: deps.pool,
    redis: deps.redis,
    provider: deps.provider,
    lockTtlMs: deps.reconciliationLockTtlMs,
    now,
  });
  const authorize = internalOrAdmin(deps.verifier, deps.internalToken);
  // Fault flag paymentUnreachable: the payment API answers 503 as if the service were gone, so the
  // order service's circuit breaker opens; probes and /metrics stay up.
  app.addHook('onRequest', async (request) => {
    if (request.url.startsWith('/api/v1/payments') && (await deps.kit.flags.get('paymentUnreachable'))) {
      throw new ServiceUnavailableError({
        code: 'PAYMENT.UNREACHABLE',
        detail: 'The payment service is unavailable (paymentUnreachable flag)',
        headers: { 'Retry-After': '5' },
      });
    }
  });

  await app.register(paymentsRoutes, { payments, authorize });
  await app.register(reconciliationRoutes, { reconciliation, authorize });
  await app.register(webhooksRoutes, {
    payments,
    signingKey: deps.webhookSigningKey,
    toleranceSeconds: deps.webhookToleranceSeconds,
    nowSeconds: () => Math.floor(now().getTime() / 1000),
  });
  return { app, payments, reconciliation };
}
