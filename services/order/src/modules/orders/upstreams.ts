import { inventoryErrorCodes, inventoryPaths, type Reservation, reservationSchema } from '@shop/contracts';
import type { FieldIssue } from '@shop/service-kit';
import type { HttpClient } from '@shop/service-kit/http-client';
import { dependencyUnavailable, outOfStock, productUnavailable } from './orders.errors.js';

interface Problem {
  code?: string;
  detail?: string;
  errors?: FieldIssue[];
}

/** Calls to the product service's internal reservation API. */
export class ProductClient {
  constructor(private readonly http: HttpClient) {}

  /** Reserves all lines or nothing; idempotent per order id, so retries are safe. */
  async reserve(
    orderId: string,
    items: { product_id: number; quantity: number }[],
    ttlSeconds: number,
  ): Promise<Reservation> {
    const res = await this.http
      .request<unknown>({
        method: 'POST',
        path: inventoryPaths.reserve,
        body: { order_id: orderId, items, ttl_seconds: ttlSeconds },
        idempotent: true,
      })
      .catch(() => {
        throw dependencyUnavailable('product', orderId);
      });
    if (res.status === 200 || res.status === 201) return reservationSchema.parse(res.body);
    const problem = (res.body ?? {}) as Problem;
    if (res.status === 409 && problem.code === inventoryErrorCodes.insufficientStock) {
      throw outOfStock(problem.errors, problem.detail);
    }
    if (res.status === 422) throw productUnavailable(problem.code ?? '', problem.detail, problem.errors);
    if (res.status >= 500) throw dependencyUnavailable('product', orderId);
    throw new Error(`product service answered ${res.status} ${problem.code ?? ''} to a reservation`);
  }
}

export interface PaymentIntent {
  id: string;
  order_id: string;
  status: string;
  amount: number;
  currency: string;
}

/** Calls to the payment service (internal token; idempotency keys derived from the order). */
export class PaymentClient {
  constructor(private readonly http: HttpClient) {}

  /** Creates (or replays) the payment of an order: the key is the order id. */
  async create(order: {
    id: string;
    amount: number;
    currency: string;
    paymentMethod: string;
  }): Promise<{ status: number; body: PaymentIntent | Problem }> {
    const res = await this.http.request<PaymentIntent | Problem>({
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
    return { status: res.status, body: res.body };
  }

  /** Full refund of a payment; `key` makes retries (and concurrent cancels) refund once. */
  async refundFull(
    paymentId: string,
    key: string,
    reason: string,
  ): Promise<{ status: number; body: unknown }> {
    const res = await this.http.request<unknown>({
      method: 'POST',
      path: `/api/v1/payments/${encodeURIComponent(paymentId)}/refunds`,
      headers: { 'Idempotency-Key': key },
      body: { reason },
    });
    return { status: res.status, body: res.body };
  }
}
