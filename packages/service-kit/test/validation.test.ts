import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { problemFromError } from '../src/errors/problem-details.js';
import { issuesFromZod } from '../src/errors/validation-issues.js';
import { mountErrorHandlers, mountServiceKit, validate } from '../src/express/index.js';
import { serviceKitPlugin } from '../src/fastify/index.js';
import {
  ConflictError,
  createLogger,
  createServiceKit,
  DomainError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  ServiceUnavailableError,
  TooManyRequestsError,
  UnauthorizedError,
  UnprocessableEntityError,
  ValidationError,
} from '../src/index.js';
import { httpRequest } from './helpers/http-client.js';

const silentKit = () =>
  createServiceKit({
    name: 'validation-test',
    logger: createLogger({ name: 'validation-test', level: 'silent' }),
    exit: () => {},
    flushTelemetryOnShutdown: false,
  });

describe('express validate()', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    const app = express();
    mountServiceKit(app, silentKit());
    app.post(
      '/orders/:orderId/items',
      validate({
        params: z.object({ orderId: z.coerce.number().int().positive() }),
        query: z.object({ dryRun: z.enum(['true', 'false']).default('false') }),
        body: z.object({
          items: z
            .array(z.object({ product_id: z.number().int(), quantity: z.number().int().min(1) }))
            .min(1),
        }),
      }),
      (req, res) => {
        res.json({ params: req.params, query: req.query, body: req.body });
      },
    );
    mountErrorHandlers(app, silentKit());
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (path: string, body: unknown) =>
    httpRequest(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('replaces params, query and body with the parsed values', async () => {
    const response = await post('/orders/12/items', {
      items: [{ product_id: 1, quantity: 2 }],
      extra: 'dropped',
    });
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({
      params: { orderId: 12 },
      query: { dryRun: 'false' },
      body: { items: [{ product_id: 1, quantity: 2 }] },
    });
  });

  it('answers 400 with a JSON pointer for every invalid field across params, query and body', async () => {
    const response = await post('/orders/abc/items?dryRun=maybe', {
      items: [{ product_id: 1, quantity: 0 }, { quantity: 1 }],
    });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    const body = response.json<{ code: string; errors: { pointer: string }[] }>();
    expect(body.code).toBe('REQUEST.VALIDATION_FAILED');
    expect(body.errors.map((e) => e.pointer).sort()).toEqual([
      '/body/items/0/quantity',
      '/body/items/1/product_id',
      '/params/orderId',
      '/query/dryRun',
    ]);
  });
});

describe('fastify validation errors', () => {
  it('point at the query string and params with the public location names', async () => {
    const app = Fastify({ logger: false, ajv: { customOptions: { allErrors: true } } });
    await app.register(serviceKitPlugin, { kit: silentKit() });
    app.get(
      '/search/:page',
      {
        schema: {
          params: { type: 'object', properties: { page: { type: 'integer', minimum: 1 } } },
          querystring: {
            type: 'object',
            required: ['q'],
            properties: { q: { type: 'string', minLength: 2 } },
          },
        },
      },
      async () => ({ ok: true }),
    );
    const missing = await app.inject({ method: 'GET', url: '/search/1' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors).toEqual([
      { pointer: '/query/q', detail: "must have required property 'q'" },
    ]);
    const badParam = await app.inject({ method: 'GET', url: '/search/0?q=shoes' });
    expect(badParam.json().errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/params/page']);
    await app.close();
  });
});

describe('problemFromError', () => {
  it('maps a zod error to 400 with pointers', () => {
    const result = z.object({ email: z.email() }).safeParse({ email: 'nope' });
    expect(result.success).toBe(false);
    const problem = problemFromError(result.error, { instance: '/users' });
    expect(problem.status).toBe(400);
    expect(problem.body.errors).toEqual([{ pointer: '/email', detail: expect.any(String) }]);
  });

  it('keeps domain error headers and escapes pointer segments (RFC 6901)', () => {
    const errors = issuesFromZod([{ path: ['a/b', '~x', 0], message: 'bad' }], 'body');
    expect(errors).toEqual([{ pointer: '/body/a~1b/~0x/0', detail: 'bad' }]);
    const problem = problemFromError(new ValidationError({ errors, headers: { 'Retry-After': '5' } }));
    expect(problem.headers).toEqual({ 'Retry-After': '5' });
    expect(problem.body.errors).toEqual(errors);
  });

  it('turns non-Error throws and 5xx framework errors into an opaque 500/5xx', () => {
    expect(problemFromError('a string').body).toMatchObject({
      status: 500,
      code: 'INTERNAL.ERROR',
      detail: 'An unexpected error occurred',
    });
    const upstream = Object.assign(new Error('upstream said: db password wrong'), { statusCode: 502 });
    const problem = problemFromError(upstream);
    expect(problem.status).toBe(502);
    expect(JSON.stringify(problem.body)).not.toContain('password');
    expect(problem.unexpected).toBe(true);
  });
});

describe('domain error classes', () => {
  it('carry a fixed status with default code and title, and are named after their class', () => {
    const cases = [
      [ValidationError, 400, 'REQUEST.VALIDATION_FAILED', 'Request validation failed'],
      [UnauthorizedError, 401, 'AUTH.UNAUTHORIZED', 'Unauthorized'],
      [ForbiddenError, 403, 'AUTH.FORBIDDEN', 'Forbidden'],
      [NotFoundError, 404, 'RESOURCE.NOT_FOUND', 'Not Found'],
      [ConflictError, 409, 'RESOURCE.CONFLICT', 'Conflict'],
      [PreconditionFailedError, 412, 'REQUEST.PRECONDITION_FAILED', 'Precondition Failed'],
      [UnprocessableEntityError, 422, 'REQUEST.UNPROCESSABLE', 'Unprocessable Content'],
      [TooManyRequestsError, 429, 'REQUEST.RATE_LIMITED', 'Too Many Requests'],
      [ServiceUnavailableError, 503, 'SERVICE.UNAVAILABLE', 'Service Unavailable'],
    ] as const;
    for (const [ErrorClass, status, code, title] of cases) {
      const err = new ErrorClass();
      expect(err).toBeInstanceOf(DomainError);
      expect(err.name).toBe(ErrorClass.name);
      expect(problemFromError(err).body).toMatchObject({ status, code, title });
    }
  });

  it('take a detail string, or options overriding code and title, and keep subclass names', () => {
    expect(new NotFoundError('Order 7 does not exist')).toMatchObject({
      status: 404,
      code: 'RESOURCE.NOT_FOUND',
      detail: 'Order 7 does not exist',
      message: 'Order 7 does not exist',
    });
    const custom = new ConflictError({ code: 'ORDER.ALREADY_PAID', title: 'Already paid', detail: 'paid' });
    expect(custom).toMatchObject({ status: 409, code: 'ORDER.ALREADY_PAID', title: 'Already paid' });
    class OrderNotFoundError extends NotFoundError {}
    const nested = new OrderNotFoundError({ code: 'ORDER.NOT_FOUND' });
    expect(nested.name).toBe('OrderNotFoundError');
    expect(nested).toBeInstanceOf(NotFoundError);
  });
});
