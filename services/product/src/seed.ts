// `npm run seed`: the demo catalog (10 categories, 60 products with stock). Safe to run again.
// The admin account comes from the user service's seed (`npm run seed -w @shop/user-service`).
import {
  baseConfigSchema,
  bootstrapService,
  createPgPool,
  pgPoolOptionsFromConfig,
  readPackageVersion,
} from '@shop/service-kit';
import { z } from 'zod';
import { SEED_CATEGORIES, seedProducts } from './seed/catalog.seed-data.js';
import { upsertSeedCatalog } from './seed/seed.repository.js';

// A one-shot step, not a server: `inProcess` leaves signals alone and lets the process end by itself.
const { logger, kit, config } = bootstrapService({
  name: 'product-seed',
  version: readPackageVersion(new URL('../package.json', import.meta.url)),
  configSchema: baseConfigSchema.extend({ SERVICE_NAME: z.string().min(1).default('product-seed') }),
  env: process.env,
  inProcess: true,
});
// The kit's pool: guarded, so a database restart mid-seed ends in the error below, not a crash.
const pool = createPgPool(kit, { ...pgPoolOptionsFromConfig(config), max: 2 });
try {
  const inserted = await upsertSeedCatalog(pool, SEED_CATEGORIES, seedProducts());
  logger.info({ inserted }, 'demo catalog seeded');
} catch (err) {
  logger.error({ err }, 'seeding the catalog failed');
  process.exitCode = 1;
} finally {
  // Closes the pool (its shutdown hook).
  await kit.shutdown('seed finished');
}
