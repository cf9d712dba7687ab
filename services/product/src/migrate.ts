// `npm run migrate`: applies migrations/*.sql to schema `catalog` (advisory lock, refuses a newer schema).
import { migrateCli } from '@shop/service-kit/migrate';

await migrateCli({ schema: 'catalog', dir: new URL('../migrations', import.meta.url) });
