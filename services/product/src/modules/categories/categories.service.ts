import { ConflictError, NotFoundError } from '@shop/service-kit';
import type { ProductCache } from '../products/product-cache.js';
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
          throw new ConflictError({
            code: 'CATEGORY.SLUG_TAKEN',
            detail: 'A category with this slug already exists',
            errors: [{ pointer: '/body/slug', detail: 'slug is already in use' }],
          });
        }
        throw err;
      }
    },
    async remove(id) {
      const detached = await categories.delete(id);
      if (!detached) throw new NotFoundError({ code: 'CATEGORY.NOT_FOUND', detail: 'No such category' });
      await cache.invalidate(detached);
    },
  };
}
