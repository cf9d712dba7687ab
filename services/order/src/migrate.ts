import { migrateCli } from '@shop/service-kit/migrate';

await migrateCli({ schema: 'orders', dir: new URL('../migrations', import.meta.url) });
