// `npm run seed`: bootstraps the admin account from ADMIN_USERNAME / ADMIN_EMAIL / ADMIN_PASSWORD.
import { baseConfigSchema, createLogger, guardPgPool, loadConfig } from '@shop/service-kit';
import pg from 'pg';
import { z } from 'zod';
import { createPasswordHasher } from './modules/auth/password-hasher.js';
import { bootstrapAdmin } from './modules/users/admin-bootstrap.js';
import { createUsersRepository } from './modules/users/users.repository.js';
import { createUsersService } from './modules/users/users.service.js';

const config = loadConfig(
  baseConfigSchema.extend({
    ADMIN_USERNAME: z.string().min(1),
    ADMIN_EMAIL: z.string().min(1),
    ADMIN_PASSWORD: z.string().min(1),
  }),
);
const logger = createLogger({ name: 'user-seed', level: config.LOG_LEVEL });
// Guarded: a database restart mid-seed ends in the error below, not an uncaught 'error' event.
const pool = guardPgPool(new pg.Pool({ connectionString: config.databaseUrl, max: 2 }));
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
  await pool.end();
}
