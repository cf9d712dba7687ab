import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problems } from '@shop/service-kit/fastify';
import { JwksResponse, LoginBody, RefreshBody, TokenResponse } from './auth.schemas.js';
import type { AuthService } from './auth.service.js';
import type { SigningKeys } from './signing-keys.js';

export interface AuthRoutesOptions {
  auth: AuthService;
  keys: SigningKeys;
}

export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, { auth, keys }) => {
  app.post(
    '/api/v1/users/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log in with username (or email) and password',
        body: LoginBody,
        response: { 200: TokenResponse, ...problems(400, 401, 429) },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return auth.login(request.body, request.ip);
    },
  );

  app.post(
    '/api/v1/users/refresh',
    {
      schema: {
        tags: ['auth'],
        summary: 'Exchange a refresh token for new tokens (rotation; reuse revokes the session family)',
        body: RefreshBody,
        response: { 200: TokenResponse, ...problems(400, 401) },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return auth.refresh(request.body.refresh_token);
    },
  );

  app.post(
    '/api/v1/users/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'Revoke the refresh token and its session family',
        body: RefreshBody,
        response: { 204: { type: 'null', description: 'Logged out' }, ...problems(400) },
      },
    },
    async (request, reply) => {
      await auth.logout(request.body.refresh_token);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['auth'],
        summary: 'Public keys that verify access tokens (all active keys, for rotation)',
        response: { 200: JwksResponse },
      },
    },
    async (_request, reply) => {
      // Short cache: verifiers re-fetch on an unknown kid anyway, so rotation does not wait for it.
      reply.header('cache-control', 'public, max-age=300');
      return keys.jwks as { keys: Array<{ kty: string; kid: string }> };
    },
  );
};
