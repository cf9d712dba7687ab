// The only place that reads the environment and listens: config → deps → buildApp → listen → shutdown.
import { bootstrapService, readPackageVersion, runMain } from '@shop/service-kit';
import { listenFastify } from '@shop/service-kit/fastify';
import { composePaymentService } from './compose.js';
import { paymentConfigSchema } from './config.js';
import { startWorkers } from './workers.js';

const version = readPackageVersion(new URL('../package.json', import.meta.url));

await runMain(async () => {
  const service = bootstrapService({
    name: 'payment',
    version,
    configSchema: paymentConfigSchema,
    env: process.env,
  });
  const { config, logger, kit } = service;
  const { app, payments, pool, redis } = await composePaymentService(service, version);

  const workers = startWorkers({
    kit,
    pool,
    redis,
    payments,
    outboxPollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    relayEnabled: config.OUTBOX_RELAY_ENABLED,
    sandbox: {
      webhookUrl:
        config.SANDBOX_WEBHOOK_URL ??
        `http://127.0.0.1:${config.SERVICE_PORT}/api/v1/payments/webhooks/sandbox`,
      signingKey: config.PAYMENT_GATEWAY_KEY,
      pollIntervalMs: config.SANDBOX_WEBHOOK_POLL_MS,
    },
    recovery: { afterMs: config.PAYMENT_RECOVERY_AFTER_MS, intervalMs: config.PAYMENT_RECOVERY_INTERVAL_MS },
  });
  // Registered after the pool and Redis hooks, so it runs before them (reverse order).
  kit.onShutdown('payment workers', () => workers.stop());

  await listenFastify(kit, app, config.SERVICE_PORT, config.SERVICE_HOST);
  logger.info({ port: config.SERVICE_PORT }, 'payment service listening');
});
