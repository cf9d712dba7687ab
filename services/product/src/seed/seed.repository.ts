import { withTransaction } from '@shop/service-kit';
import type pg from 'pg';
import type { SeedCategory } from './catalog.seed-data.js';

export interface SeedProduct {
  sku: string;
  name: string;
  description: string;
  categorySlug: string;
  priceAmount: number;
  currency: string;
  stock: number;
}

/** Inserts what is missing, in one transaction; existing rows (by slug / live SKU) are left untouched. */
export async function upsertSeedCatalog(
  pool: pg.Pool,
  categories: SeedCategory[],
  products: SeedProduct[],
): Promise<{ categories: number; products: number }> {
  return withTransaction(pool, async (client) => {
    let newCategories = 0;
    for (const c of categories) {
      const res = await client.query(
        `INSERT INTO catalog.categories (slug, name, description) VALUES ($1, $2, $3) ON CONFLICT (slug) DO NOTHING`,
        [c.slug, c.name, c.description],
      );
      newCategories += res.rowCount ?? 0;
    }
    let newProducts = 0;
    // One row at a time, in order, so a fresh database numbers products 1..N as listed.
    for (const p of products) {
      const res = await client.query(
        `INSERT INTO catalog.products (sku, name, description, category_id, price_amount, currency, stock)
         SELECT $1, $2, $3, c.id, $5, $6, $7 FROM catalog.categories c WHERE c.slug = $4
         ON CONFLICT (sku) WHERE deleted_at IS NULL DO NOTHING`,
        [p.sku, p.name, p.description, p.categorySlug, p.priceAmount, p.currency, p.stock],
      );
      newProducts += res.rowCount ?? 0;
    }
    return { categories: newCategories, products: newProducts };
  });
}
