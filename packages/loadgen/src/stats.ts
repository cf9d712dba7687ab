import * as hdr from 'hdr-histogram-js';

/** What a response counts as: success, tolerated (counted, not an error) or an error. */
export type Outcome = 'ok' | 'expected' | 'error';

/**
 * Status key of one request: the HTTP status as a string (`"200"`, `"503"`), `network` (connection
 * refused/reset, DNS), `timeout` (no answer within `requestTimeoutMs`), or — for the synthetic
 * `*.settled` steps — the order's final status (`PAID`, `PAYMENT_FAILED`, …) or `timeout`.
 */
export type StatusKey = string;

/** Per-step figures; latencies in milliseconds. */
export interface StepStats {
  count: number;
  statusCounts: Record<StatusKey, number>;
  errors: number;
  /** The errors per status key (`"500"`, `network`, `timeout`, …): which answers failed. */
  errorCounts: Record<StatusKey, number>;
  /** Responses the classifier tolerated (e.g. 503 + Retry-After during a planned outage). */
  expected: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface ErrorSample {
  step: string;
  status: StatusKey;
  /** problem+json `detail`/`code` or the network error message, trimmed. */
  detail: string;
  atMs: number;
}

/** Totals over a run: HTTP requests and their statuses; errors (per status) and tolerated answers. */
export interface LoadTotals {
  requests: number;
  statusCounts: Record<StatusKey, number>;
  errors: number;
  /** Errors per status key, synthetic steps included (`timeout` of an order that never settled). */
  errorCounts: Record<StatusKey, number>;
  expected: number;
}

/** Figures of one progress interval (for the live line). */
export interface ProgressStep {
  step: string;
  count: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
}

const MAX_ERROR_SAMPLES = 20;
const JOURNEY_ORDER = ['setup', 'browse', 'search', 'signup', 'checkout', 'cancel', 'restock'];

/** setup first, then journeys in their usual order, steps in the order they were first seen. */
function byJourney<T>(entries: [string, T][]): [string, T][] {
  const rank = (step: string) => {
    const i = JOURNEY_ORDER.indexOf(step.slice(0, step.indexOf('.')));
    return i === -1 ? JOURNEY_ORDER.length : i;
  };
  return entries
    .map((e, i) => [e, i] as const)
    .sort(([a, i], [b, j]) => rank(a[0]) - rank(b[0]) || i - j)
    .map(([e]) => e);
}
const round = (us: number) => Math.round(us / 100) / 10;

class StepRecorder {
  readonly histogram = hdr.build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3 });
  readonly statusCounts: Record<StatusKey, number> = {};
  readonly errorCounts: Record<StatusKey, number> = {};
  errors = 0;
  expected = 0;

  record(status: StatusKey, outcome: Outcome, micros: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(micros)));
    this.statusCounts[status] = (this.statusCounts[status] ?? 0) + 1;
    if (outcome === 'error') {
      this.errors++;
      this.errorCounts[status] = (this.errorCounts[status] ?? 0) + 1;
    } else if (outcome === 'expected') this.expected++;
  }

  stats(): StepStats {
    const h = this.histogram;
    const empty = h.totalCount === 0;
    return {
      count: h.totalCount,
      statusCounts: { ...this.statusCounts },
      errors: this.errors,
      errorCounts: { ...this.errorCounts },
      expected: this.expected,
      p50: empty ? 0 : round(h.getValueAtPercentile(50)),
      p95: empty ? 0 : round(h.getValueAtPercentile(95)),
      p99: empty ? 0 : round(h.getValueAtPercentile(99)),
      max: empty ? 0 : round(h.maxValue),
      mean: empty ? 0 : round(h.mean),
    };
  }
}

/** Latency histograms (HdrHistogram, 3 significant digits) and status counts per journey step. */
export class Recorder {
  private readonly steps = new Map<string, StepRecorder>();
  private readonly samples: ErrorSample[] = [];
  /** Steps that are not HTTP requests (an order settling): counted in errors, not in requests. */
  private readonly synthetic = new Set<string>();
  private requestsInWindow = 0;

  constructor(private readonly startedAt: number) {}

  /** Records one request of `step` (`journey.step`); `synthetic` marks a step that is not a request. */
  record(
    step: string,
    status: StatusKey,
    outcome: Outcome,
    micros: number,
    detail?: string,
    synthetic = false,
  ): void {
    let rec = this.steps.get(step);
    if (!rec) {
      rec = new StepRecorder();
      this.steps.set(step, rec);
      if (synthetic) this.synthetic.add(step);
    }
    rec.record(status, outcome, micros);
    if (!synthetic) this.requestsInWindow++;
    if (outcome === 'error' && this.samples.length < MAX_ERROR_SAMPLES) {
      this.samples.push({
        step,
        status,
        detail: (detail ?? '').slice(0, 300),
        atMs: Math.round(performance.now() - this.startedAt),
      });
    }
  }

  /** Requests recorded since the previous call (the progress line's rate). */
  takeWindowCount(): number {
    const n = this.requestsInWindow;
    this.requestsInWindow = 0;
    return n;
  }

  /** Stats of every step: setup, then the journeys in their usual order. */
  stepStats(): Record<string, StepStats> {
    return Object.fromEntries(byJourney([...this.steps]).map(([name, rec]) => [name, rec.stats()]));
  }

  progressSteps(): ProgressStep[] {
    return byJourney([...this.steps]).map(([step, rec]) => {
      const s = rec.stats();
      return { step, count: s.count, errors: s.errors, p50: s.p50, p95: s.p95, p99: s.p99 };
    });
  }

  errorSamples(): ErrorSample[] {
    return [...this.samples];
  }

  /** Requests and statuses over every HTTP step; errors and expected also over synthetic steps. */
  totals(): LoadTotals {
    const statusCounts: Record<StatusKey, number> = {};
    const errorCounts: Record<StatusKey, number> = {};
    let requests = 0;
    let errors = 0;
    let expected = 0;
    for (const [name, rec] of this.steps) {
      const s = rec.stats();
      errors += s.errors;
      expected += s.expected;
      for (const [k, n] of Object.entries(s.errorCounts)) errorCounts[k] = (errorCounts[k] ?? 0) + n;
      if (this.synthetic.has(name)) continue;
      requests += s.count;
      for (const [k, n] of Object.entries(s.statusCounts)) statusCounts[k] = (statusCounts[k] ?? 0) + n;
    }
    return { requests, statusCounts, errors, errorCounts, expected };
  }
}
