// Test doubles for the browser: a scripted fetch that records requests, a manual clock with timers.
// They replace only what a browser provides (fetch, setTimeout, storage); the logic under test is real.

export interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  credentials: RequestCredentials | undefined;
}

export type Responder = (req: Recorded) => Response | Promise<Response>;

export function scriptedFetch(responder: Responder) {
  const requests: Recorded[] = [];
  const fetch = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const headers = Object.fromEntries(
      Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
    );
    const req: Recorded = {
      method: init.method ?? 'GET',
      path: String(input),
      headers,
      body: init.body ? JSON.parse(String(init.body)) : undefined,
      credentials: init.credentials,
    };
    requests.push(req);
    return responder(req);
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers },
  });

/** An unsigned JWT with the claims the storefront reads (the services verify real signatures). */
export function fakeAccessToken(
  claims: { sub: string; preferred_username: string; role: string },
  n = 1,
): string {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${b64({ alg: 'ES256', kid: 'k' })}.${b64({ ...claims, n })}.signature`;
}

export function manualClock(start = 1_000_000) {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimer: (fn: () => void, ms: number) => {
      const id = ++seq;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimer: (id: unknown) => void timers.delete(id as number),
    pending: () => [...timers.values()].map((t) => t.at - now),
    /** Moves time forward, firing due timers in order. */
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const due = [...timers.entries()]
          .filter(([, t]) => t.at <= until)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = until;
    },
  };
}

/** Flushes pending promise callbacks (the code under test awaits fetch and JSON). */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
