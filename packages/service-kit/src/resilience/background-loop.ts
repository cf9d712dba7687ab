import { createOutageLog, type OutageLog, type OutageLogger } from './outage-log.js';

/** Sleep that resolves early when `signal` aborts, so a stop never waits out a full interval. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export interface BackoffOptions {
  /** Wait after the first failure (default 500 ms); doubles per failure. */
  initialMs?: number;
  /** Longest wait between tries (default 10 s), so recovery is noticed within that. */
  maxMs?: number;
}

/**
 * Exponential backoff with "equal jitter": half the exponential step plus a random half, so
 * replicas that failed together do not retry in lockstep but never retry at once either.
 */
export function backoffDelay(failures: number, options: BackoffOptions = {}, random = Math.random): number {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 10_000;
  const step = Math.min(max, initial * 2 ** Math.max(0, failures - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

export interface BackgroundLoopOptions {
  /** Used in log lines: `outbox relay`, `order expiry sweeper`, … */
  name: string;
  logger: OutageLogger;
  /** One round of work; resolve `true` when more is waiting, to start the next round at once. */
  run: (signal: AbortSignal) => Promise<unknown>;
  /** Pause between rounds while everything works; a function is asked before each pause. */
  intervalMs: number | (() => number);
  backoff?: BackoffOptions;
  /** Wait `intervalMs` before the first round (default false: the first round runs at once). */
  delayFirstRun?: boolean;
  /**
   * An outage log shared with another loop (e.g. the outbox relay and its LISTEN connection), so
   * one outage of a dependency both use is logged once; default: the loop's own, named `name`.
   */
  outage?: OutageLog;
  /** Injectable for tests. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

/** A background loop that survives its dependencies; see `createBackgroundLoop`. */
export interface BackgroundLoop {
  readonly name: string;
  /** Starts the loop (idempotent); returns at once. */
  start(): void;
  /** Stops the loop; resolves when the current round finished. */
  stop(): Promise<void>;
  readonly running: boolean;
  /** The loop's outage log, for failures a round handles itself (a consumer retrying in place). */
  readonly outage: OutageLog;
  /**
   * Runs the next round now: ends the pause between rounds at once, or, during a round, starts
   * the next one without pausing. Backoff pauses after a failure are not cut short.
   */
  wake(): void;
}

/**
 * Runs `run` every `intervalMs` until stopped. A round that throws never ends the loop: the
 * failure is logged once per outage (see `createOutageLog`), the loop backs off exponentially
 * (jittered, capped at `backoff.maxMs`) and resumes, and the first successful round logs the
 * recovery. For the relay, consumers, sweepers and dispatchers of every service.
 */
export function createBackgroundLoop(options: BackgroundLoopOptions): BackgroundLoop {
  const sleep = options.sleep ?? sleepUnlessAborted;
  const random = options.random ?? Math.random;
  const outage =
    options.outage ??
    createOutageLog(options.logger, {
      subject: options.name,
      ...(options.now ? { now: options.now } : {}),
    });
  let abort = new AbortController();
  let loop: Promise<void> | undefined;
  // A wake() during a round: run the next one at once. During the pause: `pause` ends it.
  let woken = false;
  let pause: AbortController | undefined;

  /** The pause between rounds; ends early on stop() or wake(). */
  const idle = async (signal: AbortSignal) => {
    if (woken || signal.aborted) return;
    const ctl = new AbortController();
    const onStop = () => ctl.abort();
    signal.addEventListener('abort', onStop, { once: true });
    pause = ctl;
    try {
      await sleep(
        typeof options.intervalMs === 'function' ? options.intervalMs() : options.intervalMs,
        ctl.signal,
      );
    } finally {
      pause = undefined;
      signal.removeEventListener('abort', onStop);
    }
  };

  // With a shared outage log, the backoff counts this loop's own failed rounds only: the other
  // loop's failures must not lengthen this one's pauses (or recovery would be noticed later).
  let ownFailures = 0;
  const runLoop = async (signal: AbortSignal) => {
    if (options.delayFirstRun) await idle(signal);
    while (!signal.aborted) {
      let more = false;
      // A wake-up before the round starts is served by this round.
      woken = false;
      try {
        more = (await options.run(signal)) === true;
        ownFailures = 0;
        outage.recovered();
      } catch (err) {
        if (signal.aborted) break;
        ownFailures += 1;
        outage.failure(err);
        const failures = options.outage ? ownFailures : outage.failures;
        await sleep(backoffDelay(failures, options.backoff, random), signal);
        continue;
      }
      if (!more) await idle(signal);
    }
  };

  return {
    name: options.name,
    outage,
    get running() {
      return loop !== undefined;
    },
    start() {
      if (loop) return;
      abort = new AbortController();
      loop = runLoop(abort.signal);
    },
    wake() {
      woken = true;
      pause?.abort();
    },
    async stop() {
      abort.abort();
      await loop;
      loop = undefined;
    },
  };
}
