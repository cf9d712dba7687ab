import { beforeAll, describe, expect, it } from 'vitest';
import { SEED_CATEGORIES, seedProducts } from '../src/seed/catalog.seed-data.js';
import { upsertSeedCatalog } from '../src/seed/seed.repository.js';
import { auth, useProductApp } from './harness.js';

const running = useProductApp('search');

interface Item {
  id: number;
  name: string;
  price_amount: number;
  category_id: number | null;
  sku: string;
}

beforeAll(async () => {
  await upsertSeedCatalog(running.pool, SEED_CATEGORIES, seedProducts());
});

const search = async (query: string) => {
  const res = await running.app.inject({ method: 'GET', url: `/api/v1/products?${query}` });
  return res;
};

/** Follows next_cursor until the end; bounded so a pagination bug cannot loop forever. */
async function collect(query: string, pageSize: number): Promise<Item[]> {
  const seen: Item[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page += 1) {
    const res = await search(
      `${query}&limit=${pageSize}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(res.statusCode).toBe(200);
    const body = res.json() as { items: Item[]; next_cursor: string | null };
    seen.push(...body.items);
    cursor = body.next_cursor;
    if (!cursor) return seen;
  }
  throw new Error('pagination did not end');
}

describe('demo seed', () => {
  it('creates ≥ 8 categories and ≥ 50 products with stock, product 1 first, and is safe to run twice', async () => {
    const again = await upsertSeedCatalog(running.pool, SEED_CATEGORIES, seedProducts());
    expect(again).toEqual({ categories: 0, products: 0 });
    const counts = await running.pool.query<{ categories: string; products: string; no_stock: string }>(
      `SELECT (SELECT count(*) FROM catalog.categories) AS categories,
              (SELECT count(*) FROM catalog.products) AS products,
              (SELECT count(*) FROM catalog.products WHERE stock <= 0) AS no_stock`,
    );
    expect(Number(counts.rows[0]!.categories)).toBeGreaterThanOrEqual(8);
    expect(Number(counts.rows[0]!.products)).toBeGreaterThanOrEqual(50);
    expect(Number(counts.rows[0]!.no_stock)).toBe(0);
    const first = await running.app.inject({ method: 'GET', url: '/api/v1/products/1' });
    expect(first.statusCode).toBe(200);
    expect(first.json().stock).toBeGreaterThanOrEqual(1000);
  });
});

describe('GET /api/v1/products', () => {
  it('finds products by full-text query, best match first', async () => {
    const res = await search('q=noise%20cancelling%20headphones');
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Item[];
    expect(items[0]!.name).toBe('Wireless Noise-Cancelling Headphones');
    const stemmed = (await search('q=kettles')).json().items as Item[];
    expect(stemmed.map((i) => i.name)).toContain('Electric Kettle');
  });

  it('supports web-search syntax: quoted phrases and exclusion', async () => {
    const items = (await search(`q=${encodeURIComponent('"running shoes" -socks')}`)).json().items as Item[];
    expect(items.map((i) => i.name)).toEqual(['Trail Running Shoes']);
  });

  it('filters by category and price range', async () => {
    const books = (
      await running.pool.query<{ id: string }>("SELECT id FROM catalog.categories WHERE slug = 'books'")
    ).rows[0]!.id;
    const items = await collect(`category_id=${books}&min_price=4000&max_price=5000`, 100);
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) {
      expect(item.category_id).toBe(Number(books));
      expect(item.price_amount).toBeGreaterThanOrEqual(4000);
      expect(item.price_amount).toBeLessThanOrEqual(5000);
    }
    expect((await search('min_price=500&max_price=100')).statusCode).toBe(400);
  });

  it.each(['newest', 'price_asc', 'price_desc', 'name_asc'])(
    'pages through every product exactly once in %s order with cursors',
    async (sort) => {
      const items = await collect(`sort=${sort}`, 7);
      const ids = items.map((i) => i.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(60);
      const key = (i: Item) =>
        sort.startsWith('price') ? i.price_amount : sort === 'newest' ? i.id : i.name;
      for (let n = 1; n < items.length; n += 1) {
        const [a, b] = [key(items[n - 1]!), key(items[n]!)];
        if (sort === 'price_asc' || sort === 'name_asc') expect(a <= b).toBe(true);
        else expect(a >= b).toBe(true);
      }
    },
  );

  it('pages through relevance-ranked results without duplicates', async () => {
    const all = (await search('q=steel&limit=100')).json().items as Item[];
    const paged = await collect('q=steel', 2);
    expect(paged.map((i) => i.id)).toEqual(all.map((i) => i.id));
    expect(all.length).toBeGreaterThan(2);
  });

  it('caps limit at 100', async () => {
    const values = Array.from({ length: 60 }, (_, i) => `('CAP-${i}', 'Filler ${i}', 100, 'USD', 1)`).join(
      ',',
    );
    await running.pool.query(
      `INSERT INTO catalog.products (sku, name, price_amount, currency, stock) VALUES ${values}`,
    );
    const res = await search('limit=1000');
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toHaveLength(100);
    expect(res.json().next_cursor).not.toBeNull();
  });

  it('handles hostile query strings without a 500', async () => {
    const hostile = [
      "q=' OR 1=1 --",
      'q=%22%22%22',
      `q=${encodeURIComponent("'; DROP TABLE catalog.products; --")}`,
      `q=${encodeURIComponent('!!! & | <-> :* ()')}`,
      `q=${encodeURIComponent('\\')}`,
      'q=%00',
      'q=%E0%A4%A',
      `q=${'a'.repeat(10_000)}`,
      `q=${encodeURIComponent('😀'.repeat(50))}`,
      'limit=-1',
      'limit=abc',
      'min_price=1e400',
      'max_price=-1e400',
      'category_id=1e400',
      'limit=1e400',
      'category_id=99999999999999999999',
      'sort=random',
      'cursor=%00%01',
      'cursor=eyJzIjoibmV3ZXN0IiwiayI6IjEiLCJpIjoiMSJ9',
      `cursor=${Buffer.from(JSON.stringify({ s: 'price_asc', k: "1'; --", i: 1 })).toString('base64url')}&sort=price_asc`,
      `cursor=${'x'.repeat(10_000)}`,
      'unknown_param=1',
      'q=a&q=b',
    ];
    for (const query of hostile) {
      const res = await search(query);
      expect(res.statusCode, query.slice(0, 60)).toBeLessThan(500);
      if (res.statusCode >= 400)
        expect(res.headers['content-type'], query.slice(0, 60)).toMatch(/problem\+json/);
    }
    const products = await running.pool.query('SELECT count(*) FROM catalog.products');
    expect(Number(products.rows[0].count)).toBeGreaterThan(0);
  });

  it('rejects a cursor that belongs to another sort order with 400', async () => {
    const first = (await search('sort=price_asc&limit=2')).json();
    const res = await search(`sort=name_asc&cursor=${encodeURIComponent(first.next_cursor)}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('PRODUCT.INVALID_CURSOR');
  });

  it('hides inactive and deleted products from search', async () => {
    const admin = await running.env.sign({ role: 'admin' });
    const [target] = (await search('q=compost')).json().items as (Item & { version: number })[];
    const patched = await running.app.inject({
      method: 'PATCH',
      url: `/api/v1/products/${target!.id}`,
      headers: { ...auth(admin), 'if-match': `"v${target!.version}"` },
      payload: { status: 'inactive' },
    });
    expect(patched.statusCode).toBe(200);
    expect((await search('q=compost')).json().items).toEqual([]);

    const [kettle] = (await search('q=kettle')).json().items as Item[];
    const removed = await running.app.inject({
      method: 'DELETE',
      url: `/api/v1/products/${kettle!.id}`,
      headers: auth(admin),
    });
    expect(removed.statusCode).toBe(204);
    expect(((await search('q=kettle')).json().items as Item[]).map((i) => i.id)).not.toContain(kettle!.id);
  });
});
