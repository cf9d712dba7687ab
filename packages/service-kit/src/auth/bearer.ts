import { UnauthorizedError } from '../errors/domain-errors.js';

/** Extracts the token of an `Authorization: Bearer <token>` header, or throws 401 problem. */
export function bearerToken(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value === undefined ? null : /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(value);
  if (!match?.[1]) {
    throw new UnauthorizedError({
      code: 'AUTH.MISSING_TOKEN',
      title: 'Authentication required',
      detail: 'Send an access token as "Authorization: Bearer <token>"',
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
  }
  return match[1];
}

/** Normalises the `role` option of the adapters into a membership test (undefined = any role). */
export function roleGate(role: string | string[] | undefined): (actual: string) => boolean {
  if (role === undefined) return () => true;
  const allowed = new Set(Array.isArray(role) ? role : [role]);
  return (actual) => allowed.has(actual);
}
