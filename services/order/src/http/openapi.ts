import type { Express } from 'express';
import swaggerUi from 'swagger-ui-express';

const problem = {
  description: 'RFC 9457 problem details',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
};
const problems = (...codes: number[]) => Object.fromEntries(codes.map((c) => [String(c), problem]));
const orderResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } },
});
const bearer = [{ bearerAuth: [] }];
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const item = {
  type: 'object',
  additionalProperties: false,
  required: ['product_id', 'quantity'],
  properties: {
    product_id: { type: 'integer', minimum: 1 },
    quantity: { type: 'integer', minimum: 1, maximum: 1000 },
  },
};
const paymentMethod = {
  type: 'string',
  pattern: '^tok_[a-z0-9_]{1,60}$',
  default: 'tok_success',
  description: 'Sandbox token: tok_success, tok_decline, tok_async, tok_error',
};

/** The OpenAPI 3.1 document of the order service (hand-written: the zod body has a union + transform). */
export function openApiDocument(version: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Shop order service',
      version,
      description:
        'Checkout saga: reserve stock (product service) → payment (payment service, key = order id) → AWAITING_PAYMENT → PAID / PAYMENT_FAILED via payment events; unpaid orders expire.',
    },
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            code: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { pointer: { type: 'string' }, detail: { type: 'string' } },
              },
            },
          },
        },
        CreateOrder: {
          oneOf: [
            {
              ...item,
              properties: { ...item.properties, payment_method: paymentMethod },
              examples: [{ product_id: 1, quantity: 2 }],
            },
            {
              type: 'object',
              additionalProperties: false,
              required: ['items'],
              properties: {
                items: { type: 'array', minItems: 1, maxItems: 50, items: item },
                payment_method: paymentMethod,
              },
            },
          ],
        },
        Order: {
          type: 'object',
          properties: {
            id: { type: 'string', format: 'uuid' },
            user_id: { type: 'string' },
            status: {
              enum: [
                'PENDING',
                'AWAITING_PAYMENT',
                'PAID',
                'PAYMENT_FAILED',
                'CANCELLED',
                'EXPIRED',
                'REFUNDED',
              ],
            },
            items: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  product_id: { type: 'integer' },
                  quantity: { type: 'integer' },
                  unit_price: { type: ['integer', 'null'] },
                  line_total: { type: ['integer', 'null'] },
                  name: { type: ['string', 'null'] },
                  sku: { type: ['string', 'null'] },
                },
              },
            },
            total_amount: { type: ['integer', 'null'], description: 'minor units' },
            currency: { type: ['string', 'null'] },
            payment_method: { type: 'string' },
            payment_id: { type: ['string', 'null'] },
            failure_reason: { type: ['string', 'null'] },
            expires_at: { type: 'string', format: 'date-time' },
            paid_at: { type: ['string', 'null'], format: 'date-time' },
            cancelled_at: { type: ['string', 'null'], format: 'date-time' },
            created_at: { type: 'string', format: 'date-time' },
            updated_at: { type: 'string', format: 'date-time' },
          },
        },
      },
    },
    paths: {
      '/api/v1/orders': {
        post: {
          tags: ['orders'],
          summary: 'Place an order (prices come from the product service)',
          security: bearer,
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', maxLength: 255 },
              description: 'Same key + body replays; other body 422; while running 409. Scoped to the user.',
            },
          ],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateOrder' } } },
          },
          responses: {
            '201': orderResponse('Order placed, AWAITING_PAYMENT'),
            '200': orderResponse('Order resumed by its Idempotency-Key'),
            ...problems(400, 401, 409, 415, 422, 503),
          },
        },
        get: {
          tags: ['orders'],
          summary: 'My orders, newest first (cursor pagination)',
          security: bearer,
          parameters: [
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'A page of orders',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      items: { type: 'array', items: { $ref: '#/components/schemas/Order' } },
                      next_cursor: { type: ['string', 'null'] },
                    },
                  },
                },
              },
            },
            ...problems(400, 401),
          },
        },
      },
      '/api/v1/orders/{id}': {
        get: {
          tags: ['orders'],
          summary: 'One order (owner or admin; anyone else 404)',
          security: bearer,
          parameters: [idParam],
          responses: { '200': orderResponse('The order'), ...problems(400, 401, 404) },
        },
      },
      '/api/v1/orders/{id}/cancel': {
        post: {
          tags: ['orders'],
          summary: 'Cancel: before payment releases the stock; after payment refunds, then releases',
          security: bearer,
          parameters: [idParam],
          responses: {
            '200': orderResponse('The cancelled or refunded order'),
            ...problems(400, 401, 404, 409, 503),
          },
        },
      },
    },
  };
}

/** Serves `/openapi.json` and Swagger UI at `/docs`. */
export function mountOpenApi(app: Express, version: string): void {
  const doc = openApiDocument(version);
  app.get('/openapi.json', (_req, res) => {
    res.json(doc);
  });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(doc));
}
