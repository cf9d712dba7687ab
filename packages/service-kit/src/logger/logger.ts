import { createRequire } from 'node:module';
import { trace } from '@opentelemetry/api';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/** Paths pino censors on every line: credentials in headers, bodies and config objects. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-internal-token"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-internal-token"]',
  'authorization',
  'cookie',
  'password',
  'token',
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.secret',
  '*.DB_PASSWORD',
  '*.REDIS_PASSWORD',
  '*.INTERNAL_API_TOKEN',
  '*.JWT_PRIVATE_KEY',
  '*.PAYMENT_GATEWAY_KEY',
  '*.ADMIN_PASSWORD',
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
