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
  .default('tok_success');

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
  .pipe(z.union([single, multi]))
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
