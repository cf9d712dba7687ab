import { type ReserveRequest, reservationOrderIdSchema, reserveRequestSchema } from '@shop/contracts';
import { Type } from 'typebox';
import { z } from 'zod';

/**
 * A request schema of @shop/contracts as the JSON Schema fastify validates with (draft-07, the dialect
 * of fastify's Ajv): the contract is the one statement of the reservation API the order service sends.
 */
function fromContract<T>(schema: z.ZodType<T>) {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io: 'input', target: 'draft-7' });
  return Type.Unsafe<T>(json);
}

export const OrderId = fromContract<string>(reservationOrderIdSchema);

export const ReserveBody = fromContract<ReserveRequest>(reserveRequestSchema);

// The answer's schema drives fast-json-stringify (dates as date-time); the product tests parse every
// answer with the contract's `reservationSchema`, which is what the order service parses it with.
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
