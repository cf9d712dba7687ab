import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ServiceKit } from '@shop/service-kit';
import type { JwtVerifier } from '@shop/service-kit/auth';
import { registerOpenApi, serviceKitPlugin } from '@shop/service-kit/fastify';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { authRoutes } from './modules/auth/auth.routes.js';
import type { AuthService } from './modules/auth/auth.service.js';
import type { SigningKeys } from './modules/auth/signing-keys.js';
import { usersRoutes } from './modules/users/users.routes.js';
import type { UsersService } from './modules/users/users.service.js';

export interface UserAppDeps {
  kit: ServiceKit;
  users: UsersService;
  auth: AuthService;
  /** Published at /.well-known/jwks.json. */
  keys: SigningKeys;
  /** Verifies the service's own access tokens (the same verifier the other services use). */
  verifier: JwtVerifier;
  /** Trust X-Forwarded-For (behind the gateway/ingress) so limits see the client address. */
  trustProxy: boolean;
  /** `Secure` attribute of the browser refresh cookie. */
  refreshCookieSecure: boolean;
  version: string;
}

/** Builds the user service's fastify instance and the routes of its modules (no listen, no environment). */
export async function buildApp(deps: UserAppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.kit.logger as FastifyBaseLogger,
    trustProxy: deps.trustProxy,
    bodyLimit: 64 * 1024,
    // Unknown body fields must be rejected (PATCH /users/me may never touch role/id), not dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await registerOpenApi(app, {
    title: 'Shop user service',
    version: deps.version,
    description: 'Registration, login, JWT access tokens (JWKS), rotating refresh tokens, profiles.',
  });
  await app.register(serviceKitPlugin, { kit: deps.kit, validateResponses: true });

  await app.register(authRoutes, {
    auth: deps.auth,
    keys: deps.keys,
    refreshCookieSecure: deps.refreshCookieSecure,
  });
  await app.register(usersRoutes, { users: deps.users, verifier: deps.verifier });
  return app;
}
