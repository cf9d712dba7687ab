import { runMigrations } from '@shop/service-kit/migrate';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, startProductApp, useProductApp } from './harness.js';

const running = useProductApp('prodplat');

describe('platform endpoints', () => {
  it('serves an OpenAPI 3.1 document covering public and internal routes, and a docs page', async () => {
    const res = await running.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\.1\./);
    for (const path of [
      '/api/v1/products',
      '/api/v1/products/{id}',
      '/api/v1/categories',
      '/internal/v1/reservations',
      '/internal/v1/reservations/{order_id}/commit',
      '/internal/v1/reservations/{order_id}/release',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(doc.paths['/api/v1/products'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['q', 'category_id', 'min_price', 'max_price', 'sort', 'cursor', 'limit']),
    );
    expect(doc.components.securitySchemes.internalToken).toMatchObject({
      in: 'header',
      name: 'X-Internal-Token',
    });
    expect((await running.app.inject({ method: 'GET', url: '/docs/' })).statusCode).toBe(200);
  });

  it('answers /healthz, /readyz and /metrics', async () => {
    expect((await running.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await running.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toMatchObject({
      postgres: { status: 'up' },
      redis: { status: 'up', critical: false },
    });
    await running.app.inject({ method: 'GET', url: '/api/v1/categories' });
    const metrics = await running.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/http_requests_total\{[^}]*route="\/api\/v1\/categories"/);
    expect(metrics.body).toMatch(/product_cache_requests_total/);
  });

  it('answers unknown routes and unsupported media types with problem+json', async () => {
    const missing = await running.app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    const xml = await running.app.inject({
      method: 'POST',
      url: '/internal/v1/reservations',
      headers: { 'content-type': 'application/xml', 'x-internal-token': 'x' },
      payload: '<a/>',
    });
    expect(xml.statusCode).toBeGreaterThanOrEqual(400);
    expect(xml.statusCode).toBeLessThan(500);
  });

  it('applies the migrations a second time as a no-op', async () => {
    const result = await runMigrations({
      connectionString: running.env.db.url,
      schema: 'catalog',
      dir: MIGRATIONS,
    });
    expect(result.applied).toEqual([]);
  });
});

describe('response validation', () => {
  it('answers 500 problem+json instead of sending a body its route schema does not allow', async () => {
    const Out = Type.Object({ id: Type.Integer() }, { additionalProperties: false });
    const app = await startProductApp(running.env, {
      beforeReady: (fastify) => {
        fastify.get('/test/leaky', { schema: { response: { 200: Out } } }, async () => ({
          id: 1,
          cost_price: 420,
        }));
      },
    });
    try {
      const res = await app.app.inject({ method: 'GET', url: '/test/leaky' });
      expect(res.statusCode).toBe(500);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).not.toContain('cost_price');
    } finally {
      await app.close();
    }
  });
});
