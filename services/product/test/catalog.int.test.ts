import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { auth, createProduct, useProductApp } from './harness.js';

const running = useProductApp('catalog');
let admin: string;
let customer: string;

beforeAll(async () => {
  admin = await running.env.sign({ role: 'admin' });
  customer = await running.env.sign({ role: 'customer' });
});

const newProduct = (overrides: object = {}) => ({
  sku: `SKU-${Math.random().toString(36).slice(2, 10)}`,
  name: 'Espresso Machine',
  description: 'Dual boiler espresso machine',
  price_amount: 129_900,
  currency: 'EUR',
  stock: 7,
  ...overrides,
});

describe('admin-only writes', () => {
  it('answers 401 without a token, 403 for a customer and 201 for an admin', async () => {
    const body = newProduct();
    const anonymous = await running.app.inject({ method: 'POST', url: '/api/v1/products', payload: body });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
    const asCustomer = await running.app.inject({
      method: 'POST',
      url: '/api/v1/products',
      headers: auth(customer),
      payload: body,
    });
    expect(asCustomer.statusCode).toBe(403);
    const asAdmin = await running.app.inject({
      method: 'POST',
      url: '/api/v1/products',
      headers: auth(admin),
      payload: body,
    });
    expect(asAdmin.statusCode).toBe(201);
    const product = asAdmin.json();
    expect(product).toMatchObject({ ...body, status: 'active', version: 1, category_id: null });
    expect(asAdmin.headers.etag).toBe('"v1"');
    expect(asAdmin.headers.location).toBe(`/api/v1/products/${product.id}`);
  });

  it('checks the token before the body, so anonymous garbage gets 401 not 400', async () => {
    const res = await running.app.inject({
      method: 'POST',
      url: '/api/v1/products',
      payload: { nonsense: true },
    });
    expect(res.statusCode).toBe(401);
  });

  it('rejects expired, foreign-key, alg:none and HS256 tokens with 401', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = {
      sub: 'x',
      role: 'admin',
      iss: 'shop-user-service',
      aud: 'shop',
      exp: Math.floor(Date.now() / 1000) + 600,
    };
    const tokens = [
      await running.env.sign({ role: 'admin', expiresInSeconds: -60 }),
      await running.env.sign({
        role: 'admin',
        key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      }),
      `${b64({ alg: 'none' })}.${b64(claims)}.`,
      `${b64({ alg: 'HS256', kid: 'test-key' })}.${b64(claims)}.c2lnbmF0dXJl`,
      'not.a.jwt',
    ];
    for (const token of tokens) {
      const res = await running.app.inject({
        method: 'POST',
        url: '/api/v1/products',
        headers: auth(token),
        payload: newProduct(),
      });
      expect(res.statusCode, token.slice(0, 30)).toBe(401);
    }
  });

  it('answers 409 for a duplicate SKU and 422 for an unknown category', async () => {
    const body = newProduct();
    await running.app.inject({
      method: 'POST',
      url: '/api/v1/products',
      headers: auth(admin),
      payload: body,
    });
    const dup = await running.app.inject({
      method: 'POST',
      url: '/api/v1/products',
      headers: auth(admin),
      payload: body,
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('PRODUCT.SKU_TAKEN');
    const orphan = await running.app.inject({
      method: 'POST',
      url: '/api/v1/products',
      headers: auth(admin),
      payload: newProduct({ category_id: 987_654 }),
    });
    expect(orphan.statusCode).toBe(422);
  });

  it('validates money and stock: negative price, float price, bad currency and negative stock are 400', async () => {
    for (const bad of [
      { price_amount: -1 },
      { price_amount: 9.99 },
      { currency: 'euro' },
      { stock: -3 },
      { id: 5 },
    ]) {
      const res = await running.app.inject({
        method: 'POST',
        url: '/api/v1/products',
        headers: auth(admin),
        payload: newProduct(bad),
      });
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
    }
  });
});

describe('optimistic concurrency', () => {
  it('updates with a matching If-Match and returns the new ETag', async () => {
    const p = await createProduct(running, admin);
    const res = await running.app.inject({
      method: 'PATCH',
      url: `/api/v1/products/${p.id}`,
      headers: { ...auth(admin), 'if-match': '"v1"' },
      payload: { price_amount: 4_200, name: 'Renamed' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('"v2"');
    expect(res.json()).toMatchObject({ price_amount: 4_200, name: 'Renamed', version: 2 });
  });

  it('answers 412 for a stale ETag and 428 without If-Match, changing nothing', async () => {
    const p = await createProduct(running, admin);
    const ok = await running.app.inject({
      method: 'PATCH',
      url: `/api/v1/products/${p.id}`,
      headers: { ...auth(admin), 'if-match': '"v1"' },
      payload: { stock: 99 },
    });
    expect(ok.statusCode).toBe(200);
    const stale = await running.app.inject({
      method: 'PATCH',
      url: `/api/v1/products/${p.id}`,
      headers: { ...auth(admin), 'if-match': '"v1"' },
      payload: { stock: 1 },
    });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().code).toBe('PRODUCT.VERSION_MISMATCH');
    const missing = await running.app.inject({
      method: 'PATCH',
      url: `/api/v1/products/${p.id}`,
      headers: auth(admin),
      payload: { stock: 1 },
    });
    expect(missing.statusCode).toBe(428);
    const garbage = await running.app.inject({
      method: 'PATCH',
      url: `/api/v1/products/${p.id}`,
      headers: { ...auth(admin), 'if-match': 'W/"v2", nonsense' },
      payload: { stock: 1 },
    });
    expect(garbage.statusCode).toBe(412);
    const current = await running.app.inject({ method: 'GET', url: `/api/v1/products/${p.id}` });
    expect(current.json().stock).toBe(99);
    expect(current.headers.etag).toBe('"v2"');
  });

  it('lets exactly one of two concurrent updates with the same ETag win', async () => {
    const p = await createProduct(running, admin);
    const results = await Promise.all(
      [1, 2].map((n) =>
        running.app.inject({
          method: 'PATCH',
          url: `/api/v1/products/${p.id}`,
          headers: { ...auth(admin), 'if-match': '"v1"' },
          payload: { stock: n },
        }),
      ),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 412]);
  });

  it('rejects writes to id, version or timestamps with 400, and answers 404 for unknown products', async () => {
    const p = await createProduct(running, admin);
    for (const field of ['id', 'version', 'created_at']) {
      const res = await running.app.inject({
        method: 'PATCH',
        url: `/api/v1/products/${p.id}`,
        headers: { ...auth(admin), 'if-match': '"v1"' },
        payload: { [field]: 1 },
      });
      expect(res.statusCode, field).toBe(400);
      expect(res.json().errors[0].pointer).toBe(`/body/${field}`);
    }
    for (const id of ['1e400', 'abc', '-1', '0', '99999999999999999999', "1'%20OR%201=1"]) {
      const res = await running.app.inject({ method: 'GET', url: `/api/v1/products/${id}` });
      expect(res.statusCode, id).toBe(400);
    }
    const unknown = await running.app.inject({
      method: 'PATCH',
      url: '/api/v1/products/88888888',
      headers: { ...auth(admin), 'if-match': '"v1"' },
      payload: { stock: 1 },
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('deletes with a matching (or no) If-Match, 412 when stale; a deleted product is 404 and frees its SKU', async () => {
    const p = await createProduct(running, admin);
    const stale = await running.app.inject({
      method: 'DELETE',
      url: `/api/v1/products/${p.id}`,
      headers: { ...auth(admin), 'if-match': '"v7"' },
    });
    expect(stale.statusCode).toBe(412);
    const del = await running.app.inject({
      method: 'DELETE',
      url: `/api/v1/products/${p.id}`,
      headers: { ...auth(admin), 'if-match': '"v1"' },
    });
    expect(del.statusCode).toBe(204);
    expect((await running.app.inject({ method: 'GET', url: `/api/v1/products/${p.id}` })).statusCode).toBe(
      404,
    );
    const again = await running.app.inject({
      method: 'POST',
      url: '/api/v1/products',
      headers: auth(admin),
      payload: newProduct({ sku: p.sku }),
    });
    expect(again.statusCode).toBe(201);
  });
});

describe('categories', () => {
  it('lists categories publicly; creating needs an admin; duplicate slugs are 409', async () => {
    const body = { slug: 'coffee-gear', name: 'Coffee gear' };
    expect(
      (await running.app.inject({ method: 'POST', url: '/api/v1/categories', payload: body })).statusCode,
    ).toBe(401);
    expect(
      (
        await running.app.inject({
          method: 'POST',
          url: '/api/v1/categories',
          headers: auth(customer),
          payload: body,
        })
      ).statusCode,
    ).toBe(403);
    const created = await running.app.inject({
      method: 'POST',
      url: '/api/v1/categories',
      headers: auth(admin),
      payload: body,
    });
    expect(created.statusCode).toBe(201);
    const dup = await running.app.inject({
      method: 'POST',
      url: '/api/v1/categories',
      headers: auth(admin),
      payload: body,
    });
    expect(dup.statusCode).toBe(409);
    const list = await running.app.inject({ method: 'GET', url: '/api/v1/categories' });
    expect(list.statusCode).toBe(200);
    expect(list.json().items).toContainEqual(
      expect.objectContaining({ slug: 'coffee-gear', id: created.json().id }),
    );
  });

  it('deleting a category detaches its products and drops them from the cache', async () => {
    const cat = (
      await running.app.inject({
        method: 'POST',
        url: '/api/v1/categories',
        headers: auth(admin),
        payload: { slug: 'temporary', name: 'Temporary' },
      })
    ).json();
    const p = await createProduct(running, admin, { category_id: cat.id });
    expect(
      (await running.app.inject({ method: 'GET', url: `/api/v1/products/${p.id}` })).json().category_id,
    ).toBe(cat.id);
    const del = await running.app.inject({
      method: 'DELETE',
      url: `/api/v1/categories/${cat.id}`,
      headers: auth(admin),
    });
    expect(del.statusCode).toBe(204);
    const after = (await running.app.inject({ method: 'GET', url: `/api/v1/products/${p.id}` })).json();
    expect(after).toMatchObject({ category_id: null, version: 2 });
  });
});
