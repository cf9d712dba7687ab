// Event envelopes and payloads that travel outbox -> relay -> Redis Streams between services.
// `payments`: the payment service publishes, the order service consumes; `orders`: the order service
// publishes, the product service consumes. Producers and consumers parse with these schemas.
import { z } from 'zod';

/**
 * Logical stream names. The physical Redis key is `<prefix>stream:<name>` (prefix = the
 * service's REDIS_KEY_PREFIX, identical for all services of one deployment); the dead-letter
 * stream of a stream is `<key>:dlq`.
 */
export const EVENT_STREAMS = {
  payments: 'payments',
  orders: 'orders',
} as const;
export type EventStreamName = (typeof EVENT_STREAMS)[keyof typeof EVENT_STREAMS];

export const PAYMENT_EVENT_TYPES = {
  succeeded: 'payment.succeeded',
  failed: 'payment.failed',
  refunded: 'payment.refunded',
} as const;

export const ORDER_EVENT_TYPES = {
  paid: 'order.paid',
  cancelled: 'order.cancelled',
  paymentFailed: 'order.payment_failed',
  expired: 'order.expired',
} as const;

/** The envelope every event carries; `data` is validated per `type` by the consumer. */
export const eventEnvelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().min(1),
  occurred_at: z.iso.datetime({ offset: true }),
  aggregate_id: z.string().min(1),
  data: z.record(z.string(), z.unknown()),
  /** W3C trace context of the producing request, so one trace spans the whole checkout. */
  traceparent: z.string().nullable(),
  tracestate: z.string().nullable().optional(),
});
export type EventEnvelope<T = Record<string, unknown>> = Omit<z.infer<typeof eventEnvelopeSchema>, 'data'> & {
  data: T;
};

const money = {
  amount: z.number().int().nonnegative(),
  currency: z.string().length(3),
};

export const paymentSucceededDataSchema = z.object({
  payment_id: z.uuid(),
  order_id: z.string().min(1),
  ...money,
  provider: z.string(),
  provider_ref: z.string().nullable(),
});
export type PaymentSucceededData = z.infer<typeof paymentSucceededDataSchema>;

export const paymentFailedDataSchema = z.object({
  payment_id: z.uuid(),
  order_id: z.string().min(1),
  ...money,
  failure_code: z.string(),
  failure_message: z.string().nullable(),
});
export type PaymentFailedData = z.infer<typeof paymentFailedDataSchema>;

export const paymentRefundedDataSchema = z.object({
  payment_id: z.uuid(),
  order_id: z.string().min(1),
  refund_id: z.uuid(),
  ...money,
  /** Sum of all refunds of the payment, this one included. */
  refunded_total: z.number().int().nonnegative(),
  fully_refunded: z.boolean(),
});
export type PaymentRefundedData = z.infer<typeof paymentRefundedDataSchema>;

export const orderEventItemSchema = z.object({
  product_id: z.number().int().positive(),
  quantity: z.number().int().positive(),
});

export const orderPaidDataSchema = z.object({
  order_id: z.uuid(),
  user_id: z.string(),
  payment_id: z.uuid(),
  total: z.number().int().nonnegative(),
  currency: z.string().length(3),
  items: z.array(orderEventItemSchema),
});
export type OrderPaidData = z.infer<typeof orderPaidDataSchema>;

/** order.cancelled / order.payment_failed / order.expired: the reservation must be released. */
export const orderReleasedDataSchema = z.object({
  order_id: z.uuid(),
  user_id: z.string(),
  reason: z.string(),
  /** True when the order had been paid and its payment was refunded (stock goes back). */
  refunded: z.boolean().default(false),
  items: z.array(orderEventItemSchema),
});
export type OrderReleasedData = z.infer<typeof orderReleasedDataSchema>;
