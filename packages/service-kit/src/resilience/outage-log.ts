import { type DependencyFailure, dependencyFailureOf } from './dependency-errors.js';

/** The part of a pino logger the outage log writes through (the events package passes its own). */
export interface OutageLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/**
 * Logs a run of failures once: the first failure (and a change of cause) at warn, the repeats at
 * debug, and the recovery once at info with how long it lasted — a database restart is two lines,
 * not one per tick, per request or per pooled connection.
 */
export interface OutageLog {
  /** Records one failure; logs it when it starts an outage or the cause changed. */
  failure(err: unknown, fields?: Record<string, unknown>): void;
  /** Records a success; logs `<subject> recovered` when it ends an outage. */
  recovered(fields?: Record<string, unknown>): void;
  /** True between the first failure and the next success. */
  readonly active: boolean;
  /** Failures since the outage began. */
  readonly failures: number;
}

export interface OutageLogOptions {
  /** What failed, as the start of each message: `outbox relay`, `postgres pool`, … */
  subject: string;
  /** Clock for the outage duration (tests inject one). */
  now?: () => number;
  /** Messages; default `<subject> failed; retrying with backoff` and `<subject> recovered`. */
  messages?: { failed?: string; recovered?: string };
}

/** What a failure line carries: dependency and reason when known, else the whole error (with stack). */
export function failureFields(err: unknown, failure: DependencyFailure | undefined): Record<string, unknown> {
  if (!failure) return { err };
  const e = err as { message?: unknown; code?: unknown };
  return {
    dependency: failure.dependency,
    reason: failure.reason,
    error: typeof e?.message === 'string' && e.message ? e.message : String(e?.code ?? err),
  };
}

/** Creates an outage log for one subject (a pool, a client, a background loop). */
export function createOutageLog(logger: OutageLogger, options: OutageLogOptions): OutageLog {
  const now = options.now ?? (() => Date.now());
  let since: number | undefined;
  let failures = 0;
  let lastCause: string | undefined;
  const failed = options.messages?.failed ?? `${options.subject} failed; retrying with backoff`;
  const recovered = options.messages?.recovered ?? `${options.subject} recovered`;

  return {
    get active() {
      return since !== undefined;
    },
    get failures() {
      return failures;
    },
    failure(err, fields = {}) {
      const failure = dependencyFailureOf(err);
      // Same reason (or the same message for other errors) = the same outage: a refused reconnect
      // after a reset connection is still one outage; "auth_failed" after "down" is news.
      const cause = failure ? `dependency:${failure.reason}` : String((err as Error)?.message ?? err);
      failures += 1;
      const line = { subject: options.subject, ...fields, ...failureFields(err, failure) };
      if (since === undefined || cause !== lastCause) {
        since ??= now();
        logger.warn({ ...line, failures }, failed);
      } else {
        logger.debug({ ...line, failures }, `${options.subject} still failing`);
      }
      lastCause = cause;
    },
    recovered(fields = {}) {
      if (since === undefined) return;
      logger.info(
        { subject: options.subject, ...fields, failures, outageMs: Math.round(now() - since) },
        recovered,
      );
      since = undefined;
      failures = 0;
      lastCause = undefined;
    },
  };
}
