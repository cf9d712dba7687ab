import { DomainError, ServiceUnavailableError } from '../errors/domain-errors.js';

/** Which dependency failed; `dependency` when the error does not say (a bare socket error). */
export type DependencyName = 'postgres' | 'redis' | 'upstream' | 'dependency';

/**
 * Why it failed, as a short code safe to show in `/readyz` and problem details (never a host, port
 * or stack): unreachable or connection lost, too slow, credentials refused, still starting up,
 * out of connections/memory, or anything else.
 */
export type FailureReason = 'down' | 'timeout' | 'auth_failed' | 'starting' | 'overloaded' | 'error';

export interface DependencyFailure {
  dependency: DependencyName;
  reason: FailureReason;
}

/** The stable code of every "a dependency is unreachable" answer. */
export const DEPENDENCY_UNAVAILABLE = 'DEPENDENCY.UNAVAILABLE';

const labels: Record<DependencyName, string> = {
  postgres: 'The database',
  redis: 'Redis',
  upstream: 'An upstream service',
  dependency: 'A dependency',
};

/** 503 `DEPENDENCY.UNAVAILABLE` with `Retry-After`: what a request gets while a dependency is down. */
export class DependencyUnavailableError extends ServiceUnavailableError {
  readonly dependency: DependencyName;
  readonly reason: FailureReason;

  constructor(failure: DependencyFailure, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super({
      code: DEPENDENCY_UNAVAILABLE,
      detail: `${labels[failure.dependency]} is temporarily unavailable; retry shortly`,
      headers: { 'Retry-After': String(options.retryAfterSeconds ?? 5) },
      cause: options.cause,
    });
    this.dependency = failure.dependency;
    this.reason = failure.reason;
  }
}

// Errors the pg driver raises itself (no SQLSTATE): the connection is gone or never came up.
const PG_MESSAGES: [RegExp, FailureReason][] = [
  [/^Connection terminated due to connection timeout/, 'timeout'],
  [/^timeout exceeded when trying to connect/, 'timeout'],
  [/^Query read timeout/, 'timeout'],
  [/^Connection terminated/, 'down'],
  [/is not queryable$/, 'down'],
  [/^Cannot use a pool after calling end on the pool/, 'down'],
];

// ioredis rejects commands with these while it has no usable connection.
const REDIS_MESSAGES: [RegExp, FailureReason][] = [
  [/^Connection is closed\.?$/, 'down'],
  [/^Stream isn't writeable/, 'down'],
  [/^Command timed out/, 'timeout'],
  [/^Reached the max retries per request limit/, 'down'],
];

// Redis server replies that mean "not now" rather than "your command is wrong".
const REDIS_REPLIES: [RegExp, FailureReason][] = [
  [/^LOADING\b/, 'starting'],
  [/^(MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN)\b/, 'down'],
  [/^(NOAUTH|WRONGPASS)\b/, 'auth_failed'],
  [/^(BUSY|OOM)\b/, 'overloaded'],
];

const SOCKET_CODES: Record<string, FailureReason> = {
  ECONNREFUSED: 'down',
  ECONNRESET: 'down',
  ECONNABORTED: 'down',
  EPIPE: 'down',
  ENOTFOUND: 'down',
  EAI_AGAIN: 'down',
  EHOSTUNREACH: 'down',
  EHOSTDOWN: 'down',
  ENETUNREACH: 'down',
  ENETDOWN: 'down',
  ETIMEDOUT: 'timeout',
  UND_ERR_SOCKET: 'down',
  UND_ERR_CLOSED: 'down',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
};

/** SQLSTATEs that say the server cannot serve anyone right now (PostgreSQL appendix A). */
function sqlStateReason(code: string): FailureReason | undefined {
  if (code.startsWith('08')) return 'down'; // connection exception
  if (code === '57P01' || code === '57P02' || code === '57P05') return 'down'; // admin/crash shutdown, idle timeout
  if (code === '57P03') return 'starting'; // "the database system is starting up"
  if (code === '57014') return 'timeout'; // statement_timeout
  if (code === '25006') return 'down'; // read-only: a standby during failover
  if (code === '3D000') return 'down'; // the database itself is missing
  if (code === '28P01' || code === '28000') return 'auth_failed';
  if (code.startsWith('53')) return 'overloaded'; // too many connections, out of memory/disk
  return undefined;
}

interface ErrorShape {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  severity?: unknown;
  cause?: unknown;
  errors?: unknown;
}

// Errors the kit's PostgreSQL client tagged at the socket (a bare ECONNREFUSED says nothing about pg).
const tagged = new WeakMap<object, DependencyName>();

/** Marks `err` as coming from `dependency`, so a bare socket error is still attributed correctly. */
export function tagDependencyError<T>(err: T, dependency: DependencyName): T {
  if (typeof err === 'object' && err !== null) tagged.set(err, dependency);
  return err;
}

function classifyOne(err: unknown): DependencyFailure | undefined {
  if (err instanceof DependencyUnavailableError) return { dependency: err.dependency, reason: err.reason };
  // Any other deliberate 503 (an upstream the HTTP client gave up on, an open circuit) is transient too.
  if (err instanceof DomainError) {
    if (err.status !== 503) return undefined;
    const inner = classify(err.cause, 1);
    return (
      inner ?? { dependency: err.code.startsWith('UPSTREAM.') ? 'upstream' : 'dependency', reason: 'down' }
    );
  }
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as ErrorShape;
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';
  const code = typeof e.code === 'string' ? e.code : '';
  const dependency = tagged.get(err);

  // pg's DatabaseError carries the server's SQLSTATE and a severity.
  if (typeof e.severity === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    const reason = sqlStateReason(code);
    return reason ? { dependency: 'postgres', reason } : undefined;
  }
  for (const [pattern, reason] of PG_MESSAGES) {
    if (pattern.test(message)) return { dependency: 'postgres', reason };
  }
  if (name === 'MaxRetriesPerRequestError') return { dependency: 'redis', reason: 'down' };
  if (name === 'ReplyError') {
    for (const [pattern, reason] of REDIS_REPLIES)
      if (pattern.test(message)) return { dependency: 'redis', reason };
    return undefined;
  }
  for (const [pattern, reason] of REDIS_MESSAGES) {
    if (pattern.test(message)) return { dependency: 'redis', reason };
  }
  const socketReason = SOCKET_CODES[code];
  if (socketReason) {
    return {
      dependency: dependency ?? (code.startsWith('UND_ERR') ? 'upstream' : 'dependency'),
      reason: socketReason,
    };
  }
  // fetch() wraps the socket error: `TypeError: fetch failed` with the cause inside.
  if (name === 'TypeError' && message === 'fetch failed') {
    const inner = classify(e.cause, 1);
    return { dependency: 'upstream', reason: inner?.reason ?? 'down' };
  }
  // AbortSignal.timeout() around an outgoing call.
  if (name === 'TimeoutError') return { dependency: dependency ?? 'upstream', reason: 'timeout' };
  return undefined;
}

function classify(err: unknown, depth: number): DependencyFailure | undefined {
  if (depth > 5 || typeof err !== 'object' || err === null) return undefined;
  // A deliberate domain answer (409, 422, …) stays what it is, whatever caused it.
  if (err instanceof DomainError) return classifyOne(err);
  const direct = classifyOne(err);
  if (direct) {
    // An outer tag (our pg client) beats the generic attribution of an inner socket error.
    const owner = tagged.get(err);
    return owner && direct.dependency === 'dependency' ? { ...direct, dependency: owner } : direct;
  }
  const e = err as ErrorShape;
  // Node reports a refused dual-stack connect as an AggregateError holding one error per address.
  if (Array.isArray(e.errors) && e.errors.length > 0) {
    const inner = classify(e.errors[0], depth + 1);
    if (inner) return { ...inner, dependency: tagged.get(err) ?? inner.dependency };
  }
  const inner = classify(e.cause, depth + 1);
  if (inner) return { ...inner, dependency: tagged.get(err) ?? inner.dependency };
  return undefined;
}

/**
 * Tells whether `err` means "a dependency is unreachable or cannot serve right now" (PostgreSQL,
 * Redis, an upstream over HTTP) and which one, looking through `cause` chains and AggregateErrors.
 * Anything else — a constraint violation, a bug — is not a dependency failure and returns undefined.
 */
export function dependencyFailureOf(err: unknown): DependencyFailure | undefined {
  return classify(err, 0);
}

/** A short reason code for any failure: the dependency reason, `timeout`, or `error`. */
export function failureReasonOf(err: unknown): FailureReason {
  return dependencyFailureOf(err)?.reason ?? 'error';
}
