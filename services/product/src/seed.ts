// `npm run seed`: the demo catalog (10 categories, 60 products with stock). Safe to run again.
// The admin account comes from the user service's seed (`npm run seed -w @shop/user-service`).
import { baseConfigSchema, createLogger, guardPgPool, loadConfig } from '@shop/service-kit';
import pg from 'pg';
import { SEED_CATEGORIES, seedProducts } from './seed/catalog.seed-data.js';
import { upsertSeedCatalog } from './seed/seed.repository.js';

const config = loadConfig(baseConfigSchema);
const logger = createLogger({ name: 'product-seed', level: config.LOG_LEVEL });
// Guarded: a database restart mid-seed ends in the error below, not an uncaught 'error' event.
const pool = guardPgPool(new pg.Pool({ connectionString: config.databaseUrl, max: 2 }));
try {
  const inserted = await upsertSeedCatalog(pool, SEED_CATEGORIES, seedProducts());
  logger.info({ inserted }, 'demo catalog seeded');
} catch (err) {
  logger.error({ err }, 'seeding the catalog failed');
  process.exitCode = 1;
} finally {
  await pool.end();
}
