import type { ThinkTime } from './random.js';
import type { ErrorSample, LoadTotals, Outcome, StatusKey, StepStats } from './stats.js';

export const JOURNEYS = ['browse', 'search', 'signup', 'checkout', 'cancel', 'restock'] as const;
export type JourneyName = (typeof JOURNEYS)[number];

export const SERVICE_NAMES = ['user', 'product', 'order', 'payment'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Default journey mix (weights, not percentages): mostly browsing, a fifth buys. */
export const DEFAULT_MIX: Readonly<Record<JourneyName, number>> = {
  browse: 40,
  search: 25,
  signup: 5,
  checkout: 20,
  cancel: 5,
  restock: 5,
};

/** Final order statuses (the order service's `FINAL`). */
export const FINAL_ORDER_STATUSES = ['PAID', 'PAYMENT_FAILED', 'CANCELLED', 'EXPIRED', 'REFUNDED'] as const;

/** What the sandbox provider's test tokens end in; any other token accepts every final status. */
export const EXPECTED_FINAL: Readonly<Record<string, readonly string[]>> = {
  tok_success: ['PAID'],
  tok_async: ['PAID'],
  tok_decline: ['PAYMENT_FAILED'],
};

/** One response (or a settled order) as the classifier sees it. */
export interface StepResponse {
  journey: JourneyName | 'setup';
  /** `journey.step`, e.g. `checkout.order`. */
  step: string;
  method: string;
  /** Path and query, without the base URL. */
  path: string;
  /** HTTP status, or `network` / `timeout`; for `*.settled` the order's final status or `timeout`. */
  status: StatusKey;
  /** Response headers, lower-case names (empty for network errors and settled steps). */
  headers: Readonly<Record<string, string>>;
  /** Parsed JSON body when there was one. */
  body: unknown;
}

/**
 * Decides what a response counts as. It receives the step's own verdict (`ok` for the statuses the
 * journey expects, `error` otherwise) and may change it — e.g. a chaos scenario tolerating 503 with
 * `Retry-After` while it restarts PostgreSQL. `expected` responses are counted per status but are not
 * errors; a journey still stops at one (and retries it first, see `retry`).
 */
export type Classifier = (response: StepResponse, verdict: Outcome) => Outcome;

export interface ProgressSnapshot {
  elapsedMs: number;
  journeys: { started: number; completed: number; failed: number; interrupted: number; dropped: number };
  inFlight: number;
  requests: number;
  errors: number;
  /** Requests per second and journeys started per second over the last interval. */
  requestRate: number;
  journeyRate: number;
  /** Cumulative per-step figures (ms). */
  steps: Array<{ step: string; count: number; errors: number; p50: number; p95: number; p99: number }>;
}

export interface LoadOptions {
  /** Base URL of a gateway serving all four APIs (compose: http://127.0.0.1:8080). */
  target?: string;
  /** Per-service base URLs (`npm run dev`: user 8080, product 8081, order 8082, payment 8083); win over `target`. */
  services?: Partial<Record<ServiceName, string>>;
  /** Journeys started per second (Poisson arrivals: an open model, independent of response times). */
  arrivalRate: number;
  /** Stop starting journeys after this long (default 60 s unless only `maxJourneys` is given). */
  durationMs?: number;
  /** Stop after starting this many journeys. Whichever bound comes first ends the run. */
  maxJourneys?: number;
  /** Journey → weight; missing journeys get weight 0. Default `DEFAULT_MIX`. */
  mix?: Partial<Record<JourneyName, number>>;
  /** Size of the pool of registered shoppers; each logs in once and keeps its token (default 20). */
  users?: number;
  /** Pause between steps (default exponential, mean 1 s, at most 5 s). */
  thinkTime?: ThinkTime;
  /** Per-request timeout (default 10 s). */
  requestTimeoutMs?: number;
  /** Errors tolerated before the run counts as failed (default 0). */
  errorBudget?: number;
  /** Changes what counts as an error per step/status (see `Classifier`, `tolerateRetryAfter503`). */
  classify?: Classifier;
  /** Retries of a response classified `expected`, after its `Retry-After` (capped) or `delayMs`. */
  retry?: { attempts: number; delayMs?: number; maxDelayMs?: number };
  /** Admin credentials; required when the mix contains `restock`. */
  admin?: { username: string; password: string };
  /** Sandbox payment tokens and their weights for checkout (default all `tok_success`). */
  paymentMethods?: Record<string, number>;
  /** How long a placed order may take to reach a final status before it counts as an error (default 30 s). */
  orderTimeoutMs?: number;
  /** Interval of order status polls (default 250 ms). */
  pollIntervalMs?: number;
  /** After the bounds, how long running journeys may finish before they are aborted (default 30 s). */
  drainTimeoutMs?: number;
  /** Arrivals beyond this many running journeys are dropped and counted as errors (default 1000). */
  maxInFlight?: number;
  /** Username prefix of the pool (default `lg<random>_`): reuse one to reuse accounts across runs. */
  userPrefix?: string;
  /** Seed of the traffic shape (arrivals, mix, think times); random when absent. */
  seed?: number;
  /** Called every `progressIntervalMs` (default 1 s) and once at the end. */
  onProgress?: (snapshot: ProgressSnapshot) => void;
  progressIntervalMs?: number;
  /** Aborting stops arrivals and aborts running journeys at once (their requests are not errors). */
  signal?: AbortSignal;
}

export interface PlacedOrder {
  id: string;
  journey: JourneyName;
  /** Pool index of the shopper who placed it. */
  user: number;
  items: Array<{ product_id: number; quantity: number }>;
  paymentMethod: string;
  /** Last status this run observed (a final one unless the run was stopped or the order timed out). */
  status: string;
  final: boolean;
  placedAtMs: number;
}

export interface JourneyCounts {
  started: number;
  completed: number;
  /** Ended by an error. */
  failed: number;
  /** Ended by an `expected` response or by the run being stopped. */
  interrupted: number;
}

export interface LoadResult {
  startedAt: string;
  durationMs: number;
  stoppedBy: 'duration' | 'maxJourneys' | 'signal';
  settings: {
    target: string | null;
    services: Record<ServiceName, string>;
    arrivalRate: number;
    durationMs: number;
    maxJourneys: number;
    mix: Record<JourneyName, number>;
    users: number;
    thinkTime: ThinkTime;
    requestTimeoutMs: number;
    errorBudget: number;
    seed: number;
  };
  journeys: JourneyCounts & { dropped: number; byJourney: Record<string, JourneyCounts> };
  /** Per step (`journey.step`, in first-seen order), including `setup.*` and the synthetic `*.settled`. */
  steps: Record<string, StepStats>;
  totals: LoadTotals;
  orders: PlacedOrder[];
  ordersByStatus: Record<string, number>;
  errorSamples: ErrorSample[];
  /** errors (including dropped arrivals) ≤ errorBudget. */
  passed: boolean;
}

export interface ResolvedOptions
  extends Required<
    Omit<
      LoadOptions,
      'target' | 'services' | 'mix' | 'classify' | 'admin' | 'onProgress' | 'signal' | 'retry'
    >
  > {
  target: string | null;
  services: Record<ServiceName, string>;
  mix: Record<JourneyName, number>;
  classify: Classifier | undefined;
  admin: { username: string; password: string } | undefined;
  onProgress: ((snapshot: ProgressSnapshot) => void) | undefined;
  signal: AbortSignal | undefined;
  retry: { attempts: number; delayMs: number; maxDelayMs: number };
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/** An option is missing or out of range; the message names it. */
export class LoadOptionsError extends Error {
  override name = 'LoadOptionsError';
}

function positive(name: string, value: number, { integer = false, zero = false } = {}): number {
  if (!Number.isFinite(value) || (zero ? value < 0 : value <= 0) || (integer && !Number.isInteger(value)))
    throw new LoadOptionsError(
      `${name} must be a ${integer ? 'whole ' : ''}number ${zero ? '≥ 0' : '> 0'} (got ${value})`,
    );
  return value;
}

/** Validates and fills in defaults; every problem is a thrown Error naming the option. */
export function resolveOptions(options: LoadOptions): ResolvedOptions {
  const arrivalRate = positive('arrivalRate', options.arrivalRate);
  if (options.durationMs === undefined && options.maxJourneys === undefined) options.durationMs = 60_000;
  const durationMs = positive('durationMs', options.durationMs ?? 3_600_000, { integer: true });
  // Always bounded in count too: twice what the rate would start in the duration.
  const maxJourneys = positive(
    'maxJourneys',
    options.maxJourneys ?? Math.ceil((arrivalRate * durationMs) / 1000) * 2 + 10,
    { integer: true },
  );
  const services = {} as Record<ServiceName, string>;
  for (const name of SERVICE_NAMES) {
    const url = options.services?.[name] ?? options.target;
    if (!url)
      throw new LoadOptionsError(
        `no URL for the ${name} service: set target (a gateway) or services.${name}`,
      );
    try {
      new URL(url);
    } catch {
      throw new LoadOptionsError(`the ${name} service URL "${url}" is not a URL`);
    }
    services[name] = trimSlash(url);
  }
  const mix = Object.fromEntries(JOURNEYS.map((j) => [j, 0])) as Record<JourneyName, number>;
  for (const [name, weight] of Object.entries(options.mix ?? DEFAULT_MIX)) {
    if (!(JOURNEYS as readonly string[]).includes(name))
      throw new LoadOptionsError(`unknown journey "${name}" in the mix (known: ${JOURNEYS.join(', ')})`);
    mix[name as JourneyName] = positive(`mix.${name}`, weight ?? 0, { zero: true });
  }
  if (Object.values(mix).every((w) => w === 0))
    throw new LoadOptionsError('the mix has no journey with a weight > 0');
  if (mix.restock > 0 && !options.admin)
    throw new LoadOptionsError(
      'the restock journey needs admin credentials (admin.username / admin.password)',
    );
  const paymentMethods = options.paymentMethods ?? { tok_success: 1 };
  for (const [token, weight] of Object.entries(paymentMethods)) {
    if (!/^tok_[a-z0-9_]{1,60}$/.test(token))
      throw new LoadOptionsError(`payment method "${token}" is not a tok_* token`);
    positive(`paymentMethods.${token}`, weight, { zero: true });
  }
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  return {
    target: options.target ? trimSlash(options.target) : null,
    services,
    arrivalRate,
    durationMs,
    maxJourneys,
    mix,
    users: positive('users', options.users ?? 20, { integer: true }),
    thinkTime: options.thinkTime ?? { distribution: 'exponential', meanMs: 1000, maxMs: 5000 },
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs ?? 10_000),
    errorBudget: positive('errorBudget', options.errorBudget ?? 0, { integer: true, zero: true }),
    classify: options.classify,
    retry: {
      attempts: positive('retry.attempts', options.retry?.attempts ?? 2, { integer: true, zero: true }),
      delayMs: positive('retry.delayMs', options.retry?.delayMs ?? 200, { zero: true }),
      maxDelayMs: positive('retry.maxDelayMs', options.retry?.maxDelayMs ?? 2000, { zero: true }),
    },
    admin: options.admin,
    paymentMethods,
    orderTimeoutMs: positive('orderTimeoutMs', options.orderTimeoutMs ?? 30_000),
    pollIntervalMs: positive('pollIntervalMs', options.pollIntervalMs ?? 250),
    drainTimeoutMs: positive('drainTimeoutMs', options.drainTimeoutMs ?? 30_000, { zero: true }),
    maxInFlight: positive('maxInFlight', options.maxInFlight ?? 1000, { integer: true }),
    userPrefix:
      options.userPrefix ?? `lg${(seed % 36 ** 5).toString(36)}${Date.now().toString(36).slice(-3)}_`,
    seed,
    onProgress: options.onProgress,
    progressIntervalMs: positive('progressIntervalMs', options.progressIntervalMs ?? 1000),
    signal: options.signal,
  };
}

/** The service that owns an API path (the gateway's routing table). */
export function serviceOf(path: string): ServiceName {
  if (path.startsWith('/api/v1/users') || path.startsWith('/.well-known/')) return 'user';
  if (path.startsWith('/api/v1/products') || path.startsWith('/api/v1/categories')) return 'product';
  if (path.startsWith('/api/v1/orders')) return 'order';
  if (path.startsWith('/api/v1/payments')) return 'payment';
  throw new Error(`no service serves ${path}`);
}

/**
 * A classifier for dependency outages: a 503 that carries `Retry-After` (the services' answer while
 * PostgreSQL, Redis or an upstream is down) is tolerated and retried; everything else keeps its verdict.
 */
export const tolerateRetryAfter503: Classifier = (response, verdict) =>
  response.status === '503' && response.headers['retry-after'] !== undefined ? 'expected' : verdict;
