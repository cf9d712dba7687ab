import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ServiceKit } from '@shop/service-kit';
import { createJwtVerifier } from '@shop/service-kit/auth';
import { registerOpenApi, serviceKitPlugin } from '@shop/service-kit/fastify';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { createAccessTokenIssuer } from './modules/auth/access-tokens.js';
import { authRoutes } from './modules/auth/auth.routes.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { createLoginLimiter, type LoginLimits } from './modules/auth/login-limiter.js';
import { createPasswordHasher, type PasswordHasher } from './modules/auth/password-hasher.js';
import { createRefreshTokenRepository } from './modules/auth/refresh-tokens.repository.js';
import type { SigningKeys } from './modules/auth/signing-keys.js';
import { createUsersRepository } from './modules/users/users.repository.js';
import { usersRoutes } from './modules/users/users.routes.js';
import { createUsersService } from './modules/users/users.service.js';

export interface UserAppDeps {
  kit: ServiceKit;
  pool: pg.Pool;
  /** Refresh tokens and login counters; required (sessions cannot work without it). */
  redis: Redis;
  keys: SigningKeys;
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  loginLimits: LoginLimits;
  /** Trust X-Forwarded-For (behind the gateway/ingress) so limits see the client address. */
  trustProxy?: boolean;
  /** `Secure` attribute of the browser refresh cookie (default true). */
  refreshCookieSecure?: boolean;
  now?: () => Date;
  passwords?: PasswordHasher;
  version?: string;
}

/** Builds the user service's fastify instance (no listen, no environment). */
export async function buildApp(deps: UserAppDeps): Promise<FastifyInstance> {
  const now = deps.now ?? (() => new Date());
  const app = Fastify({
    loggerInstance: deps.kit.logger as FastifyBaseLogger,
    trustProxy: deps.trustProxy ?? false,
    bodyLimit: 64 * 1024,
    // Unknown body fields must be rejected (PATCH /users/me may never touch role/id), not dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await registerOpenApi(app, {
    title: 'Shop user service',
    version: deps.version ?? '0.1.0',
    description: 'Registration, login, JWT access tokens (JWKS), rotating refresh tokens, profiles.',
  });
  await app.register(serviceKitPlugin, { kit: deps.kit, validateResponses: true });

  const passwords = deps.passwords ?? createPasswordHasher();
  const usersRepository = createUsersRepository(deps.pool);
  const users = createUsersService({ users: usersRepository, passwords });
  const auth = createAuthService({
    users: usersRepository,
    passwords,
    accessTokens: createAccessTokenIssuer({
      keys: deps.keys,
      issuer: deps.issuer,
      audience: deps.audience,
      ttlSeconds: deps.accessTokenTtlSeconds,
      now,
    }),
    refreshTokens: createRefreshTokenRepository(deps.redis, deps.refreshTokenTtlSeconds),
    limiter: createLoginLimiter(deps.redis, deps.loginLimits),
    logger: deps.kit.logger,
    flags: deps.kit.flags,
  });
  // The service verifies its own tokens through the same verifier the other services use.
  const verifier = createJwtVerifier({
    jwks: deps.keys.jwks,
    issuer: deps.issuer,
    audience: deps.audience,
    algorithms: [deps.keys.alg],
    now,
  });

  await app.register(authRoutes, {
    auth,
    keys: deps.keys,
    refreshCookieSecure: deps.refreshCookieSecure ?? true,
  });
  await app.register(usersRoutes, { users, verifier });
  return app;
}
