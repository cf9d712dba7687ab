// `@shop/service-kit/auth`: access-token verification shared by product, order and payment.
export { bearerToken } from './bearer.js';
export { expressAuth } from './express-auth.js';
export { type AuthOptions, fastifyAuth } from './fastify-auth.js';
export { hasInternalToken, INTERNAL_TOKEN_HEADER, internalTokenGuard } from './internal-token.js';
export {
  type JwtConfig,
  jwtConfigSchema,
  jwtVerifierOptionsFromConfig,
  USER_SERVICE_ALGORITHMS,
} from './jwt-config.js';
export {
  type AuthUser,
  createJwtVerifier,
  type JwtVerifier,
  type JwtVerifierOptions,
  type VerifiedToken,
} from './jwt-verifier.js';
