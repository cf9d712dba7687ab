import { createPgPool, createRedis, createServiceKit, loadConfig } from '@shop/service-kit';
import { createJwtVerifier } from '@shop/service-kit/auth';
import { listenFastify } from '@shop/service-kit/fastify';
import { buildApp } from './app.js';
import { paymentConfigSchema } from './config.js';
import { SandboxProvider } from './modules/sandbox/sandbox.provider.js';
import { startWorkers } from './workers.js';

// The only place that reads the environment and listens.
const config = loadConfig(paymentConfigSchema, process.env);
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
const provider = new SandboxProvider({ pool, asyncDelayMs: config.SANDBOX_ASYNC_DELAY_MS });

const { app, payments } = await buildApp({
  kit,
  pool,
  redis,
  verifier,
  provider,
  internalToken: config.INTERNAL_API_TOKEN,
  webhookSigningKey: config.PAYMENT_GATEWAY_KEY,
  webhookToleranceSeconds: config.PAYMENT_WEBHOOK_TOLERANCE_SECONDS,
  reconciliationLockTtlMs: config.RECONCILIATION_LOCK_TTL_MS,
});

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
