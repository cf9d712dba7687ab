import { describe, expect, it } from 'vitest';
import { refreshLeadMs, SessionManager, userFromAccessToken } from '../src/lib/session.js';
import { fakeAccessToken, json, manualClock, type Recorded, scriptedFetch, settle } from './fakes.js';

const ALICE = { sub: 'u-1', preferred_username: 'alice', role: 'customer' };

/** A user service double: login/refresh/logout with rotating "cookies" it tracks itself. */
function userService(
  options: { expiresIn?: number; refresh?: (req: Recorded) => Response | undefined } = {},
) {
  let issued = 0;
  const fake = scriptedFetch((req) => {
    if (req.path === '/api/v1/users/login') {
      return json(200, {
        access_token: fakeAccessToken(ALICE, ++issued),
        token_type: 'Bearer',
        expires_in: options.expiresIn ?? 900,
        refresh_expires_in: 3600,
      });
    }
    if (req.path === '/api/v1/users/refresh') {
      const custom = options.refresh?.(req);
      if (custom) return custom;
      return json(200, {
        access_token: fakeAccessToken(ALICE, ++issued),
        token_type: 'Bearer',
        expires_in: options.expiresIn ?? 900,
        refresh_expires_in: 3600,
      });
    }
    if (req.path === '/api/v1/users/logout') return new Response(null, { status: 204 });
    return json(404, { title: 'Not Found' });
  });
  return fake;
}

function setup(service = userService(), hintInitially = false) {
  const clock = manualClock();
  const stored: Array<[string, string | undefined]> = [];
  let hint = hintInitially;
  const announced: string[] = [];
  const session = new SessionManager({
    fetch: service.fetch,
    now: clock.now,
    setTimer: clock.setTimer,
    clearTimer: clock.clearTimer,
    withLock: (fn) => fn(),
    hint: {
      get: () => hint,
      set: (present) => {
        hint = present;
        stored.push(['shop.session', present ? '1' : undefined]);
      },
    },
    announce: (e) => announced.push(e),
  });
  return { session, clock, service, stored, announced, hint: () => hint };
}

const paths = (reqs: Recorded[]) => reqs.map((r) => r.path.replace('/api/v1/users/', ''));

describe('session: refresh token in the HttpOnly cookie, access token in memory', () => {
  it('logs in with the cookie transport and keeps only a flag — never a token — in storage', async () => {
    const { session, service, stored } = setup();
    const user = await session.login('alice', 'correct horse battery');
    expect(user).toEqual({ id: 'u-1', username: 'alice', role: 'customer' });
    expect(session.state.value).toEqual({ status: 'authenticated', user });
    const req = service.requests[0]!;
    expect(req.headers['x-token-transport']).toBe('cookie');
    expect(req.credentials).toBe('same-origin');
    expect(stored).toEqual([['shop.session', '1']]);
    expect(await session.getAccessToken()).toBe(fakeAccessToken(ALICE, 1));
  });

  it('refreshes silently before the access token expires, rotating the cookie each time', async () => {
    const { session, clock, service } = setup();
    await session.login('alice', 'pw');
    expect(clock.pending()).toEqual([900_000 - 60_000]);
    clock.advance(840_000);
    await settle();
    expect(paths(service.requests)).toEqual(['login', 'refresh']);
    expect(await session.getAccessToken()).toBe(fakeAccessToken(ALICE, 2));
    // The next refresh is scheduled from the new token's lifetime.
    expect(clock.pending()).toEqual([840_000]);
  });

  it('refreshes a short-lived token at four fifths of its life', () => {
    expect(refreshLeadMs(900_000)).toBe(60_000);
    expect(refreshLeadMs(60_000)).toBe(12_000);
  });

  it('gets a new access token first when the current one has (nearly) expired', async () => {
    const { session, clock, service } = setup(userService({ expiresIn: 60 }));
    await session.login('alice', 'pw');
    for (const t of clock.pending()) clock.clearTimer(t); // no silent refresh in this test
    clock.advance(56_000);
    expect(await session.getAccessToken()).toBe(fakeAccessToken(ALICE, 2));
    expect(paths(service.requests)).toEqual(['login', 'refresh']);
  });

  it('shares one refresh between concurrent callers (a rotated token is never sent twice)', async () => {
    const { session, service } = setup(userService(), true);
    const tokens = await Promise.all([session.getAccessToken(), session.getAccessToken(), session.refresh()]);
    expect(paths(service.requests)).toEqual(['refresh']);
    expect(tokens.slice(0, 2)).toEqual([fakeAccessToken(ALICE, 1), fakeAccessToken(ALICE, 1)]);
  });

  it('serialises refreshes of two tabs through the shared lock', async () => {
    const service = userService();
    const order: string[] = [];
    let chain = Promise.resolve() as Promise<unknown>;
    const lock = <T>(fn: () => Promise<T>) => {
      const run = chain.then(fn);
      chain = run.catch(() => undefined);
      return run;
    };
    let inFlight = 0;
    const tracked = (async (input: RequestInfo | URL, init?: RequestInit) => {
      inFlight++;
      order.push(`start(${inFlight})`);
      await settle();
      const res = await service.fetch(input, init);
      inFlight--;
      return res;
    }) as typeof fetch;
    const tab = () =>
      new SessionManager({
        fetch: tracked,
        now: () => 0,
        setTimer: () => 0,
        clearTimer: () => {},
        withLock: lock,
        hint: { get: () => true, set: () => {} },
      });
    await Promise.all([tab().refresh(), tab().refresh()]);
    expect(order).toEqual(['start(1)', 'start(1)']);
  });

  it('restores the session after a reload only when the flag says a cookie may exist', async () => {
    const anonymous = setup();
    await anonymous.session.restore();
    expect(anonymous.session.state.value).toEqual({ status: 'anonymous' });
    expect(anonymous.service.requests).toEqual([]);

    const returning = setup(userService(), true);
    await returning.session.restore();
    expect(returning.session.state.value).toMatchObject({
      status: 'authenticated',
      user: { username: 'alice' },
    });
    expect(paths(returning.service.requests)).toEqual(['refresh']);
  });

  it('ends the session when the refresh is refused (expired or reused cookie)', async () => {
    const { session, hint } = setup(
      userService({ refresh: () => json(401, { code: 'AUTH.REFRESH_TOKEN_REUSED', detail: 'reused' }) }),
      true,
    );
    await session.restore();
    expect(session.state.value).toEqual({ status: 'anonymous' });
    expect(hint()).toBe(false);
    expect(await session.getAccessToken()).toBeUndefined();
  });

  it('keeps the session flag through an outage of the user service (503), so a later load restores it', async () => {
    const { session, hint } = setup(
      userService({
        refresh: () => json(503, { code: 'AUTH.SESSION_STORE_UNAVAILABLE' }, { 'retry-after': '5' }),
      }),
      true,
    );
    await session.restore();
    expect(session.state.value).toEqual({ status: 'anonymous' });
    expect(hint()).toBe(true);
  });

  it('logs out at the user service, forgets the token, stops the refresh timer and tells the other tabs', async () => {
    const { session, service, clock, announced, hint } = setup();
    await session.login('alice', 'pw');
    await session.logout();
    expect(paths(service.requests)).toEqual(['login', 'logout']);
    expect(service.requests[1]!.headers['x-token-transport']).toBe('cookie');
    expect(session.state.value).toEqual({ status: 'anonymous' });
    expect(hint()).toBe(false);
    expect(clock.pending()).toEqual([]);
    expect(announced).toEqual(['login', 'logout']);
    expect(await session.getAccessToken()).toBeUndefined();
  });

  it('follows a logout or login announced by another tab', async () => {
    const { session, service } = setup();
    await session.login('alice', 'pw');
    await session.onAnnouncement('logout');
    expect(session.state.value.status).toBe('anonymous');
    await session.onAnnouncement('login');
    expect(session.state.value.status).toBe('authenticated');
    expect(paths(service.requests)).toEqual(['login', 'refresh']);
  });

  it('reads username and role from the access token claims', () => {
    expect(
      userFromAccessToken(fakeAccessToken({ sub: 'a', preferred_username: 'root', role: 'admin' })),
    ).toEqual({
      id: 'a',
      username: 'root',
      role: 'admin',
    });
    expect(() => userFromAccessToken('garbage')).toThrow();
  });
});
