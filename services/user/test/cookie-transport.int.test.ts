// The storefront's token transport: with `X-Token-Transport: cookie` the refresh token travels only in
// an HttpOnly, SameSite=Strict cookie on /api/v1/users (never in a body a script could read).
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { newUser, type RunningUserApp, startUserApp, useUserApp } from './harness.js';

const running = useUserApp('cookie');
const COOKIE_TRANSPORT = { 'x-token-transport': 'cookie' };

async function registerAndLoginWithCookie(app: RunningUserApp = running) {
  const body = newUser();
  await app.app.inject({ method: 'POST', url: '/api/v1/users', payload: body });
  const res = await app.app.inject({
    method: 'POST',
    url: '/api/v1/users/login',
    headers: COOKIE_TRANSPORT,
    payload: { username: body.username, password: body.password },
  });
  return { body, res };
}

const refreshCookieOf = (res: LightMyRequestResponse) =>
  (res.cookies as Array<Record<string, unknown>>).find((c) => c.name === 'shop_refresh');

const refreshWithCookie = (value: string, headers: Record<string, string> = COOKIE_TRANSPORT) =>
  running.app.inject({
    method: 'POST',
    url: '/api/v1/users/refresh',
    headers,
    cookies: { shop_refresh: value },
    payload: {},
  });

describe('refresh token in an HttpOnly cookie (X-Token-Transport: cookie)', () => {
  it('login sets an HttpOnly, Secure, SameSite=Strict cookie on /api/v1/users and leaves the token out of the body', async () => {
    const { res } = await registerAndLoginWithCookie();
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.access_token).toEqual(expect.any(String));
    expect(body).not.toHaveProperty('refresh_token');
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900, refresh_expires_in: 3600 });
    const cookie = refreshCookieOf(res)!;
    expect(cookie).toMatchObject({
      path: '/api/v1/users',
      httpOnly: true,
      secure: true,
      sameSite: 'Strict',
      maxAge: 3600,
    });
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refresh reads the cookie, rotates it, and a reused cookie revokes the session and clears the cookie', async () => {
    const { res } = await registerAndLoginWithCookie();
    const first = refreshCookieOf(res)!.value as string;
    const rotated = await refreshWithCookie(first);
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json()).not.toHaveProperty('refresh_token');
    expect(rotated.headers['cache-control']).toBe('no-store');
    const second = refreshCookieOf(rotated)!.value as string;
    expect(second).not.toBe(first);

    const reused = await refreshWithCookie(first);
    expect(reused.statusCode).toBe(401);
    expect(reused.json().code).toBe('AUTH.REFRESH_TOKEN_REUSED');
    const cleared = refreshCookieOf(reused)!;
    expect(cleared.value).toBe('');
    expect(new Date(cleared.expires as Date).getTime()).toBeLessThan(Date.now());
    // The family is gone: the rotated cookie does not work either.
    expect((await refreshWithCookie(second)).statusCode).toBe(401);
  });

  it('refresh with the cookie transport but no cookie is a 401; without the header the cookie is ignored (400)', async () => {
    const none = await running.app.inject({
      method: 'POST',
      url: '/api/v1/users/refresh',
      headers: COOKIE_TRANSPORT,
      payload: {},
    });
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('AUTH.INVALID_REFRESH_TOKEN');

    const { res } = await registerAndLoginWithCookie();
    const cookie = refreshCookieOf(res)!.value as string;
    const withoutHeader = await refreshWithCookie(cookie, {});
    expect(withoutHeader.statusCode).toBe(400);
    expect(withoutHeader.json().errors).toEqual([
      { pointer: '/body/refresh_token', detail: 'refresh_token is required' },
    ]);
    // The unused cookie still works with the header: a request without it changed nothing.
    expect((await refreshWithCookie(cookie)).statusCode).toBe(200);
  });

  it('logout revokes the cookie session and clears the cookie', async () => {
    const { res } = await registerAndLoginWithCookie();
    const cookie = refreshCookieOf(res)!.value as string;
    const out = await running.app.inject({
      method: 'POST',
      url: '/api/v1/users/logout',
      headers: COOKIE_TRANSPORT,
      cookies: { shop_refresh: cookie },
      payload: {},
    });
    expect(out.statusCode).toBe(204);
    expect(refreshCookieOf(out)!.value).toBe('');
    expect((await refreshWithCookie(cookie)).statusCode).toBe(401);
  });

  it('leaves Secure off when configured for plain-HTTP development', async () => {
    const app = await startUserApp(running.env, { overrides: { refreshCookieSecure: false } });
    try {
      const { res } = await registerAndLoginWithCookie(app);
      expect(res.statusCode).toBe(200);
      expect(refreshCookieOf(res)).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
      expect(refreshCookieOf(res)!.secure).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});
