import { migrateCli } from '@shop/service-kit/migrate';

await migrateCli({ schema: 'payments', dir: new URL('../migrations', import.meta.url) });
