import { baseConfigSchema, durationMs } from '@shop/service-kit';
import { jwtConfigSchema } from '@shop/service-kit/auth';
import { z } from 'zod';

/**
 * The order service's environment: the kit's base keys plus upstreams, auth, saga timings.
 * Durations (`*_MS`) accept units (`10s`); bare numbers are milliseconds.
 */
export const orderConfigSchema = baseConfigSchema.extend({
  // USER_SERVICE_URL, JWKS_URL, JWT_ISSUER, JWT_AUDIENCE: where access tokens are verified.
  ...jwtConfigSchema.shape,
  SERVICE_NAME: z.string().min(1).default('order-service'),
  SERVICE_PORT: z.coerce.number().int().min(1).max(65535).default(8082),
  /**
   * `host:port` of the user service's gRPC listener (`user-service:9090`). Set: access tokens are checked
   * by `UserService.VerifyToken` (account still exists, current role); unset: locally against the JWKS.
   */
  USER_GRPC_URL: z.string().min(1).optional(),
  /** Deadline of one VerifyToken attempt; UNAVAILABLE/DEADLINE_EXCEEDED are retried `SERVICE_RETRY` times. */
  USER_GRPC_TIMEOUT: durationMs('ms', 2000),
  PRODUCT_SERVICE_URL: z.url().default('http://127.0.0.1:8081'),
  PAYMENT_SERVICE_URL: z.url().default('http://127.0.0.1:8083'),
  INTERNAL_API_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  /** How long an order waits for its payment before it expires and releases its stock. */
  ORDER_PAYMENT_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  /** Extra time the product service keeps the reservation beyond the order TTL. */
  RESERVATION_TTL_MARGIN_SECONDS: z.coerce.number().int().min(0).default(300),
  ORDER_SWEEP_INTERVAL_MS: durationMs('ms', 1000),
  OUTBOX_POLL_INTERVAL_MS: durationMs('ms', 200),
  /**
   * Wake the outbox relay at COMMIT (LISTEN/NOTIFY on one dedicated connection) instead of waiting for
   * the next poll. LISTEN needs a session: set `false` when DB_HOST is a transaction-mode pooler
   * (PgBouncer in Kubernetes); the relay then polls every OUTBOX_POLL_INTERVAL_MS.
   */
  OUTBOX_LISTEN: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  EVENTS_CLAIM_IDLE_MS: durationMs('ms', 30_000),
  EVENTS_RECLAIM_INTERVAL_MS: durationMs('ms', 5_000),
  EVENTS_MAX_DELIVERIES: z.coerce.number().int().min(1).default(5),
  IDEMPOTENCY_TTL_SECONDS: z.coerce.number().int().min(60).default(86_400),
  CIRCUIT_BREAKER_RESET_MS: durationMs('ms', 10_000),
});

export type OrderConfig = z.output<typeof orderConfigSchema>;

/** The PostgreSQL schema of the order service: migrations, repository, outbox and the test harness. */
export const DB_SCHEMA = 'orders';
