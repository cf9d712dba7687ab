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
import { listenFastify } from '@shop/service-kit/fastify';
import { buildApp } from './app.js';
import { userConfigSchema } from './config.js';
import { createPasswordHasher } from './modules/auth/password-hasher.js';
import { loadSigningKeys } from './modules/auth/signing-keys.js';
import { adminConfigured, bootstrapAdmin } from './modules/users/admin-bootstrap.js';
import { createUsersRepository } from './modules/users/users.repository.js';
import { createUsersService } from './modules/users/users.service.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

async function main(): Promise<void> {
  const config = loadConfig(userConfigSchema);
  const logger = createLogger({
    name: config.SERVICE_NAME,
    level: config.LOG_LEVEL,
    format: config.LOG_FORMAT,
  });
  logger.info({ config: redactConfig(config) }, 'starting user service');

  const kit = createServiceKit({
    name: 'user',
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
  const redis = createRedis(kit, { url: config.redisUrl, keyPrefix: config.REDIS_KEY_PREFIX });
  const keys = await loadSigningKeys({
    privateKeyPem: config.JWT_PRIVATE_KEY,
    keyId: config.JWT_KEY_ID,
    extraPublicKeys: config.JWT_PUBLIC_KEYS,
    logger,
  });
  const passwords = createPasswordHasher();

  const app = await buildApp({
    kit,
    pool,
    redis,
    keys,
    passwords,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
    loginLimits: {
      maxFailuresPerUsername: config.LOGIN_MAX_FAILURES_PER_USERNAME,
      maxFailuresPerIp: config.LOGIN_MAX_FAILURES_PER_IP,
      windowSeconds: config.LOGIN_FAILURE_WINDOW_SECONDS,
    },
    trustProxy: config.TRUST_PROXY,
    version,
  });

  const admin = {
    username: config.ADMIN_USERNAME,
    email: config.ADMIN_EMAIL,
    password: config.ADMIN_PASSWORD,
  };
  if (adminConfigured(admin)) {
    // Idempotent and race-safe across replicas; `npm run seed` does the same as a one-shot step.
    await bootstrapAdmin(
      createUsersService({ users: createUsersRepository(pool), passwords }),
      admin,
      logger,
    );
  }

  await listenFastify(kit, app, config.SERVICE_PORT, config.SERVICE_HOST);
  logger.info({ port: config.SERVICE_PORT, kid: keys.kid, alg: keys.alg }, 'user service listening');
}

main().catch((err: unknown) => {
  // Config errors list every bad key; anything else is a startup failure. Either way exit 1.
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
