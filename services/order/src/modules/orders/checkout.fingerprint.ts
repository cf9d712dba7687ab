import { createHash } from 'node:crypto';

export interface OrderLine {
  product_id: number;
  quantity: number;
}

/** Lines naming the same product twice become one line, sorted by product (the reservation does the same). */
export function orderLines(items: readonly OrderLine[]): OrderLine[] {
  const merged = new Map<number, number>();
  for (const i of items) merged.set(i.product_id, (merged.get(i.product_id) ?? 0) + i.quantity);
  return [...merged]
    .map(([product_id, quantity]) => ({ product_id, quantity }))
    .sort((a, b) => a.product_id - b.product_id);
}

/**
 * The one fingerprint of a checkout request: same lines (merged, sorted) and payment method → same
 * request, whatever the order of the lines in the body.
 *
 * Both idempotency layers compare it, and both are needed: the Redis record
 * (`idempotency.store.ts`, used by the route) replays the final answer — including a 4xx for an
 * order that was never kept — and answers 409 while the first request still runs; it is dropped on
 * a 5xx so the client may retry. The order row's `(user_id, idempotency_key, request_hash)`
 * (`checkout.saga.ts`) is what makes that retry resume the same order (same reservation, same
 * payment key) instead of placing a second one, and it outlives the Redis record's TTL.
 */
export function checkoutFingerprint(request: {
  items: readonly OrderLine[];
  payment_method: string;
}): string {
  const canonical = { items: orderLines(request.items), payment_method: request.payment_method };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}
