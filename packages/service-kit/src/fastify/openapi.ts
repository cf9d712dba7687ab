// Kept in the emitted declarations: services that only import the kit still get @fastify/swagger's
// `tags`/`summary`/`hide` members on route schemas without depending on @fastify/swagger themselves.
/// <reference types="@fastify/swagger" preserve="true" />
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { OPENAPI_VERSION, type OpenApiInfo, SECURITY_SCHEMES } from '../core/openapi-common.js';

export type { OpenApiInfo };

/**
 * OpenAPI 3.1 generated from the route schemas, served at /openapi.json with Swagger UI at /docs.
 * Register it before any route: @fastify/swagger only sees routes added after it.
 * Security schemes `bearerAuth` (access tokens) and `internalToken` (`X-Internal-Token`) are declared
 * so routes can name them in `schema.security`.
 */
export async function registerOpenApi(app: FastifyInstance, info: OpenApiInfo): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: OPENAPI_VERSION,
      info,
      components: { securitySchemes: structuredClone(SECURITY_SCHEMES) },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true }, logLevel: 'silent' }, async () => app.swagger());
}
