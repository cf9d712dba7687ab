import { createPgPool, createRedis, createServiceKit, loadConfig } from '@shop/service-kit';
import { createJwtVerifier } from '@shop/service-kit/auth';
import { createHttpClient } from '@shop/service-kit/http-client';
import { buildApp } from './app.js';
import { orderConfigSchema } from './config.js';
import { startWorkers } from './workers.js';

// The only place that reads the environment and listens.
const config = loadConfig(orderConfigSchema, process.env);
const kit = createServiceKit({
  name: config.SERVICE_NAME,
  version: process.env.npm_package_version ?? '0.1.0',
  shutdown: { delayMs: config.SHUTDOWN_DELAY_MS, timeoutMs: config.SHUTDOWN_TIMEOUT_MS },
});
kit.installSignalHandlers();

const pool = createPgPool(kit, {
  connectionString: config.databaseUrl,
  max: config.DB_POOL_SIZE,
  connectionTimeoutMillis: config.DB_CONNECTION_TIMEOUT,
});
const redis = createRedis(kit, { url: config.redisUrl, keyPrefix: config.REDIS_KEY_PREFIX });
const verifier = createJwtVerifier({
  jwksUrl: config.JWKS_URL ?? `${config.USER_SERVICE_URL.replace(/\/$/, '')}/.well-known/jwks.json`,
  issuer: config.JWT_ISSUER,
  audience: config.JWT_AUDIENCE,
});
const upstream = (name: string, baseUrl: string) =>
  createHttpClient(kit, {
    name,
    baseUrl,
    timeoutMs: config.SERVICE_TIMEOUT,
    retries: config.SERVICE_RETRY,
    headers: { 'X-Internal-Token': config.INTERNAL_API_TOKEN },
    breaker: { resetTimeoutMs: config.CIRCUIT_BREAKER_RESET_MS },
  });
const productClient = upstream('product', config.PRODUCT_SERVICE_URL);
const paymentClient = upstream('payment', config.PAYMENT_SERVICE_URL);
kit.onShutdown('http clients', () => {
  productClient.close();
  paymentClient.close();
});

const { server, orders } = buildApp({
  kit,
  pool,
  redis,
  verifier,
  productClient,
  paymentClient,
  paymentTtlSeconds: config.ORDER_PAYMENT_TTL_SECONDS,
  reservationMarginSeconds: config.RESERVATION_TTL_MARGIN_SECONDS,
  idempotencyTtlSeconds: config.IDEMPOTENCY_TTL_SECONDS,
});
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
