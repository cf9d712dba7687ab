import { baseConfigSchema } from '@shop/service-kit';
import { jwtConfigSchema } from '@shop/service-kit/auth';
import { z } from 'zod';

/** The PostgreSQL schema of the catalog (migrations/, migrate.ts, the event consumer, the test harness). */
export const DB_SCHEMA = 'catalog';

const positiveInt = z.coerce.number().int().min(1);

/** The product service's environment: the kit's base keys plus token verification, cache and reservations. */
export const productConfigSchema = baseConfigSchema.extend({
  // USER_SERVICE_URL, JWKS_URL, JWT_ISSUER, JWT_AUDIENCE: where access tokens are verified.
  ...jwtConfigSchema.shape,
  SERVICE_NAME: z.string().min(1).default('product-service'),
  SERVICE_PORT: z.coerce.number().int().min(1).max(65535).default(8081),
  PRODUCT_CACHE_TTL_SECONDS: positiveInt.default(300),
  /** Lifetime of a cached search page; every write invalidates all pages at once, so this is a backstop. 0 = off. */
  PRODUCT_SEARCH_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
  /** Default hold time of a reservation when the caller sends no `ttl_seconds`. */
  RESERVATION_TTL_SECONDS: positiveInt.max(86_400).default(900),
  RESERVATION_SWEEP_INTERVAL_MS: positiveInt.default(5_000),
});

export type ProductConfig = z.output<typeof productConfigSchema>;
