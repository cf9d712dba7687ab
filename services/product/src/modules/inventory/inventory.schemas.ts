import { Type } from 'typebox';

// Mirrors the zod schemas in @shop/contracts (inventory.ts), which the order service parses with.
export const OrderId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' });

export const ReserveBody = Type.Object(
  {
    order_id: OrderId,
    items: Type.Array(
      Type.Object(
        {
          product_id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
          quantity: Type.Integer({ minimum: 1, maximum: 10_000 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 100 },
    ),
    ttl_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
  },
  { additionalProperties: false },
);

export const ReservationSchema = Type.Object(
  {
    order_id: Type.String(),
    status: Type.Union([
      Type.Literal('RESERVED'),
      Type.Literal('COMMITTED'),
      Type.Literal('RELEASED'),
      Type.Literal('EXPIRED'),
      Type.Literal('RETURNED'),
    ]),
    currency: Type.String(),
    total_amount: Type.Integer(),
    expires_at: Type.String({ format: 'date-time' }),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    items: Type.Array(
      Type.Object(
        {
          product_id: Type.Integer(),
          sku: Type.String(),
          name: Type.String(),
          quantity: Type.Integer(),
          unit_price: Type.Integer({ description: 'Minor units at reservation time' }),
          currency: Type.String(),
          line_total: Type.Integer(),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const OrderIdParams = Type.Object({ order_id: OrderId });
