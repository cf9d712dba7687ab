import { createRequire } from 'node:module';
import { trace } from '@opentelemetry/api';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino censors on every line — only where a secret can actually be logged, and no wildcards:
 * pino checks each path on every line it writes, and a wildcard path walks every key of the object
 * (with 13 of them among 29 paths, redaction was a visible part of the CPU time per request).
 * - request/response headers of an HTTP exchange logged as `req`/`res` or bare `headers` (the kit's
 *   own request line carries no headers; these guard a `{ req }` or `{ headers }` logged by hand);
 * - credentials in a logged request body (`body`) or as top-level fields (`password`, tokens);
 * - the configuration logged at start (`config`), already passed through `redactConfig`: the named
 *   secrets here are a second guard.
 * A secret logged anywhere else is not caught: log identifiers, not credentials.
 */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-internal-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-internal-token"]',
  'headers["set-cookie"]',
  'password',
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'token',
  'body.password',
  'body.token',
  'body.accessToken',
  'body.refreshToken',
  'body.access_token',
  'body.refresh_token',
  'config.DB_PASSWORD',
  'config.REDIS_PASSWORD',
  'config.INTERNAL_API_TOKEN',
  'config.JWT_PRIVATE_KEY',
  'config.PAYMENT_GATEWAY_KEY',
  'config.ADMIN_PASSWORD',
];

export interface CreateLoggerOptions {
  name: string;
  level?: string;
  /** `json` (default, for machines) or `pretty` (humans; needs pino-pretty, falls back to json). */
  format?: 'json' | 'pretty';
  /** Extra fields on every line (version, …). */
  base?: Record<string, unknown>;
  /** Where lines go; defaults to stdout. Tests pass a stream to capture lines. */
  destination?: DestinationStream;
}

/** Adds the active OpenTelemetry span's ids so every line logged inside a request joins its trace. */
export function traceMixin(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const ctx = span.spanContext();
  if (!trace.isSpanContextValid(ctx)) return {};
  return { trace_id: ctx.traceId, span_id: ctx.spanId, trace_flags: `0${ctx.traceFlags.toString(16)}` };
}

/** pino logger with the kit's conventions: JSON, ISO time, trace ids, secret redaction. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: options.name, ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    mixin: traceMixin,
    redact: { paths: redactPaths, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  if (options.destination) return pino(pinoOptions, options.destination);
  if (options.format === 'pretty' && prettyAvailable()) {
    return pino({
      ...pinoOptions,
      transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  // Asynchronous stdout: a line no longer blocks the request in a write(2) of its own; lines written
  // while one write is in flight go out together. pino flushes what is buffered synchronously on exit.
  return pino(pinoOptions, pino.destination({ dest: 1, sync: false }));
}

// pino-pretty is a dev dependency: production images do not ship it, so `pretty` degrades to json.
function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}
