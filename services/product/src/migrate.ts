// `npm run migrate`: applies migrations/*.sql to schema DB_SCHEMA (advisory lock, refuses a newer schema).
import { migrateCli } from '@shop/service-kit/migrate';
import { DB_SCHEMA } from './config.js';

await migrateCli({ schema: DB_SCHEMA, dir: new URL('../migrations', import.meta.url) });
