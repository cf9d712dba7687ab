import { withTransaction } from '@shop/service-kit';
import type pg from 'pg';

export interface Category {
  id: number;
  slug: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
}

interface CategoryRow {
  id: string;
  slug: string;
  name: string;
  description: string;
  created_at: Date;
  updated_at: Date;
}

const toCategory = (row: CategoryRow): Category => ({
  id: Number(row.id),
  slug: row.slug,
  name: row.name,
  description: row.description,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

export class DuplicateSlugError extends Error {
  override name = 'DuplicateSlugError';
}

export interface CategoriesRepository {
  list(): Promise<Category[]>;
  insert(category: { slug: string; name: string; description?: string | undefined }): Promise<Category>;
  /** Deletes the category; its products stay without one. Returns the ids of those products, or undefined. */
  delete(id: number): Promise<number[] | undefined>;
}

export function createCategoriesRepository(pool: pg.Pool): CategoriesRepository {
  return {
    async list() {
      const { rows } = await pool.query<CategoryRow>(
        'SELECT id, slug, name, description, created_at, updated_at FROM catalog.categories ORDER BY name, id',
      );
      return rows.map(toCategory);
    },
    async insert(category) {
      try {
        const { rows } = await pool.query<CategoryRow>(
          `INSERT INTO catalog.categories (slug, name, description) VALUES ($1, $2, $3)
           RETURNING id, slug, name, description, created_at, updated_at`,
          [category.slug, category.name, category.description ?? ''],
        );
        return toCategory(rows[0]!);
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw new DuplicateSlugError(category.slug);
        throw err;
      }
    },
    async delete(id) {
      // Detach products explicitly (not via ON DELETE SET NULL) so their version moves and caches drop them.
      return withTransaction(pool, async (client) => {
        const detached = await client.query<{ id: string }>(
          `UPDATE catalog.products SET category_id = NULL, version = version + 1, updated_at = now()
           WHERE category_id = $1 RETURNING id`,
          [id],
        );
        const deleted = await client.query('DELETE FROM catalog.categories WHERE id = $1', [id]);
        return deleted.rowCount ? detached.rows.map((r) => Number(r.id)) : undefined;
      });
    },
  };
}
