/**
 * Where to go after logging in: only a path on this site. `?next=https://evil.example`, `//evil.example`
 * or `/\evil.example` (which browsers treat as another host) must not turn the login into an open redirect.
 */
export function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])/.test(next) ? next : '/';
}
