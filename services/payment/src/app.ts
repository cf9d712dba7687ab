import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ServiceKit } from '@shop/service-kit';
import type { JwtVerifier } from '@shop/service-kit/auth';
import { registerOpenApi, serviceKitPlugin } from '@shop/service-kit/fastify';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { internalOrAdmin } from './modules/payments/internal-or-admin.js';
import { paymentUnreachable } from './modules/payments/payments.errors.js';
import { paymentsRoutes } from './modules/payments/payments.routes.js';
import type { PaymentsService } from './modules/payments/payments.service.js';
import { reconciliationRoutes } from './modules/reconciliation/reconciliation.routes.js';
import type { ReconciliationService } from './modules/reconciliation/reconciliation.service.js';
import { webhooksRoutes } from './modules/webhooks/webhooks.routes.js';

export interface PaymentAppDeps {
  kit: ServiceKit;
  version: string;
  payments: PaymentsService;
  reconciliation: ReconciliationService;
  /** Admin bearer tokens; the order service sends `internalToken` instead. */
  verifier: JwtVerifier;
  internalToken: string;
  webhookSigningKey: string;
  webhookToleranceSeconds: number;
  now: () => Date;
}

/** The payment service's fastify instance with the routes of its modules (no listen, no environment). */
export async function buildApp(deps: PaymentAppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.kit.logger as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await registerOpenApi(app, {
    title: 'Shop payment service',
    version: deps.version,
    description:
      'Payment intents (idempotent per key, one capture per order), sandbox provider with signed webhooks, refunds, daily reconciliation.',
  });
  // Every answer is checked against its route's response schema (a body that breaks it is a 500).
  await app.register(serviceKitPlugin, { kit: deps.kit, validateResponses: true });

  // Fault flag paymentUnreachable: the payment API answers 503 as if the service were gone, so the
  // order service's circuit breaker opens; probes and /metrics stay up.
  app.addHook('onRequest', async (request) => {
    if (request.url.startsWith('/api/v1/payments') && (await deps.kit.flags.get('paymentUnreachable'))) {
      throw paymentUnreachable();
    }
  });

  const authorize = internalOrAdmin(deps.verifier, deps.internalToken);
  await app.register(paymentsRoutes, { payments: deps.payments, authorize });
  await app.register(reconciliationRoutes, { reconciliation: deps.reconciliation, authorize });
  await app.register(webhooksRoutes, {
    payments: deps.payments,
    signingKey: deps.webhookSigningKey,
    toleranceSeconds: deps.webhookToleranceSeconds,
    nowSeconds: () => Math.floor(deps.now().getTime() / 1000),
  });
  return app;
}
