// The only place that reads the environment and listens: config → deps → buildApp → listen → shutdown.
import { bootstrapService, readPackageVersion, runMain } from '@shop/service-kit';
import { composeOrderService } from './compose.js';
import { orderConfigSchema } from './config.js';
import { startWorkers } from './workers.js';

const version = readPackageVersion(new URL('../package.json', import.meta.url));

await runMain(async () => {
  const service = bootstrapService({
    name: 'order',
    version,
    configSchema: orderConfigSchema,
    env: process.env,
  });
  const { config, logger, kit } = service;
  const { server, orders, pool, redis } = composeOrderService(service, version);

  const workers = await startWorkers({
    kit,
    pool,
    redis,
    orders,
    outboxPollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    sweepIntervalMs: config.ORDER_SWEEP_INTERVAL_MS,
    events: {
      claimIdleMs: config.EVENTS_CLAIM_IDLE_MS,
      reclaimIntervalMs: config.EVENTS_RECLAIM_INTERVAL_MS,
      maxDeliveries: config.EVENTS_MAX_DELIVERIES,
    },
  });
  // Registered after pool/Redis, so it runs before them during shutdown (reverse order).
  kit.onShutdown('order workers', () => workers.stop());

  await kit.listen(server, config.SERVICE_PORT, config.SERVICE_HOST);
  logger.info({ port: config.SERVICE_PORT }, 'order service listening');
});
