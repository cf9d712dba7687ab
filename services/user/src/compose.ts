import type { Server } from 'node:http';
import {
  type BackgroundWorker,
  createDataClients,
  type DerivedConfig,
  type ServiceBootstrap,
  type ServiceKit,
} from '@shop/service-kit';
import { createJwtVerifier, type JwtVerifier } from '@shop/service-kit/auth';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { buildApp } from './app.js';
import type { UserConfig } from './config.js';
import { createAccessTokenIssuer } from './modules/auth/access-tokens.js';
import { type AuthService, createAuthService } from './modules/auth/auth.service.js';
import { createLoginLimiter } from './modules/auth/login-limiter.js';
import { createPasswordHasher, type PasswordHasher } from './modules/auth/password-hasher.js';
import { createRefreshTokenRepository } from './modules/auth/refresh-tokens.repository.js';
import { loadSigningKeys, type SigningKeys } from './modules/auth/signing-keys.js';
import { adminConfigured, bootstrapAdmin } from './modules/users/admin-bootstrap.js';
import { createUsersRepository, type UsersRepository } from './modules/users/users.repository.js';
import { createUsersService, type UsersService } from './modules/users/users.service.js';
import { createWorkers } from './workers.js';

/** Seams for in-process tests; `main.ts` passes none. */
export interface UserComposeOptions {
  /** The clock of issued tokens and of their verification (tests move it). */
  now?: () => Date;
  /** The argon2 hasher (tests pass one whose verifications they count). */
  passwords?: PasswordHasher;
}

export interface ComposedUserService {
  app: FastifyInstance;
  server: Server;
  workers: BackgroundWorker[];
  pool: pg.Pool;
  redis: Redis;
  keys: SigningKeys;
  verifier: JwtVerifier;
  users: UsersService;
  usersRepository: UsersRepository;
  auth: AuthService;
}

/**
 * The user service from its parsed config: PostgreSQL and Redis (both critical: sessions need Redis),
 * the signing keys, the users and auth modules, the admin account (when ADMIN_* are set), the gRPC
 * listener as a worker, and the fastify app. `main.ts` and the test harness both call it.
 */
export async function composeUserService(
  { config, kit }: Pick<ServiceBootstrap<UserConfig & DerivedConfig>, 'config' | 'kit'>,
  version: string,
  options: UserComposeOptions = {},
): Promise<ComposedUserService> {
  const { pool, redis } = createDataClients(kit, config);
  const keys = await loadSigningKeys({
    privateKeyPem: config.JWT_PRIVATE_KEY,
    keyId: config.JWT_KEY_ID,
    extraPublicKeys: config.JWT_PUBLIC_KEYS,
    logger: kit.logger,
  });
  kit.logger.info({ kid: keys.kid, alg: keys.alg }, 'signing key loaded');
  const now = options.now ?? (() => new Date());
  const passwords = options.passwords ?? createPasswordHasher({ threadNice: config.PASSWORD_HASH_NICE });

  const usersRepository = createUsersRepository(pool);
  const users = createUsersService({ users: usersRepository, passwords });
  const auth = composeAuth({ config, kit, redis, keys, users: usersRepository, passwords, now });
  // The service verifies its own tokens (HTTP and gRPC) through the verifier the other services use.
  const verifier = createJwtVerifier({
    jwks: keys.jwks,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    algorithms: [keys.alg],
    now,
  });

  const admin = {
    username: config.ADMIN_USERNAME,
    email: config.ADMIN_EMAIL,
    password: config.ADMIN_PASSWORD,
  };
  // Idempotent and race-safe across replicas; `npm run seed` does the same as a one-shot step.
  if (adminConfigured(admin)) await bootstrapAdmin(users, admin, kit.logger);

  const workers = createWorkers({
    kit,
    verifier,
    users: usersRepository,
    grpc: { port: config.GRPC_PORT, host: config.SERVICE_HOST },
  });
  const app = await buildApp({
    kit,
    users,
    auth,
    keys,
    verifier,
    trustProxy: config.TRUST_PROXY,
    refreshCookieSecure: config.REFRESH_COOKIE_SECURE,
    version,
  });
  return { app, server: app.server, workers, pool, redis, keys, verifier, users, usersRepository, auth };
}

/** The auth module: access tokens signed with `keys`, refresh tokens and login limits in Redis. */
function composeAuth(deps: {
  config: UserConfig;
  kit: ServiceKit;
  redis: Redis;
  keys: SigningKeys;
  users: UsersRepository;
  passwords: PasswordHasher;
  now: () => Date;
}): AuthService {
  const { config, kit } = deps;
  return createAuthService({
    users: deps.users,
    passwords: deps.passwords,
    accessTokens: createAccessTokenIssuer({
      keys: deps.keys,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      now: deps.now,
    }),
    refreshTokens: createRefreshTokenRepository(deps.redis, config.REFRESH_TOKEN_TTL_SECONDS),
    limiter: createLoginLimiter(deps.redis, {
      maxFailuresPerUsername: config.LOGIN_MAX_FAILURES_PER_USERNAME,
      maxFailuresPerIp: config.LOGIN_MAX_FAILURES_PER_IP,
      windowSeconds: config.LOGIN_FAILURE_WINDOW_SECONDS,
    }),
    logger: kit.logger,
    flags: kit.flags,
  });
}
