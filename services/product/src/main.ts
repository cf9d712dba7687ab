// The only place that reads the environment and listens: config → deps → buildApp → listen → shutdown.
import { readFileSync } from 'node:fs';
import {
  createLogger,
  createPgPool,
  createRedis,
  createServiceKit,
  loadConfig,
  redactConfig,
} from '@shop/service-kit';
import { createJwtVerifier } from '@shop/service-kit/auth';
import { listenFastify } from '@shop/service-kit/fastify';
import { buildApp } from './app.js';
import { jwksUrlOf, productConfigSchema } from './config.js';
import { createInventoryConsumer } from './modules/inventory/inventory.consumer.js';
import { createReservationSweeper } from './modules/inventory/reservation-sweeper.js';
import { createProductModules } from './modules.js';
import type { BackgroundWorker } from './workers/background-worker.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

async function main(): Promise<void> {
  const config = loadConfig(productConfigSchema);
  const logger = createLogger({
    name: config.SERVICE_NAME,
    level: config.LOG_LEVEL,
    format: config.LOG_FORMAT,
  });
  logger.info({ config: redactConfig(config) }, 'starting product service');
  if (!config.INTERNAL_API_TOKEN)
    logger.warn('INTERNAL_API_TOKEN is not set: /internal/v1/* refuses every call');

  const kit = createServiceKit({
    name: 'product',
    version,
    logger,
    shutdown: { delayMs: config.SHUTDOWN_DELAY_MS, timeoutMs: config.SHUTDOWN_TIMEOUT_MS },
  });
  kit.installSignalHandlers();

  const pool = createPgPool(kit, {
    connectionString: config.databaseUrl,
    max: config.DB_POOL_SIZE,
    connectionTimeoutMillis: config.DB_CONNECTION_TIMEOUT,
  });
  // Redis only caches product reads here: an outage shows in /readyz detail but keeps the pod ready.
  const redis = createRedis(kit, {
    url: config.redisUrl,
    keyPrefix: config.REDIS_KEY_PREFIX,
    critical: false,
  });
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
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
