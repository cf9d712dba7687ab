// The login session. The refresh token lives only in an HttpOnly, SameSite=Strict cookie that the user
// service sets on /api/v1/users (the storefront asks for it with `X-Token-Transport: cookie`), so no
// script — ours or an injected one — can read it. The short-lived access token lives in memory only; a
// reload gets a new one from the cookie (`restore()`). Refresh tokens rotate on every use and a reused
// one revokes the whole login, so refreshes are single-flight in a tab and serialised across tabs.
import { signal } from '@preact/signals';
import { ApiError, errorFromResponse, networkError } from './problem.js';

export interface SessionUser {
  id: string;
  username: string;
  role: string;
}

export type SessionState =
  | { status: 'restoring' }
  | { status: 'anonymous' }
  | { status: 'authenticated'; user: SessionUser };

/** The header that makes the user service keep the refresh token in its HttpOnly cookie. */
export const TOKEN_TRANSPORT_HEADER = 'x-token-transport';

export interface SessionDeps {
  fetch: typeof fetch;
  now: () => number;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
  /** Runs `fn` while holding a lock shared by every tab (Web Locks), so two tabs never refresh at once. */
  withLock: <T>(fn: () => Promise<T>) => Promise<T>;
  /** "This browser may hold a session cookie": a flag, never a token, so anonymous visits skip a refresh. */
  hint: { get(): boolean; set(present: boolean): void };
  /** Tells the other tabs about a login or logout (BroadcastChannel). */
  announce?: (event: 'login' | 'logout') => void;
  apiBase?: string;
}

interface TokenAnswer {
  access_token: string;
  expires_in: number;
}

/** Refresh this long before the access token expires (a fifth of its life, at most a minute). */
export function refreshLeadMs(lifetimeMs: number): number {
  return Math.min(60_000, Math.floor(lifetimeMs / 5));
}

/** Claims the storefront shows (the services verify the signature; the page only reads them). */
export function userFromAccessToken(token: string): SessionUser {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('malformed access token');
  const base64 = payload.replaceAll('-', '+').replaceAll('_', '/');
  const json = new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
  const claims = JSON.parse(json) as { sub?: string; preferred_username?: string; role?: string };
  return { id: claims.sub ?? '', username: claims.preferred_username ?? '', role: claims.role ?? 'customer' };
}

export class SessionManager {
  readonly state = signal<SessionState>({ status: 'restoring' });
  private accessToken: string | undefined;
  private expiresAt = 0;
  private timer: unknown;
  private inflight: Promise<boolean> | undefined;

  constructor(private readonly deps: SessionDeps) {}

  get user(): SessionUser | undefined {
    const s = this.state.value;
    return s.status === 'authenticated' ? s.user : undefined;
  }

  /** At page load: a session cookie (if the hint says there may be one) becomes an access token. */
  async restore(): Promise<void> {
    if (!this.deps.hint.get()) {
      this.state.value = { status: 'anonymous' };
      return;
    }
    try {
      await this.refresh();
    } catch {
      // The user service is unreachable: show the shop logged out; the next API call that needs a
      // token tries again, and the hint stays so a later load restores the session.
      if (this.state.value.status === 'restoring') this.state.value = { status: 'anonymous' };
    }
  }

  async login(username: string, password: string): Promise<SessionUser> {
    const answer = await this.post<TokenAnswer>('/api/v1/users/login', { username, password });
    const user = this.accept(answer);
    this.deps.announce?.('login');
    return user;
  }

  /** Ends the session here and at the user service (which revokes the refresh token and clears the cookie). */
  async logout(): Promise<void> {
    try {
      await this.post('/api/v1/users/logout', {});
    } finally {
      this.clear();
      this.deps.announce?.('logout');
    }
  }

  /**
   * A fresh access token: the current one, or a refreshed one when it is (about to be) expired.
   * `undefined` when there is no session.
   */
  async getAccessToken(): Promise<string | undefined> {
    if (this.accessToken && this.deps.now() < this.expiresAt - 5_000) return this.accessToken;
    if (!this.accessToken && !this.deps.hint.get()) return undefined;
    return (await this.refresh()) ? this.accessToken : undefined;
  }

  /**
   * Rotates the refresh cookie into a new access token. Single-flight: concurrent callers share one
   * request. Resolves `false` when the session is gone (401); rejects on outages (the session stays).
   */
  refresh(): Promise<boolean> {
    this.inflight ??= this.deps
      .withLock(() => this.refreshNow())
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  /** Another tab logged in or out: follow it. */
  async onAnnouncement(event: 'login' | 'logout'): Promise<void> {
    if (event === 'logout') this.clear();
    else await this.refresh().catch(() => undefined);
  }

  /** Drops the in-memory session (after logout, or when the server says the session is gone). */
  clear(): void {
    this.accessToken = undefined;
    this.expiresAt = 0;
    if (this.timer !== undefined) this.deps.clearTimer(this.timer);
    this.timer = undefined;
    this.deps.hint.set(false);
    this.state.value = { status: 'anonymous' };
  }

  private async refreshNow(): Promise<boolean> {
    try {
      this.accept(await this.post<TokenAnswer>('/api/v1/users/refresh', {}));
      return true;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 400)) {
        this.clear();
        return false;
      }
      throw error;
    }
  }

  private accept(answer: TokenAnswer): SessionUser {
    const user = userFromAccessToken(answer.access_token);
    const lifetimeMs = answer.expires_in * 1000;
    this.accessToken = answer.access_token;
    this.expiresAt = this.deps.now() + lifetimeMs;
    this.deps.hint.set(true);
    this.state.value = { status: 'authenticated', user };
    if (this.timer !== undefined) this.deps.clearTimer(this.timer);
    // Silent refresh before expiry, so pages never wait on a refresh (failures surface on the next call).
    this.timer = this.deps.setTimer(
      () => {
        this.timer = undefined;
        this.refresh().catch(() => undefined);
      },
      Math.max(0, lifetimeMs - refreshLeadMs(lifetimeMs)),
    );
    return user;
  }

  private async post<T>(path: string, body: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.deps.fetch(`${this.deps.apiBase ?? ''}${path}`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          [TOKEN_TRANSPORT_HEADER]: 'cookie',
        },
        body: JSON.stringify(body),
      });
    } catch (error) {
      throw networkError(error);
    }
    const text = await res.text();
    if (!res.ok) throw errorFromResponse(res.status, res.headers, text, this.deps.now());
    return (text ? JSON.parse(text) : {}) as T;
  }
}
