// `npm run migrate`: applies migrations/*.sql to schema `users` (advisory lock, refuses a newer schema).
import { migrateCli } from '@shop/service-kit/migrate';

await migrateCli({ schema: 'users', dir: new URL('../migrations', import.meta.url) });
