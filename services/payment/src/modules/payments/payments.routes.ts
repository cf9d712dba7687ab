import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problems } from '@shop/service-kit/fastify';
import type { preHandlerAsyncHookHandler } from 'fastify';
import { Type } from 'typebox';
import {
  CreatePaymentBody,
  IdempotencyHeaders,
  ListPaymentsQuery,
  PaymentIdParams,
  PaymentSchema,
  RefundBody,
  RefundResult,
  RefundSchema,
} from './payments.schemas.js';
import type { PaymentsService } from './payments.service.js';

export interface PaymentsRoutesOptions {
  payments: PaymentsService;
  authorize: preHandlerAsyncHookHandler;
}

const security: Record<string, string[]>[] = [{ internalToken: [] }, { bearerAuth: [] }];

// The OpenAPI/validation schema of each route, in the order the routes are registered below.
const createPaymentSchema = {
  tags: ['payments'],
  summary: 'Create and charge a payment (order service with X-Internal-Token, or an admin)',
  security,
  headers: IdempotencyHeaders,
  body: CreatePaymentBody,
  response: { 200: PaymentSchema, 201: PaymentSchema, ...problems(400, 401, 403, 409, 422) },
};
const listPaymentsSchema = {
  tags: ['payments'],
  summary: 'List payments (newest first), optionally of one order',
  security,
  querystring: ListPaymentsQuery,
  response: { 200: Type.Object({ items: Type.Array(PaymentSchema) }), ...problems(400, 401, 403) },
};
const getPaymentSchema = {
  tags: ['payments'],
  summary: 'One payment',
  security,
  params: PaymentIdParams,
  response: { 200: PaymentSchema, ...problems(400, 401, 403, 404) },
};
const createRefundSchema = {
  tags: ['payments'],
  summary: 'Refund a captured payment, fully (no amount) or partially; idempotent per key',
  security,
  headers: IdempotencyHeaders,
  params: PaymentIdParams,
  body: Type.Union([RefundBody, Type.Null()]),
  response: { 200: RefundResult, 201: RefundResult, ...problems(400, 401, 403, 404, 409, 422, 502) },
};
const listRefundsSchema = {
  tags: ['payments'],
  summary: 'Refunds of a payment',
  security,
  params: PaymentIdParams,
  response: { 200: Type.Object({ items: Type.Array(RefundSchema) }), ...problems(400, 401, 403, 404) },
};

export const paymentsRoutes: FastifyPluginAsyncTypebox<PaymentsRoutesOptions> = async (
  app,
  { payments, authorize },
) => {
  app.post(
    '/api/v1/payments',
    { preHandler: authorize, schema: createPaymentSchema },
    async (request, reply) => {
      const { payment, created } = await payments.create(request.body, request.headers['idempotency-key']);
      return reply
        .code(created ? 201 : 200)
        .header('location', `/api/v1/payments/${payment.id}`)
        .send(payment);
    },
  );

  app.get('/api/v1/payments', { preHandler: authorize, schema: listPaymentsSchema }, async (request) => ({
    items: await payments.list({
      orderId: request.query.order_id,
      limit: request.query.limit,
      offset: request.query.offset,
    }),
  }));

  app.get('/api/v1/payments/:id', { preHandler: authorize, schema: getPaymentSchema }, async (request) =>
    payments.get(request.params.id),
  );

  app.post(
    '/api/v1/payments/:id/refunds',
    { preHandler: authorize, schema: createRefundSchema },
    async (request, reply) => {
      const body = request.body ?? {};
      const result = await payments.refund(
        request.params.id,
        { amount: body.amount, reason: body.reason },
        request.headers['idempotency-key'],
      );
      return reply.code(result.created ? 201 : 200).send({ refund: result.refund, payment: result.payment });
    },
  );

  app.get(
    '/api/v1/payments/:id/refunds',
    { preHandler: authorize, schema: listRefundsSchema },
    async (request) => ({ items: await payments.listRefunds(request.params.id) }),
  );
};
