import { DomainError, ServiceUnavailableError } from '@shop/service-kit';

/**
 * Runs a Redis-backed step (refresh tokens, login counters). Sessions cannot work without Redis, so
 * an outage answers 503 with Retry-After — a retryable condition — instead of a bare 500.
 */
export async function withSessionStore<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw new ServiceUnavailableError({
      code: 'AUTH.SESSION_STORE_UNAVAILABLE',
      detail: 'Sessions are temporarily unavailable; retry shortly',
      headers: { 'Retry-After': '5' },
      cause: err,
    });
  }
}
