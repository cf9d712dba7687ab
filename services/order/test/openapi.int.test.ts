import type { Express } from 'express';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { orderResponse, ordersPageResponse } from '../src/modules/orders/orders.schemas.js';
import type { Order } from '../src/modules/orders/orders.service.js';
import { ALICE, type OrderApi, orderApi, seedOrder, useOrderApp } from './harness.js';

const running = useOrderApp('order-openapi');
let call: OrderApi;

beforeAll(async () => {
  call = await orderApi(running);
});

// biome-ignore lint/suspicious/noExplicitAny: the document and response bodies are asserted field by field
type Json = any;

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: RouterLayer[] };
}

/** `METHOD /openapi/path` of every route the running express app answers under /api/. */
function appRoutes(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: RouterLayer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods))
          if (on) found.push(`${method} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: RouterLayer[] } }).router.stack);
  return found.filter((route) => route.split(' ')[1]!.startsWith('/api/')).sort();
}

describe('OpenAPI document (generated from orders.schemas.ts)', () => {
  it('documents every route of the app with its method, and nothing else', async () => {
    const res = await call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    const doc: Json = await res.json();
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`))
      .sort();
    expect(documented).toEqual(appRoutes(running.app));
    expect(documented).toEqual([
      'get /api/v1/orders',
      'get /api/v1/orders/{id}',
      'post /api/v1/orders',
      'post /api/v1/orders/{id}/cancel',
    ]);
  });

  it('keeps what the hand-written document said: security, problem answers, Idempotency-Key, schemas', async () => {
    const doc: Json = await (await call('GET', '/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'Shop order service', version: '0.0.0-test' });
    expect(doc.components.securitySchemes.bearerAuth).toEqual({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    const problem = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
    const expected: Record<string, Record<string, string[]>> = {
      '/api/v1/orders': {
        post: ['200', '201', '400', '401', '409', '415', '422', '503'],
        get: ['200', '400', '401'],
      },
      '/api/v1/orders/{id}': { get: ['200', '400', '401', '404'] },
      '/api/v1/orders/{id}/cancel': { post: ['200', '400', '401', '404', '409', '503'] },
    };
    for (const [path, methods] of Object.entries(expected)) {
      for (const [method, statuses] of Object.entries(methods)) {
        const op = doc.paths[path][method];
        expect(op.security, `${method} ${path}`).toEqual([{ bearerAuth: [] }]);
        expect(Object.keys(op.responses).sort(), `${method} ${path}`).toEqual(statuses);
        for (const status of statuses.filter((s) => Number(s) >= 400))
          expect(op.responses[status].content, `${method} ${path} ${status}`).toEqual(problem);
      }
    }
    const post = doc.paths['/api/v1/orders'].post;
    expect(post.parameters).toEqual([
      expect.objectContaining({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        schema: expect.objectContaining({ type: 'string', maxLength: 255 }),
      }),
    ]);
    expect(post.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/CreateOrder',
    });
    // Both accepted body shapes, `payment_method` optional (it has a default).
    const [single, multi] = doc.components.schemas.CreateOrder.anyOf;
    expect(single.required).toEqual(['product_id', 'quantity']);
    expect(multi.required).toEqual(['items']);
    expect(single.properties.payment_method).toMatchObject({ default: 'tok_success' });
    expect(doc.paths['/api/v1/orders/{id}'].get.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
    ]);
    expect(doc.paths['/api/v1/orders'].get.parameters.map((p: Json) => p.name)).toEqual(['limit', 'cursor']);
    expect(doc.components.schemas.Problem.required).toEqual(['type', 'title', 'status', 'code']);
    expect((await call('GET', '/docs/')).status).toBe(200);
  });

  it('describes the orders the routes actually answer', async () => {
    expectTypeOf<z.output<typeof orderResponse>>().toEqualTypeOf<Order>();
    const id = await seedOrder(running.pool, { userId: ALICE, status: 'PAID' });
    const one: Json = await (await call('GET', `/api/v1/orders/${id}`, 'alice')).json();
    // Parsing strips undocumented members: equal means the schema names every member the route sends.
    expect(orderResponse.parse(one)).toEqual(one);
    const page: Json = await (await call('GET', '/api/v1/orders', 'alice')).json();
    expect(page.items.length).toBeGreaterThan(0);
    expect(ordersPageResponse.parse(page)).toEqual(page);
  });
});
