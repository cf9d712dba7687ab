import { z } from 'zod';
import type { JwtVerifierOptions } from './jwt-verifier.js';

/**
 * The token-verification keys of a service's environment. Services that verify access tokens spread
 * its shape into their schema: `baseConfigSchema.extend({ ...jwtConfigSchema.shape, … })`.
 */
export const jwtConfigSchema = z.object({
  USER_SERVICE_URL: z.url().default('http://127.0.0.1:8080'),
  /** Defaults to `${USER_SERVICE_URL}/.well-known/jwks.json`. */
  JWKS_URL: z.url().optional(),
  JWT_ISSUER: z.string().min(1).default('shop-user-service'),
  JWT_AUDIENCE: z.string().min(1).default('shop'),
});

export type JwtConfig = z.output<typeof jwtConfigSchema>;

/** The algorithms the user service signs with (an EC P-256 or an Ed25519 key). */
export const USER_SERVICE_ALGORITHMS = ['ES256', 'EdDSA'];

/**
 * `createJwtVerifier` options from the config: `JWKS_URL` or the user service's well-known path,
 * `JWT_ISSUER`/`JWT_AUDIENCE`, the user service's algorithms, and `SERVICE_TIMEOUT` (when present)
 * as the JWKS fetch timeout. `overrides` win.
 */
export function jwtVerifierOptionsFromConfig(
  config: JwtConfig & { SERVICE_TIMEOUT?: number },
  overrides: Partial<JwtVerifierOptions> = {},
): JwtVerifierOptions {
  return {
    jwksUrl: config.JWKS_URL ?? `${config.USER_SERVICE_URL.replace(/\/+$/, '')}/.well-known/jwks.json`,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    algorithms: USER_SERVICE_ALGORITHMS,
    ...(config.SERVICE_TIMEOUT === undefined ? {} : { jwksTimeoutMs: config.SERVICE_TIMEOUT }),
    ...overrides,
  };
}
