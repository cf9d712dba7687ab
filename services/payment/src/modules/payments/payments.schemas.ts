import { Type } from 'typebox';

export const IdempotencyHeaders = Type.Object(
  {
    'idempotency-key': Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'Required. Same key + same body replays the stored payment; a different body is 422.',
    }),
  },
  { additionalProperties: true },
);

export const CreatePaymentBody = Type.Object(
  {
    order_id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' }),
    amount: Type.Integer({ minimum: 1, maximum: 100_000_000_000, description: 'Minor units (cents)' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', examples: ['USD'] }),
    payment_method: Type.String({
      pattern: '^tok_[a-z0-9_]{1,60}$',
      description:
        'Sandbox tokens: tok_success, tok_decline, tok_async (confirmed by webhook), tok_error (provider 5xx)',
      examples: ['tok_success'],
    }),
  },
  { additionalProperties: false },
);

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const PaymentSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  order_id: Type.String(),
  amount: Type.Integer(),
  currency: Type.String(),
  payment_method: Type.String(),
  status: Type.Union([
    Type.Literal('processing'),
    Type.Literal('pending'),
    Type.Literal('succeeded'),
    Type.Literal('failed'),
    Type.Literal('partially_refunded'),
    Type.Literal('refunded'),
  ]),
  provider: Type.String(),
  provider_ref: Nullable(Type.String()),
  failure_code: Nullable(Type.String()),
  failure_message: Nullable(Type.String()),
  refunded_amount: Type.Integer(),
  captured_at: Nullable(Type.String({ format: 'date-time' })),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export const PaymentIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const ListPaymentsQuery = Type.Object(
  {
    order_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    offset: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }),
  },
  { additionalProperties: false },
);

export const RefundBody = Type.Object(
  {
    amount: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100_000_000_000,
        description: 'Minor units; omit for a full refund',
      }),
    ),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const RefundSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  payment_id: Type.String({ format: 'uuid' }),
  amount: Type.Integer(),
  currency: Type.String(),
  status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
  provider_ref: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
});

export const RefundResult = Type.Object({ refund: RefundSchema, payment: PaymentSchema });
