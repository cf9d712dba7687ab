import { inventoryErrorCodes, inventoryPaths, type Reservation, reservationSchema } from '@shop/contracts';
import type { FieldIssue } from '@shop/service-kit';
import type { HttpClient } from '@shop/service-kit/http-client';

/** The problem+json fields the order service reads from another service's 4xx answer. */
export interface UpstreamProblem {
  code?: string;
  detail?: string;
  errors?: FieldIssue[];
}

/** What a reservation request ended in, in the checkout's terms (only this client knows HTTP). */
export type ReserveOutcome =
  | { kind: 'reserved'; reservation: Reservation }
  /** Not enough stock for at least one line; nothing was reserved. */
  | { kind: 'out_of_stock'; problem: UpstreamProblem }
  /** A product is unknown, inactive or priced in another currency; nothing was reserved. */
  | { kind: 'not_orderable'; problem: UpstreamProblem }
  /** Unreachable, timed out, circuit open or 5xx: whether anything was reserved is unknown. */
  | { kind: 'unavailable' };

export interface ProductClient {
  /** Reserves all lines or nothing; idempotent per order id, so retries are safe. */
  reserve(
    orderId: string,
    items: { product_id: number; quantity: number }[],
    ttlSeconds: number,
  ): Promise<ReserveOutcome>;
}

/** Calls to the product service's internal reservation API. */
export function createProductClient(http: HttpClient): ProductClient {
  return {
    async reserve(orderId, items, ttlSeconds) {
      let res: { status: number; body: unknown };
      try {
        res = await http.request<unknown>({
          method: 'POST',
          path: inventoryPaths.reserve,
          body: { order_id: orderId, items, ttl_seconds: ttlSeconds },
          idempotent: true,
        });
      } catch {
        return { kind: 'unavailable' };
      }
      if (res.status === 200 || res.status === 201) {
        return { kind: 'reserved', reservation: reservationSchema.parse(res.body) };
      }
      const problem = (res.body ?? {}) as UpstreamProblem;
      if (res.status === 409 && problem.code === inventoryErrorCodes.insufficientStock) {
        return { kind: 'out_of_stock', problem };
      }
      if (res.status === 422) return { kind: 'not_orderable', problem };
      if (res.status >= 500) return { kind: 'unavailable' };
      throw new Error(`product service answered ${res.status} ${problem.code ?? ''} to a reservation`);
    },
  };
}
