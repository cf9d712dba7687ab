// Kept in the emitted declarations: services that only import the kit still get @fastify/swagger's
// `tags`/`summary`/`hide` members on route schemas without depending on @fastify/swagger themselves.
/// <reference types="@fastify/swagger" preserve="true" />
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
}

/**
 * OpenAPI 3.1 generated from the route schemas, served at /openapi.json with Swagger UI at /docs.
 * Register it before any route: @fastify/swagger only sees routes added after it.
 * Security schemes `bearerAuth` (access tokens) and `internalToken` (`X-Internal-Token`) are declared
 * so routes can name them in `schema.security`.
 */
export async function registerOpenApi(app: FastifyInstance, info: OpenApiInfo): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info,
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          internalToken: { type: 'apiKey', in: 'header', name: 'X-Internal-Token' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true }, logLevel: 'silent' }, async () => app.swagger());
}
