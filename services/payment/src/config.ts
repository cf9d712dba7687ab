import { baseConfigSchema, durationMs } from '@shop/service-kit';
import { jwtConfigSchema } from '@shop/service-kit/auth';
import { z } from 'zod';

/** The PostgreSQL schema of this service: migrations, SQL, outbox, relay and the test harness. */
export const DB_SCHEMA = 'payments';

/**
 * The payment service's environment: the kit's base keys plus provider, webhook and auth settings.
 * Durations (`*_MS`) accept units (`10s`); bare numbers are milliseconds.
 */
export const paymentConfigSchema = baseConfigSchema.extend({
  // USER_SERVICE_URL, JWKS_URL, JWT_ISSUER, JWT_AUDIENCE: where access tokens are verified.
  ...jwtConfigSchema.shape,
  SERVICE_NAME: z.string().min(1).default('payment-service'),
  SERVICE_PORT: z.coerce.number().int().min(1).max(65535).default(8083),
  /** `sandbox` is the built-in provider; it is the default whenever no real provider is configured. */
  PAYMENT_PROVIDER: z.enum(['sandbox']).default('sandbox'),
  /** HMAC secret the sandbox signs its webhooks with (Secret `payment-secret`). */
  PAYMENT_GATEWAY_KEY: z.string().min(16, 'must be at least 16 characters'),
  /** Where the sandbox delivers webhooks; default is this service's own webhook route on loopback. */
  SANDBOX_WEBHOOK_URL: z.url().optional(),
  /** How long `tok_async` stays pending before the sandbox confirms it. */
  SANDBOX_ASYNC_DELAY_MS: durationMs('ms', 1000),
  SANDBOX_WEBHOOK_POLL_MS: durationMs('ms', 200),
  /** Accepted clock skew of webhook timestamps. */
  PAYMENT_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(1).default(300),
  /** A payment still `processing` after this long is resolved against the provider's records. */
  PAYMENT_RECOVERY_AFTER_MS: durationMs('ms', 10_000),
  PAYMENT_RECOVERY_INTERVAL_MS: durationMs('ms', 5_000),
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
  /** Run the outbox relay in this process (default); off for replicas that must not publish. */
  OUTBOX_RELAY_ENABLED: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  RECONCILIATION_LOCK_TTL_MS: durationMs('ms', 60_000),
  /** Shared secret of service-to-service calls (`X-Internal-Token`); the order service sends it. */
  INTERNAL_API_TOKEN: z.string().min(16, 'must be at least 16 characters'),
});

export type PaymentConfig = z.output<typeof paymentConfigSchema>;

/** Where the sandbox delivers its webhooks: SANDBOX_WEBHOOK_URL, else this service's own route on loopback. */
export function sandboxWebhookUrl(
  config: Pick<PaymentConfig, 'SANDBOX_WEBHOOK_URL' | 'SERVICE_PORT'>,
): string {
  return (
    config.SANDBOX_WEBHOOK_URL ?? `http://127.0.0.1:${config.SERVICE_PORT}/api/v1/payments/webhooks/sandbox`
  );
}
