import { baseConfigSchema } from '@shop/service-kit';
import { z } from 'zod';

const positiveInt = z.coerce.number().int().min(1);

/** The product service's environment: the kit's base keys plus token verification, cache and reservations. */
export const productConfigSchema = baseConfigSchema.extend({
  SERVICE_NAME: z.string().min(1).default('product-service'),
  SERVICE_PORT: z.coerce.number().int().min(1).max(65535).default(8081),
  USER_SERVICE_URL: z.url().default('http://127.0.0.1:8080'),
  /** Defaults to `${USER_SERVICE_URL}/.well-known/jwks.json`. */
  JWKS_URL: z.url().optional(),
  JWT_ISSUER: z.string().min(1).default('shop-user-service'),
  JWT_AUDIENCE: z.string().min(1).default('shop'),
  PRODUCT_CACHE_TTL_SECONDS: positiveInt.default(300),
  /** Default hold time of a reservation when the caller sends no `ttl_seconds`. */
  RESERVATION_TTL_SECONDS: positiveInt.max(86_400).default(900),
  RESERVATION_SWEEP_INTERVAL_MS: positiveInt.default(5_000),
});

export type ProductConfig = z.output<typeof productConfigSchema>;

/** JWKS_URL, or the user service's well-known JWKS path. */
export const jwksUrlOf = (c: Pick<ProductConfig, 'JWKS_URL' | 'USER_SERVICE_URL'>) =>
  c.JWKS_URL ?? new URL('/.well-known/jwks.json', c.USER_SERVICE_URL).toString();
