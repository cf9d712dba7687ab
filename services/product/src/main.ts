// Reads the environment, composes the service, starts its workers and listens; nothing else.
import { bootstrapService, readPackageVersion, runMain, startWorkers } from '@shop/service-kit';
import { composeProductService } from './compose.js';
import { productConfigSchema } from './config.js';

const version = readPackageVersion(new URL('../package.json', import.meta.url));

await runMain(async () => {
  const service = bootstrapService({
    name: 'product',
    version,
    configSchema: productConfigSchema,
    env: process.env,
  });
  const { server, workers } = await composeProductService(service, version);
  await startWorkers(service.kit, workers);
  await service.kit.listen(server, service.config.SERVICE_PORT, service.config.SERVICE_HOST);
});
