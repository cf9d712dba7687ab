import {
  adminUser,
  type CatalogProduct,
  JOURNEY_STEPS,
  type JourneyContext,
  JourneyStop,
  loginRequest,
  poolUsers,
  registerRequest,
  searchTerms,
  sessionFrom,
} from './journeys.js';
import {
  type JourneyCounts,
  type JourneyName,
  type LoadOptions,
  type LoadResult,
  type ProgressSnapshot,
  type ResolvedOptions,
  resolveOptions,
} from './options.js';
import { exponential, seededRandom, weightedPick } from './random.js';
import { RunAborted, ShopClient } from './shop-client.js';
import { type ErrorSample, Recorder } from './stats.js';

/** The target cannot be used for a run (unreachable, empty catalog, wrong admin password…). */
export class LoadSetupError extends Error {
  override name = 'LoadSetupError';
  /** The failed setup requests (status and problem detail). */
  errorSamples: ErrorSample[] = [];
}

const SETUP_CONCURRENCY = 4;
const CATALOG_PAGES = 5;

async function setup(ctx: JourneyContext): Promise<void> {
  const { client } = ctx;
  const fail = (what: string, status: string) => {
    throw new LoadSetupError(`${what} answered ${status}`);
  };
  let cursor: string | null = null;
  for (let page = 0; page < CATALOG_PAGES; page++) {
    const reply = await client.send({
      journey: 'setup',
      step: 'catalog',
      method: 'GET',
      path: `/api/v1/products?limit=100&sort=newest${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      ok: [200],
    });
    if (reply.outcome !== 'ok') fail('GET /api/v1/products', reply.status);
    ctx.catalog.products.push(
      ...(reply.body.items as CatalogProduct[]).map(({ id, name }) => ({ id, name })),
    );
    cursor = reply.body.next_cursor;
    if (!cursor) break;
  }
  if (ctx.catalog.products.length === 0)
    throw new LoadSetupError('the catalog is empty: seed it first (compose and `npm run dev` do)');
  ctx.catalog.terms = searchTerms(ctx.catalog.products);
  if (ctx.admin) {
    const reply = await client.send(loginRequest('setup', 'admin-login', ctx.admin));
    if (reply.outcome !== 'ok') fail(`admin login as ${ctx.admin.username}`, reply.status);
    ctx.admin.session = sessionFrom(reply);
  }
  // The shopper pool: registered once (409 = the account exists from an earlier run with this prefix).
  const needsPool = ctx.options.mix.checkout > 0 || ctx.options.mix.cancel > 0;
  if (!needsPool) return;
  let next = 0;
  await Promise.all(
    Array.from({ length: SETUP_CONCURRENCY }, async () => {
      while (next < ctx.users.length) {
        const user = ctx.users[next++]!;
        const reply = await client.send(registerRequest('setup', 'register', user.username, [201, 409]));
        if (reply.outcome !== 'ok') fail(`registering ${user.username}`, reply.status);
      }
    }),
  );
}

function emptyCounts(): JourneyCounts {
  return { started: 0, completed: 0, failed: 0, interrupted: 0 };
}

/**
 * Runs shopper journeys against the shop as an open model: journeys arrive at `arrivalRate` per second
 * (Poisson) whatever the response times, until `durationMs` or `maxJourneys`; running journeys then get
 * `drainTimeoutMs` to finish. Resolves with per-step latency/status figures, the orders placed and
 * whether the errors stayed within `errorBudget`. Throws `LoadSetupError` when the target is unusable.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const o: ResolvedOptions = resolveOptions(options);
  // Two streams of one seed: arrivals and the journey mix draw only in the arrival loop, so a seed
  // replays the same sequence of journeys however the concurrent journeys' think times interleave.
  const arrivals = seededRandom(o.seed);
  const random = seededRandom(o.seed ^ 0x9e3779b9);
  const startedAt = performance.now();
  const startedIso = new Date().toISOString();
  const recorder = new Recorder(startedAt);
  const abort = new AbortController();
  const onCallerAbort = () => abort.abort();
  o.signal?.addEventListener('abort', onCallerAbort, { once: true });
  if (o.signal?.aborted) abort.abort();
  const client = new ShopClient(o, recorder, abort.signal);
  const ctx: JourneyContext = {
    options: o,
    client,
    recorder,
    random,
    users: poolUsers(o.userPrefix, o.users),
    admin: o.admin ? adminUser(o.admin) : undefined,
    catalog: { products: [], categories: [], terms: [] },
    orders: new Map(),
    startedAt,
    signupSeq: { next: 0 },
  };
  const counts = emptyCounts();
  const byJourney: Record<string, JourneyCounts> = {};
  let dropped = 0;
  const inFlight = new Set<Promise<void>>();
  let progressTimer: NodeJS.Timeout | undefined;
  let lastProgress = performance.now();
  let journeysInWindow = 0;

  const snapshot = (): ProgressSnapshot => {
    const now = performance.now();
    const seconds = Math.max((now - lastProgress) / 1000, 0.001);
    lastProgress = now;
    const totals = recorder.totals();
    const snap: ProgressSnapshot = {
      elapsedMs: Math.round(now - startedAt),
      journeys: { ...counts, dropped },
      inFlight: inFlight.size,
      requests: totals.requests,
      errors: totals.errors,
      requestRate: recorder.takeWindowCount() / seconds,
      journeyRate: journeysInWindow / seconds,
      steps: recorder.progressSteps(),
    };
    journeysInWindow = 0;
    return snap;
  };

  const start = (name: JourneyName) => {
    counts.started++;
    journeysInWindow++;
    byJourney[name] ??= emptyCounts();
    const mine = byJourney[name];
    mine.started++;
    const end = (kind: 'completed' | 'failed' | 'interrupted') => {
      counts[kind]++;
      mine[kind]++;
    };
    const run = JOURNEY_STEPS[name](ctx).then(
      () => end('completed'),
      (err: unknown) => {
        if (err instanceof JourneyStop) end(err.kind);
        else if (err instanceof RunAborted) end('interrupted');
        else {
          // A bug or an unexpected body shape: counted, never fatal to the run.
          recorder.record(`${name}.exception`, 'exception', 'error', 0, String(err), true);
          end('failed');
        }
      },
    );
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
  };

  let stoppedBy: LoadResult['stoppedBy'] = 'duration';
  try {
    await setup(ctx).catch((err: unknown) => {
      if (err instanceof RunAborted) return;
      if (err instanceof LoadSetupError) err.errorSamples = recorder.errorSamples();
      throw err;
    });
    if (o.onProgress) progressTimer = setInterval(() => o.onProgress?.(snapshot()), o.progressIntervalMs);
    const arrivalsStart = performance.now();
    let nextAt = arrivalsStart;
    for (;;) {
      if (abort.signal.aborted) {
        stoppedBy = 'signal';
        break;
      }
      if (counts.started + dropped >= o.maxJourneys) {
        stoppedBy = 'maxJourneys';
        break;
      }
      nextAt += exponential(arrivals, 1000 / o.arrivalRate);
      if (nextAt - arrivalsStart >= o.durationMs) {
        stoppedBy = 'duration';
        await client.pause(arrivalsStart + o.durationMs - performance.now()).catch(() => undefined);
        if (abort.signal.aborted) stoppedBy = 'signal';
        break;
      }
      // Late timers catch up (several arrivals at once) so the rate holds on a busy machine.
      const wait = nextAt - performance.now();
      if (wait > 0) await client.pause(wait).catch(() => undefined);
      if (abort.signal.aborted) continue;
      if (inFlight.size >= o.maxInFlight) {
        dropped++;
        recorder.record('arrivals.dropped', 'dropped', 'error', 0, `${inFlight.size} journeys running`, true);
        continue;
      }
      start(weightedPick(arrivals, o.mix));
    }
    // Let running journeys finish (bounded), then abort what is left.
    if (inFlight.size > 0 && !abort.signal.aborted) {
      const drained = Promise.allSettled([...inFlight]);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise((r) => (timer = setTimeout(r, o.drainTimeoutMs)))]);
      clearTimeout(timer);
      abort.abort();
    }
    abort.abort();
    await Promise.allSettled([...inFlight]);
  } finally {
    if (progressTimer) clearInterval(progressTimer);
    o.signal?.removeEventListener('abort', onCallerAbort);
    abort.abort();
    await client.close();
  }
  o.onProgress?.(snapshot());

  const totals = recorder.totals();
  const orders = [...ctx.orders.values()];
  const ordersByStatus: Record<string, number> = {};
  for (const order of orders) ordersByStatus[order.status] = (ordersByStatus[order.status] ?? 0) + 1;
  return {
    startedAt: startedIso,
    durationMs: Math.round(performance.now() - startedAt),
    stoppedBy,
    settings: {
      target: o.target,
      services: o.services,
      arrivalRate: o.arrivalRate,
      durationMs: o.durationMs,
      maxJourneys: o.maxJourneys,
      mix: o.mix,
      users: o.users,
      thinkTime: o.thinkTime,
      requestTimeoutMs: o.requestTimeoutMs,
      errorBudget: o.errorBudget,
      seed: o.seed,
    },
    journeys: { ...counts, dropped, byJourney },
    steps: recorder.stepStats(),
    totals,
    orders,
    ordersByStatus,
    errorSamples: recorder.errorSamples(),
    passed: totals.errors <= o.errorBudget,
  };
}
