import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProblemSchema } from '../src/errors/problem.schema.js';
import { mountOpenApi, type OpenApiRoute, openApiDocument } from '../src/express/index.js';
import { ProblemSchema as FastifyProblemSchema } from '../src/fastify/index.js';

const item = z.strictObject({ sku: z.string().min(1), quantity: z.number().int().min(1) });
const createItem = z.strictObject({
  items: z.array(item).min(1),
  note: z.string().max(20).default(''),
});
const created = z.object({ id: z.uuid(), total: z.number().int().nullable(), items: z.array(item) });

const routes: OpenApiRoute[] = [
  {
    method: 'post',
    path: '/api/v1/things',
    summary: 'Create a thing',
    operationId: 'createThing',
    tags: ['things'],
    security: ['bearerAuth'],
    headers: z.object({ 'Idempotency-Key': z.string().max(255).optional().describe('replay key') }),
    body: createItem,
    responses: { 201: { description: 'Created', body: created } },
    problems: [400, 409],
  },
  {
    method: 'get',
    path: '/api/v1/things/:id',
    summary: 'One thing',
    params: z.object({ id: z.uuid() }),
    query: z.object({ expand: z.coerce.number().int().default(0), q: z.string() }),
    responses: { 200: { description: 'The thing', body: created }, 204: { description: 'Nothing' } },
    problems: [404],
  },
];

const info = { title: 'Things', version: '1.2.3', description: 'Fixture' };

describe('openApiDocument (express, from zod schemas)', () => {
  const doc = openApiDocument({ ...info, routes, components: { Item: item } });
  // biome-ignore lint/suspicious/noExplicitAny: the document is asserted field by field
  const paths = doc.paths as any;

  it('is OpenAPI 3.1 with the info, the kit security schemes and the shared problem schema', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual(info);
    expect(doc.components.securitySchemes).toMatchObject({
      bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      internalToken: { type: 'apiKey', in: 'header', name: 'X-Internal-Token' },
    });
    // The same schema fastify's `problems()` puts on route responses.
    expect(FastifyProblemSchema).toBe(ProblemSchema);
    expect(doc.components.schemas.Problem).toEqual(JSON.parse(JSON.stringify(ProblemSchema)));
    expect(doc.components.schemas.Problem).toMatchObject({
      required: expect.arrayContaining(['type', 'title', 'status', 'code']),
    });
  });

  it('documents a zod body (input side), its response (output side) and problem responses', () => {
    const post = paths['/api/v1/things'].post;
    expect(post).toMatchObject({
      operationId: 'createThing',
      tags: ['things'],
      summary: 'Create a thing',
      security: [{ bearerAuth: [] }],
    });
    const body = post.requestBody.content['application/json'].schema;
    expect(post.requestBody.required).toBe(true);
    expect(body).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['items'], // `note` has a default: optional for the client
      properties: {
        items: { type: 'array', minItems: 1, items: { $ref: '#/components/schemas/Item' } },
        note: { type: 'string', maxLength: 20, default: '' },
      },
    });
    const ok = post.responses['201'];
    expect(ok.description).toBe('Created');
    expect(ok.content['application/json'].schema).toMatchObject({
      type: 'object',
      required: ['id', 'total', 'items'],
      properties: { id: { type: 'string', format: 'uuid' } },
    });
    for (const status of ['400', '409']) {
      expect(post.responses[status].content['application/problem+json'].schema).toEqual({
        $ref: '#/components/schemas/Problem',
      });
    }
    expect(post.parameters).toEqual([
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: 'replay key',
        schema: { type: 'string', maxLength: 255 },
      },
    ]);
    expect(doc.components.schemas.Item).toMatchObject({ type: 'object', required: ['sku', 'quantity'] });
  });

  it('turns express path params into OpenAPI ones and lists query parameters with their requiredness', () => {
    const get = paths['/api/v1/things/{id}'].get;
    expect(get.security).toBeUndefined();
    expect(get.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
      {
        name: 'expand',
        in: 'query',
        required: false,
        schema: expect.objectContaining({ type: 'integer', default: 0 }),
      },
      { name: 'q', in: 'query', required: true, schema: { type: 'string' } },
    ]);
    expect(get.responses['204']).toEqual({ description: 'Nothing' });
    expect(get.responses['404'].content['application/problem+json']).toBeDefined();
  });

  it('publishes a component used both ways with differing forms twice, and refers to the right one', () => {
    const withDefault = z.object({ n: z.number().default(1) });
    const twoWays = openApiDocument({
      ...info,
      components: { Counter: withDefault },
      routes: [
        {
          method: 'put',
          path: '/counter',
          summary: 'Set',
          body: withDefault,
          responses: { 200: { description: 'Set', body: withDefault } },
        },
      ],
    });
    expect(twoWays.components.schemas.Counter).toMatchObject({ required: ['n'] });
    expect(twoWays.components.schemas.CounterInput).not.toHaveProperty('required');
    // biome-ignore lint/suspicious/noExplicitAny: asserted field by field
    const put = (twoWays.paths as any)['/counter'].put;
    expect(put.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/CounterInput',
    });
    expect(put.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Counter',
    });
  });

  it('refuses a route schema nested in another route schema without a name', () => {
    const inner = z.object({ a: z.string() });
    expect(() =>
      openApiDocument({
        ...info,
        routes: [
          { method: 'get', path: '/a', summary: 'a', responses: { 200: { description: 'a', body: inner } } },
          {
            method: 'get',
            path: '/b',
            summary: 'b',
            responses: { 200: { description: 'b', body: z.object({ inner }) } },
          },
        ],
      }),
    ).toThrow(/name it in `components`/);
  });
});

describe('mountOpenApi (express)', () => {
  const servers: http.Server[] = [];
  afterEach(async () => {
    await Promise.all(
      servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  });

  it('serves the document at /openapi.json and Swagger UI at /docs', async () => {
    const app = express();
    mountOpenApi(app, { ...info, routes });
    const server = http.createServer(app);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const res = await fetch(`${base}/openapi.json`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument({ ...info, routes }))));
    const docs = await fetch(`${base}/docs/`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/text\/html/);
  });
});
