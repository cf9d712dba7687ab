import fastifyCookie from '@fastify/cookie';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '@shop/service-kit';
import { problems } from '@shop/service-kit/fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidRefresh, refreshTokenMissing } from './auth.errors.js';
import { JwksResponse, LoginBody, RefreshBody, TokenResponse } from './auth.schemas.js';
import type { AuthService } from './auth.service.js';
import type { SigningKeys } from './signing-keys.js';

export interface AuthRoutesOptions {
  auth: AuthService;
  keys: SigningKeys;
  /** `Secure` on the refresh cookie (off only for plain-HTTP development, e.g. compose on localhost). */
  refreshCookieSecure: boolean;
}

/**
 * Browser transport of the refresh token: a client that sends `X-Token-Transport: cookie` gets the
 * refresh token in an HttpOnly, SameSite=Strict cookie scoped to /api/v1/users instead of the JSON
 * body, and refreshes/logs out with that cookie. Scripts never see the token; the custom header (a
 * CORS preflight cross-origin) and SameSite=Strict keep other sites from using the cookie.
 */
export const REFRESH_COOKIE = 'shop_refresh';
export const TOKEN_TRANSPORT_HEADER = 'x-token-transport';
const COOKIE_PATH = '/api/v1/users';

const wantsCookie = (request: FastifyRequest) => request.headers[TOKEN_TRANSPORT_HEADER] === 'cookie';

/** The refresh token of a request: the body's, else the cookie's (cookie transport only). */
function refreshTokenOf(request: FastifyRequest, fromBody: string | undefined): string | undefined {
  if (fromBody) return fromBody;
  if (!wantsCookie(request)) throw refreshTokenMissing();
  return request.cookies[REFRESH_COOKIE] || undefined;
}

export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (
  app,
  { auth, keys, refreshCookieSecure },
) => {
  await app.register(fastifyCookie);
  const cookieOptions = {
    path: COOKIE_PATH,
    httpOnly: true,
    secure: refreshCookieSecure,
    sameSite: 'strict' as const,
  };

  /** Moves the refresh token from the body into the cookie for cookie-transport clients. */
  const answer = <T extends { refresh_token?: string; refresh_expires_in: number }>(
    request: FastifyRequest,
    reply: FastifyReply,
    tokens: T,
  ) => {
    if (!wantsCookie(request)) return tokens;
    const { refresh_token, ...rest } = tokens;
    reply.setCookie(REFRESH_COOKIE, refresh_token ?? '', {
      ...cookieOptions,
      maxAge: tokens.refresh_expires_in,
    });
    return rest;
  };

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
      return answer(request, reply, await auth.login(request.body, request.ip));
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
      const token = refreshTokenOf(request, request.body.refresh_token);
      try {
        if (!token) throw invalidRefresh();
        return answer(request, reply, await auth.refresh(token));
      } catch (error) {
        // A dead session also ends the cookie, so the browser stops presenting it.
        if (wantsCookie(request) && error instanceof DomainError && error.status === 401) {
          reply.clearCookie(REFRESH_COOKIE, cookieOptions);
        }
        throw error;
      }
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
      const token = refreshTokenOf(request, request.body.refresh_token);
      if (token) await auth.logout(token);
      if (wantsCookie(request)) reply.clearCookie(REFRESH_COOKIE, cookieOptions);
      return reply.code(204).send(null);
    },
  );

  await app.register(jwksRoutes, { keys });
};

/** The public keys, for every service that verifies access tokens. */
const jwksRoutes: FastifyPluginAsyncTypebox<{ keys: SigningKeys }> = async (app, { keys }) => {
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
