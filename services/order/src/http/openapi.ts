import {
  openApiDocument as kitOpenApiDocument,
  mountOpenApi as mountKitOpenApi,
  type OpenApiDocumentOptions,
  type OpenApiRoute,
} from '@shop/service-kit/express';
import type { Express } from 'express';
import { z } from 'zod';
import {
  createOrderShape,
  idempotencyKeyHeader,
  listOrdersQuery,
  orderIdParams,
  orderResponse,
  ordersPageResponse,
} from '../modules/orders/orders.schemas.js';

const common = { tags: ['orders'], security: ['bearerAuth'] } satisfies Partial<OpenApiRoute>;

/** The routes of orders.routes.ts as OpenAPI describes them; every schema comes from orders.schemas.ts. */
export const orderRoutes: OpenApiRoute[] = [
  {
    ...common,
    method: 'post',
    path: '/api/v1/orders',
    summary: 'Place an order (prices come from the product service)',
    headers: z.object({
      'Idempotency-Key': idempotencyKeyHeader
        .optional()
        .describe('Same key + body replays; other body 422; while running 409. Scoped to the user.'),
    }),
    body: createOrderShape,
    responses: {
      201: { description: 'Order placed, AWAITING_PAYMENT', body: orderResponse },
      200: { description: 'Order resumed by its Idempotency-Key', body: orderResponse },
    },
    problems: [400, 401, 409, 415, 422, 503],
  },
  {
    ...common,
    method: 'get',
    path: '/api/v1/orders',
    summary: 'My orders, newest first (cursor pagination)',
    query: listOrdersQuery,
    responses: { 200: { description: 'A page of orders', body: ordersPageResponse } },
    problems: [400, 401],
  },
  {
    ...common,
    method: 'get',
    path: '/api/v1/orders/:id',
    summary: 'One order (owner or admin; anyone else 404)',
    params: orderIdParams,
    responses: { 200: { description: 'The order', body: orderResponse } },
    problems: [400, 401, 404],
  },
  {
    ...common,
    method: 'post',
    path: '/api/v1/orders/:id/cancel',
    summary: 'Cancel: before payment releases the stock; after payment refunds, then releases',
    params: orderIdParams,
    responses: { 200: { description: 'The cancelled or refunded order', body: orderResponse } },
    problems: [400, 401, 404, 409, 503],
  },
];

function documentOptions(version: string): OpenApiDocumentOptions {
  return {
    title: 'Shop order service',
    version,
    description:
      'Checkout saga: reserve stock (product service) → payment (payment service, key = order id) → AWAITING_PAYMENT → PAID / PAYMENT_FAILED via payment events; unpaid orders expire.',
    components: { CreateOrder: createOrderShape, Order: orderResponse },
    routes: orderRoutes,
  };
}

/** The OpenAPI 3.1 document of the order service, generated from its zod schemas. */
export function openApiDocument(version: string) {
  return kitOpenApiDocument(documentOptions(version));
}

/** Serves `/openapi.json` and Swagger UI at `/docs`. */
export function mountOpenApi(app: Express, version: string): void {
  mountKitOpenApi(app, documentOptions(version));
}
