import type { Logger } from 'pino';
import { PASSWORD_MAX, PASSWORD_MIN } from './users.schemas.js';
import type { UsersService } from './users.service.js';

export interface AdminCredentials {
  username?: string | undefined;
  email?: string | undefined;
  password?: string | undefined;
}

export class AdminBootstrapError extends Error {
  override name = 'AdminBootstrapError';
}

/** true when ADMIN_USERNAME, ADMIN_EMAIL and ADMIN_PASSWORD are all set. */
export const adminConfigured = (c: AdminCredentials) => Boolean(c.username && c.email && c.password);

/**
 * Creates the admin from ADMIN_USERNAME/ADMIN_EMAIL/ADMIN_PASSWORD, or promotes the existing account
 * with that username. Idempotent and safe when several replicas run it at once; an existing admin's
 * password is never overwritten.
 */
export async function bootstrapAdmin(
  users: UsersService,
  credentials: AdminCredentials,
  logger: Pick<Logger, 'info'>,
): Promise<{ created: boolean }> {
  const { username, email, password } = credentials;
  if (!username || !email || !password) {
    throw new AdminBootstrapError('ADMIN_USERNAME, ADMIN_EMAIL and ADMIN_PASSWORD must all be set');
  }
  if (!/^[A-Za-z0-9_.-]{3,32}$/.test(username)) {
    throw new AdminBootstrapError('ADMIN_USERNAME must be 3–32 letters, digits, ".", "_" or "-"');
  }
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new AdminBootstrapError('ADMIN_EMAIL is not an email address');
  if ([...password].length < PASSWORD_MIN || [...password].length > PASSWORD_MAX) {
    throw new AdminBootstrapError(`ADMIN_PASSWORD must be ${PASSWORD_MIN}–${PASSWORD_MAX} characters`);
  }
  const result = await users.ensureAdmin({ username, email, password });
  logger.info(
    { username, created: result.created },
    result.created ? 'admin account created' : 'admin account ensured',
  );
  return result;
}
