import { runMigrations } from '@shop/service-kit/migrate';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, startUserApp, useUserApp } from './harness.js';

const running = useUserApp('userplat');

describe('platform endpoints', () => {
  it('serves an OpenAPI 3.1 document generated from the route schemas, and a docs page', async () => {
    const res = await running.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\.1\./);
    for (const path of [
      '/api/v1/users',
      '/api/v1/users/login',
      '/api/v1/users/refresh',
      '/api/v1/users/logout',
      '/api/v1/users/me',
      '/.well-known/jwks.json',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    const register = doc.paths['/api/v1/users'].post;
    expect(register.requestBody.content['application/json'].schema.properties.password).toMatchObject({
      minLength: 12,
      maxLength: 128,
    });
    expect(doc.paths['/api/v1/users/me'].get.security).toEqual([{ bearerAuth: [] }]);
    const docs = await running.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/text\/html/);
  });

  it('answers /healthz, /readyz (postgres + redis) and /metrics with request metrics by route template', async () => {
    expect((await running.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await running.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.body).toMatch(/postgres/);
    expect(ready.body).toMatch(/redis/);
    await running.app.inject({ method: 'GET', url: '/api/v1/users/00000000-0000-4000-8000-000000000000' });
    const metrics = await running.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/http_requests_total\{[^}]*route="\/api\/v1\/users\/:id"/);
  });

  it('applies the migrations a second time as a no-op', async () => {
    const result = await runMigrations({
      connectionString: running.env.db.url,
      schema: 'users',
      dir: MIGRATIONS,
    });
    expect(result.applied).toEqual([]);
  });
});

describe('response validation', () => {
  it('answers 500 problem+json instead of sending a body its route schema does not allow', async () => {
    const Out = Type.Object({ id: Type.String() }, { additionalProperties: false });
    const app = await startUserApp(running.env, {
      beforeReady: (fastify) => {
        fastify.get('/test/leaky', { schema: { response: { 200: Out } } }, async () => ({
          id: 'u-1',
          password_hash: '$argon2id$v=19$leak',
        }));
      },
    });
    try {
      const res = await app.app.inject({ method: 'GET', url: '/test/leaky' });
      expect(res.statusCode).toBe(500);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).not.toContain('argon2id');
    } finally {
      await app.close();
    }
  });
});
