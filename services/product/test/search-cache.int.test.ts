import { beforeAll, describe, expect, it } from 'vitest';
import { SEED_CATEGORIES, seedProducts } from '../src/seed/catalog.seed-data.js';
import { upsertSeedCatalog } from '../src/seed/seed.repository.js';
import { auth, internal, type RunningProductApp, startProductApp, useProductApp } from './harness.js';

// The shipped default: search pages cached for 60 s, invalidated by every write the service makes.
const running = useProductApp('search-cache');
let admin: string;

beforeAll(async () => {
  await upsertSeedCatalog(running.pool, SEED_CATEGORIES, seedProducts());
  admin = await running.env.sign({ role: 'admin' });
});

interface Item {
  id: number;
  name: string;
  price_amount: number;
  stock: number;
  version: number;
}

const search = (app: RunningProductApp, query: string) =>
  app.app.inject({ method: 'GET', url: `/api/v1/products?${query}` });

const items = async (app: RunningProductApp, query: string) => {
  const res = await search(app, query);
  expect(res.statusCode).toBe(200);
  return (res.json() as { items: Item[] }).items;
};

async function metric(app: RunningProductApp, result: string): Promise<number> {
  const text = await app.kit.registry.metrics();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`product_search_cache_requests_total{result="${result}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

let orderCounter = 0;
const orderId = () => `search-cache-${Date.now().toString(36)}-${++orderCounter}`;

describe('search page cache', () => {
  it('serves a repeated search from Redis as the same JSON: a change made behind the service’s back is not seen', async () => {
    const first = await search(running, 'q=kettle');
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
    const [kettle] = (first.json() as { items: Item[] }).items;
    const hitsBefore = await metric(running, 'hit');
    await running.pool.query(`UPDATE catalog.products SET name = 'Renamed in SQL' WHERE id = $1`, [
      kettle!.id,
    ]);

    const again = await search(running, 'q=kettle');
    expect(again.body).toBe(first.body);
    expect(await metric(running, 'hit')).toBe(hitsBefore + 1);
    // KEYS takes and answers full names; TTL adds the client's key prefix itself.
    const prefix = running.redis.options.keyPrefix ?? '';
    const keys = await running.redis.keys(`${prefix}product:search:v1:*`);
    expect(keys.length).toBeGreaterThan(0);
    const ttl = await running.redis.ttl(keys[0]!.slice(prefix.length));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    // Put the name back through the API so later tests see the seed's catalogue.
    await running.pool.query(`UPDATE catalog.products SET name = $2 WHERE id = $1`, [
      kettle!.id,
      kettle!.name,
    ]);
  });

  it('shows a price change made through the API at once', async () => {
    const [before] = await items(running, 'q=compost');
    const patched = await running.app.inject({
      method: 'PATCH',
      url: `/api/v1/products/${before!.id}`,
      headers: { ...auth(admin), 'if-match': `"v${before!.version}"` },
      payload: { price_amount: before!.price_amount + 100 },
    });
    expect(patched.statusCode).toBe(200);
    const [after] = await items(running, 'q=compost');
    expect(after!.price_amount).toBe(before!.price_amount + 100);
  });

  it('shows the stock a reservation took, and the stock its release gave back, at once', async () => {
    const [before] = await items(running, 'q=kettle');
    const id = orderId();
    const reserved = await running.app.inject({
      method: 'POST',
      url: '/internal/v1/reservations',
      headers: internal,
      payload: { order_id: id, items: [{ product_id: before!.id, quantity: 3 }] },
    });
    expect(reserved.statusCode).toBe(201);
    expect((await items(running, 'q=kettle'))[0]!.stock).toBe(before!.stock - 3);

    const released = await running.app.inject({
      method: 'POST',
      url: `/internal/v1/reservations/${id}/release`,
      headers: internal,
    });
    expect(released.statusCode).toBe(200);
    expect((await items(running, 'q=kettle'))[0]!.stock).toBe(before!.stock);
  });

  it('keys pages by every search parameter: other pages, sorts and filters are not mixed up', async () => {
    const cheap = await items(running, 'sort=price_asc&limit=3');
    const dear = await items(running, 'sort=price_desc&limit=3');
    expect(cheap[0]!.price_amount).toBeLessThanOrEqual(dear[0]!.price_amount);
    expect(cheap.map((i) => i.id)).not.toEqual(dear.map((i) => i.id));
    const page1 = await search(running, 'sort=name_asc&limit=2');
    const { next_cursor } = page1.json() as { next_cursor: string };
    const page2 = await items(running, `sort=name_asc&limit=2&cursor=${encodeURIComponent(next_cursor)}`);
    expect(page2.map((i) => i.id)).not.toEqual((page1.json() as { items: Item[] }).items.map((i) => i.id));
    expect(await items(running, 'sort=price_asc&limit=3')).toEqual(cheap);
  });

  it('runs one search for 50 concurrent identical misses', async () => {
    // A write empties the cache (new generation); the next 50 identical searches share one load.
    await running.modules.cache.invalidate([1]);
    const misses = await metric(running, 'miss');
    const results = await Promise.all(Array.from({ length: 50 }, () => search(running, 'q=lamp&limit=7')));
    expect(results.every((r) => r.statusCode === 200)).toBe(true);
    expect(new Set(results.map((r) => r.body)).size).toBe(1);
    expect((await metric(running, 'miss')) - misses).toBe(1);
  });

  it('never stores a page loaded before a write that landed meanwhile', async () => {
    const key = JSON.stringify(['race', Date.now()]);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = running.modules.cache.page(key, async () => {
      await gate;
      return '{"loaded":"before the write"}';
    });
    // Let the slow reader ask Redis (a miss) before the write lands.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await running.modules.cache.invalidate([1]);
    release();
    expect(await slow).toBe('{"loaded":"before the write"}');
    const next = await running.modules.cache.page(key, async () => '{"loaded":"after the write"}');
    expect(next).toBe('{"loaded":"after the write"}');
  });

  it('answers 400 for a bad cursor whether or not the page is cached', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await search(running, 'q=kettle&cursor=not-a-cursor');
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('PRODUCT.INVALID_CURSOR');
    }
  });
});

describe('the response contract on cached pages', () => {
  it('checks a page against ProductPage before caching it: a page with a field the schema does not allow is a 500 and is not stored', async () => {
    const app = await startProductApp(running.env);
    const { products } = app.modules;
    const real = products.search.bind(products);
    try {
      products.search = (input, print) =>
        real(input, (page) =>
          print({ ...page, items: page.items.map((i) => ({ ...i, cost_price: 1 }) as typeof i) }),
        );
      const leaking = await search(app, 'q=kettle&limit=13');
      expect(leaking.statusCode).toBe(500);
      expect(leaking.body).not.toContain('cost_price');

      products.search = real;
      const misses = await metric(app, 'miss');
      const fine = await search(app, 'q=kettle&limit=13');
      expect(fine.statusCode).toBe(200);
      expect(fine.body).not.toContain('cost_price');
      expect(await metric(app, 'miss')).toBe(misses + 1);
    } finally {
      products.search = real;
      await app.close();
    }
  });
});

describe('search page cache turned off (PRODUCT_SEARCH_CACHE_TTL_SECONDS=0)', () => {
  it('runs every search against PostgreSQL and stores no page', async () => {
    const uncached = await startProductApp(running.env, { env: { PRODUCT_SEARCH_CACHE_TTL_SECONDS: '0' } });
    try {
      const [kettle] = await items(uncached, 'q=kettle&limit=1');
      const price = kettle!.price_amount + 7;
      await running.pool.query('UPDATE catalog.products SET price_amount = $2 WHERE id = $1', [
        kettle!.id,
        price,
      ]);
      expect((await items(uncached, 'q=kettle&limit=1'))[0]!.price_amount).toBe(price);
      expect(await metric(uncached, 'hit')).toBe(0);
      expect(await metric(uncached, 'miss')).toBe(0);
    } finally {
      await uncached.close();
    }
  });
});
