// The only place that reads the environment and listens: config → deps → buildApp → listen → shutdown.
import { bootstrapService, createDataClients, readPackageVersion, runMain } from '@shop/service-kit';
import { createJwtVerifier } from '@shop/service-kit/auth';
import { listenFastify } from '@shop/service-kit/fastify';
import { buildApp } from './app.js';
import { jwksUrlOf, productConfigSchema } from './config.js';
import { createInventoryConsumer } from './modules/inventory/inventory.consumer.js';
import { createReservationSweeper } from './modules/inventory/reservation-sweeper.js';
import { createProductModules } from './modules.js';
import type { BackgroundWorker } from './workers/background-worker.js';

const version = readPackageVersion(new URL('../package.json', import.meta.url));

await runMain(async () => {
  const { config, logger, kit } = bootstrapService({
    name: 'product',
    version,
    configSchema: productConfigSchema,
    env: process.env,
  });
  if (!config.INTERNAL_API_TOKEN)
    logger.warn('INTERNAL_API_TOKEN is not set: /internal/v1/* refuses every call');

  // Redis only caches product reads here: an outage shows in /readyz detail but keeps the pod ready.
  const { pool, redis } = createDataClients(kit, config, { redis: { critical: false } });
  const modules = createProductModules({
    kit,
    pool,
    redis,
    cacheTtlSeconds: config.PRODUCT_CACHE_TTL_SECONDS,
    reservationTtlSeconds: config.RESERVATION_TTL_SECONDS,
  });
  const verifier = createJwtVerifier({
    jwksUrl: jwksUrlOf(config),
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    algorithms: ['ES256', 'EdDSA'],
    jwksTimeoutMs: config.SERVICE_TIMEOUT,
  });

  const app = await buildApp({ kit, modules, verifier, internalToken: config.INTERNAL_API_TOKEN, version });

  // Background workers: started after listen, stopped by the kit's shutdown sequence (hooks run in
  // reverse order, so workers stop before the pool and Redis clients close). The order-event
  // consumer (order.paid → commit, order.cancelled → release) plugs in here.
  const workers: BackgroundWorker[] = [
    createReservationSweeper({
      inventory: modules.inventory,
      intervalMs: config.RESERVATION_SWEEP_INTERVAL_MS,
      logger,
    }),
    // order.paid → commit; order.cancelled / payment_failed / expired → release (stream `orders`).
    createInventoryConsumer({ kit, pool, redis, inventory: modules.inventory }),
  ];
  for (const worker of workers) kit.onShutdown(worker.name, () => worker.stop());

  await listenFastify(kit, app, config.SERVICE_PORT, config.SERVICE_HOST);
  for (const worker of workers) worker.start();
  logger.info(
    { port: config.SERVICE_PORT, workers: workers.map((w) => w.name) },
    'product service listening',
  );
});
