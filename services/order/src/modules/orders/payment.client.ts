import type { HttpClient } from '@shop/service-kit/http-client';

/** What asking for an order's payment ended in, in the checkout's terms (only this client knows HTTP). */
export type PaymentRequestOutcome =
  /** The payment exists (created now or replayed for the same key); its event settles the order. */
  | { kind: 'created'; paymentId: string }
  /** The order already has a live or captured payment under another key: that payment's event settles it. */
  | { kind: 'already_paid'; body: unknown }
  /** Refused for good (e.g. an unusable payment method); `reason` becomes the order's failure reason. */
  | { kind: 'rejected'; reason: string; body: unknown }
  /** Unreachable, timed out or 5xx: the outcome is unknown. */
  | { kind: 'unavailable'; cause?: unknown };

export type RefundOutcome =
  | { kind: 'refunded' }
  | { kind: 'rejected'; reason: string; body: unknown }
  /** Unreachable, timed out or 5xx; `cause` is the client's error when there was no answer. */
  | { kind: 'unavailable'; reason: string; cause?: unknown };

export interface PaymentClient {
  /** Creates (or replays) the payment of an order: the idempotency key is the order id. */
  create(order: {
    id: string;
    amount: number;
    currency: string;
    paymentMethod: string;
  }): Promise<PaymentRequestOutcome>;
  /** Full refund of a payment; `key` makes retries (and concurrent cancels) refund once. */
  refundFull(paymentId: string, key: string, reason: string): Promise<RefundOutcome>;
}

const ok = (status: number) => status === 200 || status === 201;

/** Calls to the payment service (internal token; idempotency keys derived from the order). */
export function createPaymentClient(http: HttpClient): PaymentClient {
  return {
    async create(order) {
      let res: { status: number; body: unknown };
      try {
        res = await http.request<unknown>({
          method: 'POST',
          path: '/api/v1/payments',
          headers: { 'Idempotency-Key': order.id },
          body: {
            order_id: order.id,
            amount: order.amount,
            currency: order.currency,
            payment_method: order.paymentMethod,
          },
        });
      } catch (cause) {
        return { kind: 'unavailable', cause };
      }
      if (ok(res.status)) return { kind: 'created', paymentId: (res.body as { id: string }).id };
      if (res.status >= 500) return { kind: 'unavailable' };
      if (res.status === 409) return { kind: 'already_paid', body: res.body };
      return { kind: 'rejected', reason: `payment_rejected_${res.status}`, body: res.body };
    },

    async refundFull(paymentId, key, reason) {
      let res: { status: number; body: unknown };
      try {
        res = await http.request<unknown>({
          method: 'POST',
          path: `/api/v1/payments/${encodeURIComponent(paymentId)}/refunds`,
          headers: { 'Idempotency-Key': key },
          body: { reason },
        });
      } catch (cause) {
        return { kind: 'unavailable', reason: 'unreachable', cause };
      }
      if (ok(res.status)) return { kind: 'refunded' };
      if (res.status >= 500) return { kind: 'unavailable', reason: `answered ${res.status}` };
      return { kind: 'rejected', reason: `answered ${res.status}`, body: res.body };
    },
  };
}
