import type { ProductCache } from '../products/product-cache.js';
import { categoryNotFound, slugTaken } from './categories.errors.js';
import { type CategoriesRepository, type Category, DuplicateSlugError } from './categories.repository.js';

export interface CategoriesService {
  list(): Promise<Category[]>;
  create(input: { slug: string; name: string; description?: string | undefined }): Promise<Category>;
  remove(id: number): Promise<void>;
}

export function createCategoriesService(deps: {
  categories: CategoriesRepository;
  cache: ProductCache;
}): CategoriesService {
  const { categories, cache } = deps;
  return {
    list: () => categories.list(),
    async create(input) {
      try {
        return await categories.insert(input);
      } catch (err) {
        if (err instanceof DuplicateSlugError) {
          throw slugTaken();
        }
        throw err;
      }
    },
    async remove(id) {
      const detached = await categories.delete(id);
      if (!detached) throw categoryNotFound();
      await cache.invalidate(detached);
    },
  };
}
