// The only place that reads the environment and listens: config → deps → buildApp → listen → shutdown.
import { bootstrapService, createDataClients, readPackageVersion, runMain } from '@shop/service-kit';
import { listenFastify } from '@shop/service-kit/fastify';
import { buildApp } from './app.js';
import { userConfigSchema } from './config.js';
import { buildGrpcServer } from './grpc/grpc-server.js';
import { createPasswordHasher } from './modules/auth/password-hasher.js';
import { loadSigningKeys } from './modules/auth/signing-keys.js';
import { adminConfigured, bootstrapAdmin } from './modules/users/admin-bootstrap.js';
import { createUsersRepository } from './modules/users/users.repository.js';
import { createUsersService } from './modules/users/users.service.js';

const version = readPackageVersion(new URL('../package.json', import.meta.url));

await runMain(async () => {
  const { config, logger, kit } = bootstrapService({
    name: 'user',
    version,
    configSchema: userConfigSchema,
    env: process.env,
  });
  const { pool, redis } = createDataClients(kit, config);
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
    refreshCookieSecure: config.REFRESH_COOKIE_SECURE,
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

  if (config.GRPC_PORT > 0) {
    const grpc = buildGrpcServer({
      kit,
      pool,
      keys,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    });
    // Bound before HTTP: its health service answers NOT_SERVING until the kit is started, like /readyz.
    await grpc.listen(config.GRPC_PORT, config.SERVICE_HOST);
  }
  await listenFastify(kit, app, config.SERVICE_PORT, config.SERVICE_HOST);
  logger.info({ port: config.SERVICE_PORT, kid: keys.kid, alg: keys.alg }, 'user service listening');
});
