import type { ServiceKit } from '@shop/service-kit';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { createCategoriesRepository } from './modules/categories/categories.repository.js';
import { type CategoriesService, createCategoriesService } from './modules/categories/categories.service.js';
import { createInventoryRepository } from './modules/inventory/inventory.repository.js';
import { createInventoryService, type InventoryService } from './modules/inventory/inventory.service.js';
import { createProductCache, type ProductCache } from './modules/products/product-cache.js';
import { createProductsRepository } from './modules/products/products.repository.js';
import { createProductsService, type ProductsService } from './modules/products/products.service.js';

/** The product service's domain services, shared by the HTTP app and the background workers. */
export interface ProductModules {
  products: ProductsService;
  categories: CategoriesService;
  inventory: InventoryService;
  cache: ProductCache;
}

export interface ProductModulesDeps {
  kit: ServiceKit;
  pool: pg.Pool;
  /** Cache only: without it (or while it is down) reads go to PostgreSQL. */
  redis?: Redis | undefined;
  cacheTtlSeconds?: number;
  reservationTtlSeconds?: number;
  now?: () => Date;
}

export function createProductModules(deps: ProductModulesDeps): ProductModules {
  const cache = createProductCache({
    redis: deps.redis,
    kit: deps.kit,
    ttlSeconds: deps.cacheTtlSeconds ?? 300,
    logger: deps.kit.logger,
  });
  return {
    cache,
    products: createProductsService({ products: createProductsRepository(deps.pool), cache }),
    categories: createCategoriesService({ categories: createCategoriesRepository(deps.pool), cache }),
    inventory: createInventoryService({
      inventory: createInventoryRepository(deps.pool),
      cache,
      defaultTtlSeconds: deps.reservationTtlSeconds ?? 900,
      flags: deps.kit.flags,
      ...(deps.now ? { now: deps.now } : {}),
    }),
  };
}
