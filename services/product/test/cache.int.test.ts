import { getFreePort } from '@shop/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { auth, createProduct, type RunningProductApp, startProductApp, useProductApp } from './harness.js';

const running = useProductApp('cache');
let admin: string;

beforeAll(async () => {
  admin = await running.env.sign({ role: 'admin' });
});

async function metric(app: RunningProductApp, name: string, labels = ''): Promise<number> {
  const text = await app.kit.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}` : ''}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

const get = (app: RunningProductApp, id: number) =>
  app.app.inject({ method: 'GET', url: `/api/v1/products/${id}` });
/** An admin PATCH of a product at version 1. */
const patchV1 = (app: RunningProductApp, id: number, payload: Record<string, unknown>) =>
  app.app.inject({
    method: 'PATCH',
    url: `/api/v1/products/${id}`,
    headers: { ...auth(admin), 'if-match': '"v1"' },
    payload,
  });

describe('product cache (Redis, cache-aside)', () => {
  it('serves repeated reads from Redis: a change made behind the service’s back is not seen', async () => {
    const p = await createProduct(running, admin, { name: 'Cached name' });
    expect((await get(running, p.id)).json().name).toBe('Cached name');
    await running.pool.query(`UPDATE catalog.products SET name = 'Changed in SQL' WHERE id = $1`, [p.id]);
    const again = await get(running, p.id);
    expect(again.json().name).toBe('Cached name');
    expect(again.headers.etag).toBe('"v1"');
    const ttl = await running.redis.ttl(`product:v2:${p.id}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('sends a hit as stored: the text the route printed, with its ETag, not parsed and printed again', async () => {
    const p = await createProduct(running, admin, { name: 'Printed once' });
    const first = await get(running, p.id);
    const stored = (await running.redis.get(`product:v2:${p.id}`))!;
    const generation = (await running.redis.get(`product:gen:${p.id}`)) ?? '';
    // <generation>\n<etag>\n<json>: the body is exactly what the first (uncached) answer sent.
    expect(stored).toBe(`${generation}\n"v1"\n${first.body}`);
    // Swap the stored text for a marker the serializer could never print (key order, spacing): a hit
    // sends it byte for byte.
    const marker = `{ "name" : "as stored",  "id": ${p.id} }`;
    await running.redis.set(`product:v2:${p.id}`, `${generation}\n"v7"\n${marker}`, 'KEEPTTL');
    const hit = await get(running, p.id);
    expect(hit.body).toBe(marker);
    expect(hit.headers.etag).toBe('"v7"');
    expect(hit.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('serves a value only under the generation it was stored with (writes of the previous release)', async () => {
    const p = await createProduct(running, admin, { name: 'Before old write' });
    await get(running, p.id);
    // What an instance of the previous release does on a write: its own SQL, then INCR the generation
    // and DEL its own key (product:v1) — it knows nothing of product:v2.
    await running.pool.query(
      `UPDATE catalog.products SET name = 'Written by v1', version = version + 1 WHERE id = $1`,
      [p.id],
    );
    await running.redis.incr(`product:gen:${p.id}`);
    await running.redis.del(`product:v1:${p.id}`);
    const read = await get(running, p.id);
    expect(read.json().name).toBe('Written by v1');
    expect(read.headers.etag).toBe('"v2"');
  });

  it('deletes the previous release’s key (product:v1) on every write, so its instances see the change', async () => {
    const p = await createProduct(running, admin, { name: 'Legacy' });
    await running.redis.set(`product:v1:${p.id}`, JSON.stringify({ ...p, name: 'Legacy' }), 'EX', 60);
    const patched = await patchV1(running, p.id, { name: 'New' });
    expect(patched.statusCode).toBe(200);
    expect(await running.redis.exists(`product:v1:${p.id}`)).toBe(0);
  });

  it('is invalidated by an update and by a delete', async () => {
    const p = await createProduct(running, admin, { name: 'Before' });
    await get(running, p.id);
    const patched = await patchV1(running, p.id, { name: 'After' });
    expect(patched.statusCode).toBe(200);
    const read = await get(running, p.id);
    expect(read.json().name).toBe('After');
    expect(read.headers.etag).toBe('"v2"');
    await running.app.inject({ method: 'DELETE', url: `/api/v1/products/${p.id}`, headers: auth(admin) });
    expect((await get(running, p.id)).statusCode).toBe(404);
  });

  it('loads a cold key once for 50 concurrent misses', async () => {
    const p = await createProduct(running, admin);
    const before = await metric(running, 'product_cache_loads_total');
    const results = await Promise.all(Array.from({ length: 50 }, () => get(running, p.id)));
    expect(results.every((r) => r.statusCode === 200)).toBe(true);
    expect((await metric(running, 'product_cache_loads_total')) - before).toBe(1);
  });

  it('remembers unknown ids briefly and forgets them when the id gets created', async () => {
    const before = await metric(running, 'product_cache_loads_total');
    expect((await get(running, 4_242_424)).statusCode).toBe(404);
    expect((await get(running, 4_242_424)).statusCode).toBe(404);
    expect((await metric(running, 'product_cache_loads_total')) - before).toBe(1);
    await running.pool.query(`SELECT setval(pg_get_serial_sequence('catalog.products', 'id'), 4242423)`);
    const created = await createProduct(running, admin);
    expect(created.id).toBe(4_242_424);
    expect((await get(running, 4_242_424)).statusCode).toBe(200);
  });

  it('never stores a value that a concurrent update made stale', async () => {
    const p = await createProduct(running, admin, { name: 'v1 name' });
    const old = await running.modules.products.get(p.id, (x) => JSON.stringify(x));
    await running.modules.cache.invalidate([p.id]);
    let releaseLoader: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      releaseLoader = resolve;
    });
    // A slow reader started before the update...
    const slow = running.modules.cache.get(p.id, async () => {
      await gate;
      return old;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // ...then the update commits and invalidates...
    await running.modules.cache.invalidate([p.id]);
    releaseLoader();
    await slow;
    // ...so the next read must reach the loader instead of the stale copy.
    const fresh = await running.modules.cache.get(p.id, async () => ({ ...old, body: '{"name":"fresh"}' }));
    expect(fresh?.body).toBe('{"name":"fresh"}');
  });
});

describe('the response contract on cached products', () => {
  it('checks a product against ProductSchema before caching it: a field the schema does not allow is a 500 and is not stored', async () => {
    const p = await createProduct(running, admin, { name: 'Contract' });
    await running.modules.cache.invalidate([p.id]);
    const { products } = running.modules;
    const real = products.get.bind(products);
    try {
      products.get = (id, print) =>
        real(id, (product) => print({ ...product, cost_price: 1 } as typeof product));
      const leaking = await get(running, p.id);
      expect(leaking.statusCode).toBe(500);
      expect(leaking.body).not.toContain('cost_price');
      expect(await running.redis.exists(`product:v2:${p.id}`)).toBe(0);
    } finally {
      products.get = real;
    }
    const fine = await get(running, p.id);
    expect(fine.statusCode).toBe(200);
    expect(fine.json().name).toBe('Contract');
    expect(fine.body).not.toContain('cost_price');
  });
});

describe('Redis down', () => {
  it('serves reads and writes from PostgreSQL with zero errors and stays ready, reporting redis in /readyz', async () => {
    const closedPort = await getFreePort();
    const degraded = await startProductApp(running.env, { redisUrl: `redis://127.0.0.1:${closedPort}` });
    try {
      const p = await createProduct(degraded, admin, { name: 'No cache' });
      const results = await Promise.all(Array.from({ length: 50 }, () => get(degraded, p.id)));
      expect(results.map((r) => r.statusCode).filter((s) => s !== 200)).toEqual([]);
      expect(results[0]!.json().name).toBe('No cache');
      const patched = await patchV1(degraded, p.id, { name: 'Still works' });
      expect(patched.statusCode).toBe(200);
      expect((await get(degraded, p.id)).json().name).toBe('Still works');
      expect((await degraded.app.inject({ method: 'GET', url: '/api/v1/products?q=works' })).statusCode).toBe(
        200,
      );

      const ready = await degraded.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      const report = ready.json();
      expect(report.checks.redis).toMatchObject({ critical: false });
      expect(report.checks.redis.status).not.toBe('up');
      expect(report.checks.postgres.status).toBe('up');
      expect(await metric(degraded, 'product_cache_requests_total', 'result="bypass"')).toBeGreaterThan(0);
    } finally {
      await degraded.close();
    }
  });
});
