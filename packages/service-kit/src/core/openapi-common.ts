/** What both OpenAPI generators (fastify's `registerOpenApi`, express's `mountOpenApi`) share. */

export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
}

/** Both sides publish OpenAPI 3.1, whose schema dialect is JSON Schema 2020-12. */
export const OPENAPI_VERSION = '3.1.0';

/**
 * `bearerAuth` (access tokens) and `internalToken` (`X-Internal-Token`), declared on every document so
 * routes can name them in their security requirements.
 */
export const SECURITY_SCHEMES = {
  bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
  internalToken: { type: 'apiKey', in: 'header', name: 'X-Internal-Token' },
} as const;

export type SecuritySchemeName = keyof typeof SECURITY_SCHEMES;
