import { z } from 'zod';

// Fields a client must never send: prices, totals, status and ownership come from the server.
const FORBIDDEN = [
  'price',
  'unit_price',
  'total',
  'total_amount',
  'amount',
  'line_total',
  'currency',
  'status',
  'user_id',
  'userId',
  'paid',
  'payment_id',
];

const paymentMethod = z
  .string()
  .regex(/^tok_[a-z0-9_]{1,60}$/, 'expected a payment method token such as tok_success')
  .default('tok_success')
  .describe('Sandbox token: tok_success, tok_decline, tok_async, tok_error');

const item = z.strictObject({
  product_id: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  quantity: z.number().int().min(1).max(1000),
});

const single = z.strictObject({
  product_id: item.shape.product_id,
  quantity: item.shape.quantity,
  payment_method: paymentMethod,
});

const multi = z.strictObject({
  items: z.array(item).min(1).max(50),
  payment_method: paymentMethod,
});

/** The shape a `POST /api/v1/orders` body must have once the forbidden-field check passed (OpenAPI's `CreateOrder`). */
export const createOrderShape = z.union([single, multi]);

/**
 * `POST /api/v1/orders` body: the seed's `{"product_id":1,"quantity":2}` or
 * `{"items":[{"product_id":…,"quantity":…}]}`, with an optional `payment_method` token
 * (default `tok_success`). Any client-sent price, total, status or user id is a 400.
 */
export const createOrderBody = z
  .record(z.string(), z.unknown())
  .superRefine((body, ctx) => {
    const check = (obj: unknown, path: (string | number)[]) => {
      if (typeof obj !== 'object' || obj === null) return;
      for (const key of Object.keys(obj)) {
        if (FORBIDDEN.includes(key)) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, key],
            message: 'not accepted from clients: prices, totals, status and owner are set by the server',
          });
        }
      }
    };
    check(body, []);
    if (Array.isArray(body.items)) {
      for (const [i, it] of body.items.entries()) check(it, ['items', i]);
    }
  })
  .pipe(createOrderShape)
  .transform((b) => ({
    items: 'items' in b ? b.items : [{ product_id: b.product_id, quantity: b.quantity }],
    payment_method: b.payment_method,
  }));
export type CreateOrderInput = z.output<typeof createOrderBody>;

export const orderIdParams = z.object({ id: z.uuid() });

export const listOrdersQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

export const idempotencyKeyHeader = z.string().min(1).max(255);

const nullableInt = z.number().int().nullable();

/** An order as every route answers it (`Order` in orders.service.ts has this shape; a test checks). */
export const orderResponse = z.object({
  id: z.uuid(),
  user_id: z.string(),
  status: z.enum([
    'PENDING',
    'AWAITING_PAYMENT',
    'PAID',
    'PAYMENT_FAILED',
    'CANCELLED',
    'EXPIRED',
    'REFUNDED',
  ]),
  items: z.array(
    z.object({
      product_id: z.number().int(),
      quantity: z.number().int(),
      unit_price: nullableInt,
      line_total: nullableInt,
      name: z.string().nullable(),
      sku: z.string().nullable(),
    }),
  ),
  total_amount: nullableInt.describe('minor units'),
  currency: z.string().nullable(),
  payment_method: z.string(),
  payment_id: z.string().nullable(),
  failure_reason: z.string().nullable(),
  expires_at: z.iso.datetime(),
  paid_at: z.iso.datetime().nullable(),
  cancelled_at: z.iso.datetime().nullable(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});

/** `GET /api/v1/orders`: a page of the caller's orders, newest first. */
export const ordersPageResponse = z.object({
  items: z.array(orderResponse),
  next_cursor: z.string().nullable(),
});
