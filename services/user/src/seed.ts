// `npm run seed`: bootstraps the admin account from ADMIN_USERNAME / ADMIN_EMAIL / ADMIN_PASSWORD.
import {
  baseConfigSchema,
  bootstrapService,
  createPgPool,
  pgPoolOptionsFromConfig,
  readPackageVersion,
} from '@shop/service-kit';
import { z } from 'zod';
import { createPasswordHasher } from './modules/auth/password-hasher.js';
import { bootstrapAdmin } from './modules/users/admin-bootstrap.js';
import { createUsersRepository } from './modules/users/users.repository.js';
import { createUsersService } from './modules/users/users.service.js';

// A one-shot step, not a server: `inProcess` leaves signals alone and lets the process end by itself.
const { config, logger, kit } = bootstrapService({
  name: 'user-seed',
  version: readPackageVersion(new URL('../package.json', import.meta.url)),
  configSchema: baseConfigSchema.extend({
    SERVICE_NAME: z.string().min(1).default('user-seed'),
    ADMIN_USERNAME: z.string().min(1),
    ADMIN_EMAIL: z.string().min(1),
    ADMIN_PASSWORD: z.string().min(1),
  }),
  env: process.env,
  inProcess: true,
});
// The kit's pool: guarded, so a database restart mid-seed ends in the error below, not a crash.
const pool = createPgPool(kit, { ...pgPoolOptionsFromConfig(config), max: 2 });
try {
  const users = createUsersService({ users: createUsersRepository(pool), passwords: createPasswordHasher() });
  await bootstrapAdmin(
    users,
    { username: config.ADMIN_USERNAME, email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD },
    logger,
  );
} catch (err) {
  logger.error({ err }, 'admin bootstrap failed');
  process.exitCode = 1;
} finally {
  // Closes the pool (its shutdown hook).
  await kit.shutdown('seed finished');
}
