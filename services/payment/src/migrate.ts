import { migrateCli } from '@shop/service-kit/migrate';
import { DB_SCHEMA } from './config.js';

await migrateCli({ schema: DB_SCHEMA, dir: new URL('../migrations', import.meta.url) });
