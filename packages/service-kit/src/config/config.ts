import { z } from 'zod';
import { durationMs } from './duration.js';

const port = z.coerce.number().int().min(1).max(65535);
const optionalSecret = z.string().optional();

/**
 * The environment every service understands: the seed's names (ConfigMap `app-config`, Secrets
 * `db-credentials`/`redis-credentials`) plus `DATABASE_URL`/`REDIS_URL` as alternatives.
 * Durations accept units (`10s`) and are parsed to milliseconds.
 */
export const baseConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
  SERVICE_NAME: z.string().min(1).default('shop-service'),
  SERVICE_PORT: port.default(8080),
  SERVICE_HOST: z.string().min(1).default('0.0.0.0'),
  DB_HOST: z.string().min(1).default('127.0.0.1'),
  DB_PORT: port.default(5432),
  DB_NAME: z.string().min(1).default('ecommerce'),
  DB_USERNAME: z.string().min(1).default('postgres'),
  DB_PASSWORD: optionalSecret,
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(20),
  // The seed writes "30" meaning seconds.
  DB_CONNECTION_TIMEOUT: durationMs('s', 30_000),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  REDIS_HOST: z.string().min(1).default('127.0.0.1'),
  REDIS_PORT: port.default(6379),
  REDIS_DB: z.coerce.number().int().min(0).max(15).default(0),
  REDIS_PASSWORD: optionalSecret,
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  REDIS_KEY_PREFIX: z.string().default(''),
  // Redis with Sentinel (k8s/components/ha-data): `host:port` of the Sentinels, comma-separated. When
  // set, the client asks them for the current master of REDIS_SENTINEL_NAME instead of using
  // REDIS_HOST/REDIS_PORT (REDIS_PASSWORD and REDIS_DB still apply to the master).
  REDIS_SENTINELS: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      const nodes = value
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean)
        .map((entry) => {
          const match = /^([^:\s]+):(\d{1,5})$/.exec(entry);
          const portNumber = match ? Number(match[2]) : Number.NaN;
          return match && portNumber >= 1 && portNumber <= 65535
            ? { host: match[1]!, port: portNumber }
            : undefined;
        });
      if (nodes.length === 0 || nodes.some((n) => n === undefined)) {
        ctx.addIssue({ code: 'custom', message: 'expected host:port[,host:port…] of the Redis Sentinels' });
        return z.NEVER;
      }
      return nodes as Array<{ host: string; port: number }>;
    }),
  REDIS_SENTINEL_NAME: z.string().min(1).default('shop'),
  // The Sentinels' own password (`requirepass` of sentinel.conf); REDIS_PASSWORD when absent.
  REDIS_SENTINEL_PASSWORD: optionalSecret,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  // The seed writes "10s"; a bare number means milliseconds.
  SERVICE_TIMEOUT: durationMs('ms', 10_000),
  SERVICE_RETRY: z.coerce.number().int().min(0).max(10).default(3),
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).default(0),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1).default(15_000),
  INTERNAL_API_TOKEN: optionalSecret,
  // Runtime fault flags (flagd JSON, mounted from observability/flags or the shop-flags ConfigMap);
  // unset or missing on disk → every flag off. The file is watched; the poll is the fallback.
  FLAGS_FILE: z.string().min(1).optional(),
  FLAGS_POLL_INTERVAL_MS: z.coerce.number().int().min(0).default(2000),
});

export type BaseConfig = z.output<typeof baseConfigSchema>;

/** URLs derived from either the `*_URL` variables or the discrete seed variables. */
export interface DerivedConfig {
  databaseUrl: string;
  redisUrl: string;
}

// Matched on the whole name or its last segment only: a substring test would also hide settings
// such as ACCESS_TOKEN_TTL_SECONDS or REDIS_KEY_PREFIX, which operators need to see in the start log.
const SECRET_KEYS = new Set(['PASSWORD', 'SECRET', 'TOKEN', 'DATABASE_URL', 'REDIS_URL']);
const SECRET_SUFFIXES = ['_PASSWORD', '_PASSPHRASE', '_SECRET', '_TOKEN', '_KEY', '_CREDENTIALS'];

/**
 * true when an environment key holds a secret: `*_PASSWORD`, `*_PASSPHRASE`, `*_SECRET`, `*_TOKEN`,
 * `*_KEY`, `*_CREDENTIALS`, and `DATABASE_URL`/`REDIS_URL` (which may embed a password).
 */
export function isSecretKey(key: string): boolean {
  const name = key.toUpperCase();
  return SECRET_KEYS.has(name) || SECRET_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

/** Thrown by `loadConfig`; `keys` lists every invalid variable, the message names them all. */
export class ConfigError extends Error {
  readonly keys: string[];
  constructor(keys: string[], lines: string[]) {
    super(
      `Invalid configuration (${keys.length} invalid ${keys.length === 1 ? 'key' : 'keys'}):\n${lines.join('\n')}`,
    );
    this.name = 'ConfigError';
    this.keys = keys;
  }
}

type Env = Record<string, string | undefined>;

/**
 * Validates the environment once against `schema` (the base schema or an extension of it) and adds
 * `databaseUrl`/`redisUrl`. Throws one `ConfigError` listing every invalid key; secret values are
 * scrubbed from the message even if a validator echoed them.
 */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: Env = process.env,
): z.output<S> & DerivedConfig {
  // Compose/Kubernetes often render unset values as empty strings; treat them as absent so defaults apply.
  const input: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== '') input[key] = value;

  const result = schema.safeParse(input);
  if (!result.success) {
    const byKey = new Map<string, string[]>();
    for (const issue of result.error.issues) {
      const key = issue.path.length > 0 ? String(issue.path[0]) : '(root)';
      byKey.set(key, [...(byKey.get(key) ?? []), issue.message]);
    }
    const keys = [...byKey.keys()].sort();
    const lines = keys.map((key) => `  - ${key}: ${scrubSecrets(byKey.get(key)!.join('; '), input)}`);
    throw new ConfigError(keys, lines);
  }
  const parsed = result.data as z.output<S> & Partial<BaseConfig>;
  return { ...parsed, databaseUrl: deriveDatabaseUrl(parsed), redisUrl: deriveRedisUrl(parsed) };
}

function scrubSecrets(message: string, env: Record<string, string>): string {
  let out = message;
  for (const [key, value] of Object.entries(env)) {
    if (isSecretKey(key) && value.length >= 3) out = out.split(value).join('[redacted]');
  }
  return out;
}

function deriveDatabaseUrl(c: Partial<BaseConfig>): string {
  if (c.DATABASE_URL) return c.DATABASE_URL;
  const url = new URL('postgres://localhost');
  url.hostname = c.DB_HOST ?? '127.0.0.1';
  url.port = String(c.DB_PORT ?? 5432);
  url.username = encodeURIComponent(c.DB_USERNAME ?? 'postgres');
  if (c.DB_PASSWORD) url.password = encodeURIComponent(c.DB_PASSWORD);
  url.pathname = `/${encodeURIComponent(c.DB_NAME ?? 'ecommerce')}`;
  return url.toString();
}

function deriveRedisUrl(c: Partial<BaseConfig>): string {
  if (c.REDIS_URL) return c.REDIS_URL;
  const url = new URL('redis://localhost');
  url.hostname = c.REDIS_HOST ?? '127.0.0.1';
  url.port = String(c.REDIS_PORT ?? 6379);
  if (c.REDIS_PASSWORD) url.password = encodeURIComponent(c.REDIS_PASSWORD);
  url.pathname = `/${c.REDIS_DB ?? 0}`;
  return url.toString();
}

/** A copy of a config object that is safe to log: secret values replaced, URL passwords removed. */
export function redactConfig<T extends object>(config: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(value))
      out[key] = stripUrlPassword(value);
    else if (isSecretKey(key) && value !== undefined) out[key] = '[redacted]';
    else out[key] = value;
  }
  return out;
}

function stripUrlPassword(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = 'redacted';
    return url.toString();
  } catch {
    return '[redacted]';
  }
}
