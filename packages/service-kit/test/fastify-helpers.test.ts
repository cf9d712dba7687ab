import Fastify, { type FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { afterEach, describe, expect, it } from 'vitest';
import { findNonFiniteNumber } from '../src/fastify/finite-numbers.js';
import { problems, registerOpenApi, serviceKitPlugin } from '../src/fastify/index.js';
import { createLogger, createServiceKit, NotFoundError } from '../src/index.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** A fastify app with the kit plugin, as the services build theirs (in-process, never listening). */
async function kitApp(
  options: { validateResponses?: boolean; openapi?: boolean } = {},
): Promise<FastifyInstance> {
  const kit = createServiceKit({
    name: 'fastify-helpers-test',
    logger: createLogger({ name: 'fastify-helpers-test', level: 'silent' }),
    exit: () => {},
    flushTelemetryOnShutdown: false,
  });
  const app = Fastify({ ajv: { customOptions: { coerceTypes: 'array' } } });
  apps.push(app);
  if (options.openapi)
    await registerOpenApi(app, { title: 'Test', version: '1.2.3', description: 'Fixture' });
  await app.register(serviceKitPlugin, { kit, validateResponses: options.validateResponses ?? false });
  return app;
}

describe('registerOpenApi', () => {
  it('serves an OpenAPI 3.1 document built from route schemas, with the kit problem schema, and a docs page', async () => {
    const app = await kitApp({ openapi: true });
    app.get(
      '/items/:id',
      {
        schema: {
          params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
          response: { 200: Type.Object({ id: Type.Integer() }), ...problems(400, 404) },
          security: [{ bearerAuth: [] }],
        },
      },
      async (request) => {
        const { id } = request.params as { id: number };
        if (id === 404) throw new NotFoundError({ code: 'ITEM.NOT_FOUND', detail: 'no such item' });
        return { id };
      },
    );
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual({ title: 'Test', version: '1.2.3', description: 'Fixture' });
    expect(doc.components.securitySchemes).toMatchObject({
      bearerAuth: { type: 'http', scheme: 'bearer' },
      internalToken: { type: 'apiKey', in: 'header', name: 'X-Internal-Token' },
    });
    const get = doc.paths['/items/{id}'].get;
    expect(get.security).toEqual([{ bearerAuth: [] }]);
    const notFound = get.responses['404'].content['application/json'].schema;
    expect(notFound.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'code']));
    expect(Object.keys(doc.paths)).not.toContain('/openapi.json');

    const docs = await app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/text\/html/);
    const missing = await app.inject({ method: 'GET', url: '/items/404' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ status: 404, code: 'ITEM.NOT_FOUND' });
  });
});

describe('response validation (validateResponses option)', () => {
  const Out = Type.Object({ id: Type.Integer() }, { additionalProperties: false });

  async function appWithRoutes(validateResponses: boolean) {
    const app = await kitApp({ validateResponses });
    app.get('/ok', { schema: { response: { 200: Out } } }, async () => ({ id: 1 }));
    app.get('/leaky', { schema: { response: { 200: Out } } }, async () => ({ id: 1, password_hash: 'x' }));
    app.get('/wrong-type', { schema: { response: { 200: Out } } }, async () => ({ id: '1' }));
    return app;
  }

  it('turns a handler body that breaks its response schema into a 500 problem instead of sending it', async () => {
    const app = await appWithRoutes(true);
    expect((await app.inject({ method: 'GET', url: '/ok' })).json()).toEqual({ id: 1 });
    const leaky = await app.inject({ method: 'GET', url: '/leaky' });
    expect(leaky.statusCode).toBe(500);
    expect(leaky.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(leaky.body).not.toContain('password_hash');
    expect((await app.inject({ method: 'GET', url: '/wrong-type' })).statusCode).toBe(500);
  });

  it('leaves fastify serialisation alone when the option is off', async () => {
    const app = await appWithRoutes(false);
    const leaky = await app.inject({ method: 'GET', url: '/leaky' });
    expect(leaky.statusCode).toBe(200);
    expect(leaky.json()).toEqual({ id: 1 });
  });
});

describe('non-finite numbers', () => {
  async function echoApp() {
    const app = await kitApp();
    app.get(
      '/items/:id',
      {
        schema: {
          params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
          querystring: Type.Object({
            min_price: Type.Optional(Type.Number({ minimum: 0 })),
            ids: Type.Optional(Type.Array(Type.Integer())),
          }),
        },
      },
      async (request) => ({ params: request.params, query: request.query }),
    );
    // fastify's ajv rejects a body's Infinity where the schema says number (strictNumbers), but a route
    // without a body schema, or a service with other ajv options, would pass it on.
    app.post('/anything', async (request) => ({ received: typeof request.body }));
    return app;
  }

  const post = (app: FastifyInstance, url: string, payload: string) =>
    app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload });

  it('answers 1e400 in a path parameter, query or JSON body with 400 and a pointer instead of passing Infinity on', async () => {
    const app = await echoApp();
    const cases = [
      [await app.inject({ method: 'GET', url: '/items/1e400' }), '/params/id'],
      [await app.inject({ method: 'GET', url: '/items/1?min_price=1e400' }), '/query/min_price'],
      [await app.inject({ method: 'GET', url: '/items/1?ids=1&ids=-1e400' }), '/query/ids/1'],
      [
        await post(app, '/anything', '{"items":[{"quantity":1},{"quantity":1e400}]}'),
        '/body/items/1/quantity',
      ],
    ] as const;
    for (const [res, pointer] of cases) {
      expect(res.statusCode, pointer).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({
        code: 'REQUEST.VALIDATION_FAILED',
        errors: [{ pointer, detail: 'must be a finite number' }],
      });
    }
    const fine = await app.inject({ method: 'GET', url: '/items/7?min_price=1e3&ids=2' });
    expect(fine.statusCode).toBe(200);
    expect(fine.json()).toEqual({ params: { id: 7 }, query: { min_price: 1000, ids: [2] } });
  });

  it('checks bodies of routes without a schema, including deeply nested ones, without crashing', async () => {
    const app = await echoApp();
    const depth = 20_000;
    const deep = `${'['.repeat(depth)}1e400${']'.repeat(depth)}`;
    const res = await post(app, '/anything', deep);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].pointer).toBe(`/body${'/0'.repeat(depth)}`);
    expect((await post(app, '/anything', `${'['.repeat(depth)}1${']'.repeat(depth)}`)).statusCode).toBe(200);
  });

  it('finds the first non-finite number in document order', () => {
    expect(findNonFiniteNumber({ a: 1, b: [2, { c: Number.NaN }], d: Infinity })).toEqual(['b', 1, 'c']);
    expect(findNonFiniteNumber({ a: 'Infinity', b: [1, 2] })).toBeUndefined();
    expect(findNonFiniteNumber(undefined)).toBeUndefined();
  });
});
