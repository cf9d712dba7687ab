import { parseArgs } from 'node:util';
import {
  DEFAULT_MIX,
  JOURNEYS,
  type JourneyName,
  type LoadOptions,
  SERVICE_NAMES,
  type ServiceName,
} from './options.js';
import { parseThinkTime } from './random.js';

export const USAGE = `Usage: shop-loadgen [options]     (npm run load -- [options])

Simulates shoppers against the Shop public API as an open model (journeys arrive at --rate per second).
Every option can also come from the environment variable in brackets; flags win.

Target (default: the compose gateway on 127.0.0.1:8080 if it answers, else \`npm run dev\` on 8080-8083)
  --target URL            gateway base URL serving all four APIs            [LOAD_TARGET]
  --dev                   the services of \`npm run dev\`: 127.0.0.1:8080 user, 8081 product, 8082 order, 8083 payment
  --user-url URL, --product-url URL, --order-url URL, --payment-url URL
                          per-service base URLs (win over --target)         [LOAD_USER_URL …]
Load (always bounded: whichever of duration and journeys comes first)
  --rate N                journeys started per second (default 5)           [LOAD_RATE]
  --duration D            e.g. 30s, 2m, 500ms (default 30s)                 [LOAD_DURATION]
  --journeys N            at most N journeys (default 2 × rate × duration)  [LOAD_JOURNEYS]
  --mix LIST              weights, e.g. browse=40,search=25,signup=5,checkout=20,cancel=5,restock=5 [LOAD_MIX]
  --users N               shopper accounts in the pool (default 20)         [LOAD_USERS]
  --think T               think time between steps: exp:MEAN[:MAX], uniform:MIN:MAX, fixed:MS, none
                          (default exp:1000:5000)                           [LOAD_THINK]
  --payment-methods LIST  sandbox tokens and weights, e.g. tok_success=9,tok_decline=1 [LOAD_PAYMENT_METHODS]
  --timeout D             per-request timeout (default 10s)                 [LOAD_TIMEOUT]
  --seed N                traffic-shape seed, to replay a run               [LOAD_SEED]
  --user-prefix P         pool username prefix (reuse accounts across runs) [LOAD_USER_PREFIX]
  --admin-username U, --admin-password P
                          for the restock journey [LOAD_ADMIN_USERNAME/PASSWORD, else ADMIN_USERNAME/PASSWORD;
                          on a loopback target the dev-only admin of .env.example]
Output
  --error-budget N        errors tolerated before the exit code is 1 (default 0) [LOAD_ERROR_BUDGET]
  --json FILE             write the results as JSON (- for stdout)          [LOAD_JSON]
  --progress MODE         auto, tty (redrawn block), line (one line per interval), off [LOAD_PROGRESS]
  --interval D            progress interval (default 2s)                    [LOAD_PROGRESS_INTERVAL]
Exit codes: 0 within the error budget, 1 budget exceeded, 2 bad options, 3 target unusable (setup failed).`;

/** `30s`, `2m`, `500ms`, `1h` or a bare number of seconds, in milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration (e.g. 30s, 2m, 500ms)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

/** `a=1,b=2` into a record of numbers. */
export function parseWeights(text: string, what: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [key, value] = part.split('=');
    const n = Number(value);
    if (!key || value === undefined || !Number.isFinite(n) || n < 0)
      throw new Error(`${what}: "${part}" is not name=weight with a weight ≥ 0`);
    out[key.trim()] = n;
  }
  return out;
}

const number = (text: string, what: string) => {
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`${what}: "${text}" is not a number`);
  return n;
};

export const DEV_SERVICES: Readonly<Record<ServiceName, string>> = {
  user: 'http://127.0.0.1:8080',
  product: 'http://127.0.0.1:8081',
  order: 'http://127.0.0.1:8082',
  payment: 'http://127.0.0.1:8083',
};

/** The dev-only admin of `.env.example` and `npm run dev`; used only against loopback targets. */
export const DEV_ADMIN = { username: 'admin', password: 'dev-only-admin-password' };

export interface CliSettings {
  help: boolean;
  /** Neither a target nor service URLs were given: the CLI probes for the compose gateway first. */
  autoTarget: boolean;
  options: LoadOptions;
  json: string | undefined;
  progress: 'auto' | 'tty' | 'line' | 'off';
  notices: string[];
}

const isLoopback = (url: string) => /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:|\/|$)/.test(url);

/** Flags and environment into run options; throws an Error with a readable message on bad input. */
export function parseCli(argv: string[], env: Record<string, string | undefined>): CliSettings {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      target: { type: 'string' },
      dev: { type: 'boolean' },
      'user-url': { type: 'string' },
      'product-url': { type: 'string' },
      'order-url': { type: 'string' },
      'payment-url': { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      journeys: { type: 'string' },
      mix: { type: 'string' },
      users: { type: 'string' },
      think: { type: 'string' },
      'payment-methods': { type: 'string' },
      timeout: { type: 'string' },
      seed: { type: 'string' },
      'user-prefix': { type: 'string' },
      'admin-username': { type: 'string' },
      'admin-password': { type: 'string' },
      'error-budget': { type: 'string' },
      json: { type: 'string' },
      progress: { type: 'string' },
      interval: { type: 'string' },
    },
  });
  const get = (flag: keyof typeof values, variable: string): string | undefined => {
    const v = values[flag];
    if (typeof v === 'string' && v !== '') return v;
    const e = env[variable];
    return e === undefined || e === '' ? undefined : e;
  };
  const notices: string[] = [];
  const services: Partial<Record<ServiceName, string>> = values.dev ? { ...DEV_SERVICES } : {};
  for (const name of SERVICE_NAMES) {
    const url = get(`${name}-url`, `LOAD_${name.toUpperCase()}_URL`);
    if (url) services[name] = url;
  }
  const target = get('target', 'LOAD_TARGET');
  const autoTarget = !target && Object.keys(services).length === 0;

  const durationText = get('duration', 'LOAD_DURATION');
  const journeysText = get('journeys', 'LOAD_JOURNEYS');
  const mixText = get('mix', 'LOAD_MIX');
  const mix = mixText
    ? (parseWeights(mixText, '--mix') as Partial<Record<JourneyName, number>>)
    : { ...DEFAULT_MIX };
  for (const name of Object.keys(mix))
    if (!(JOURNEYS as readonly string[]).includes(name))
      throw new Error(`--mix: unknown journey "${name}" (known: ${JOURNEYS.join(', ')})`);

  let admin: LoadOptions['admin'];
  const adminUsername = get('admin-username', 'LOAD_ADMIN_USERNAME') ?? env.ADMIN_USERNAME;
  const adminPassword = get('admin-password', 'LOAD_ADMIN_PASSWORD') ?? env.ADMIN_PASSWORD;
  if (adminUsername && adminPassword) admin = { username: adminUsername, password: adminPassword };
  const urls = [target, ...Object.values(services)].filter((u): u is string => Boolean(u));
  if (!admin && (mix.restock ?? 0) > 0) {
    if (urls.every(isLoopback)) admin = { ...DEV_ADMIN };
    else {
      notices.push(
        'restock journeys skipped: no admin credentials (set LOAD_ADMIN_USERNAME / LOAD_ADMIN_PASSWORD)',
      );
      mix.restock = 0;
    }
  }

  const progress = (get('progress', 'LOAD_PROGRESS') ?? 'auto') as CliSettings['progress'];
  if (!['auto', 'tty', 'line', 'off'].includes(progress))
    throw new Error(`--progress: "${progress}" is not one of auto, tty, line, off`);
  const seed = get('seed', 'LOAD_SEED');
  const budget = get('error-budget', 'LOAD_ERROR_BUDGET');
  const users = get('users', 'LOAD_USERS');
  const think = get('think', 'LOAD_THINK');
  const payments = get('payment-methods', 'LOAD_PAYMENT_METHODS');
  const timeout = get('timeout', 'LOAD_TIMEOUT');
  const interval = get('interval', 'LOAD_PROGRESS_INTERVAL');
  const prefix = get('user-prefix', 'LOAD_USER_PREFIX');

  const options: LoadOptions = {
    ...(target ? { target } : {}),
    ...(Object.keys(services).length > 0 ? { services } : {}),
    arrivalRate: number(get('rate', 'LOAD_RATE') ?? '5', '--rate'),
    ...(durationText || !journeysText ? { durationMs: parseDuration(durationText ?? '30s') } : {}),
    ...(journeysText ? { maxJourneys: number(journeysText, '--journeys') } : {}),
    mix,
    ...(users ? { users: number(users, '--users') } : {}),
    ...(think ? { thinkTime: parseThinkTime(think) } : {}),
    ...(payments ? { paymentMethods: parseWeights(payments, '--payment-methods') } : {}),
    ...(timeout ? { requestTimeoutMs: parseDuration(timeout) } : {}),
    ...(seed ? { seed: number(seed, '--seed') } : {}),
    ...(prefix ? { userPrefix: prefix } : {}),
    ...(admin ? { admin } : {}),
    errorBudget: budget ? number(budget, '--error-budget') : 0,
    progressIntervalMs: parseDuration(interval ?? '2s'),
  };
  return {
    help: Boolean(values.help),
    autoTarget,
    options,
    json: get('json', 'LOAD_JSON'),
    progress,
    notices,
  };
}
