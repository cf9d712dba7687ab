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
 * The one fingerprint of a checkout request, used by both idempotency layers (the Redis response
 * record and the order row's `request_hash`): same lines (merged, sorted) and payment method → same
 * request, whatever the order of the lines in the body.
 */
export function checkoutFingerprint(request: {
  items: readonly OrderLine[];
  payment_method: string;
}): string {
  const canonical = { items: orderLines(request.items), payment_method: request.payment_method };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}
