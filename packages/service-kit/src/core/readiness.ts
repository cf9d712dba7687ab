import { type FailureReason, failureReasonOf } from '../resilience/dependency-errors.js';
import type { OutageLogger } from '../resilience/outage-log.js';

/** One dependency check: resolves when healthy, rejects (or times out) when not. */
export type ReadinessCheck = () => Promise<unknown>;

export interface ReadinessCheckOptions {
  timeoutMs?: number;
  /** Non-critical checks are reported but do not turn readiness to 503. */
  critical?: boolean;
}

export interface CheckResult {
  status: 'up' | 'down';
  critical: boolean;
  durationMs: number;
  /**
   * Why a check is down, as a short code (`down`, `timeout`, `auth_failed`, `starting`,
   * `overloaded`, `error`). The body is public: it never carries a host, port, message or stack;
   * the full error goes to the log when the check changes state.
   */
  reason?: FailureReason;
}

export type ReadinessState = 'ready' | 'not_ready' | 'starting' | 'draining';

export interface ReadinessReport {
  status: ReadinessState;
  checks: Record<string, CheckResult>;
}

/** Named dependency checks with per-check timeouts, run in parallel on every `/readyz`. */
export class Readiness {
  private readonly checks = new Map<
    string,
    { check: ReadinessCheck; timeoutMs: number; critical: boolean }
  >();

  private readonly lastStatus = new Map<string, 'up' | 'down'>();

  constructor(
    private readonly now: () => number,
    private readonly logger?: OutageLogger,
  ) {}

  /** Registers (or replaces) the check called `name`. */
  addCheck(name: string, check: ReadinessCheck, options: ReadinessCheckOptions = {}): void {
    this.checks.set(name, {
      check,
      timeoutMs: options.timeoutMs ?? 1000,
      critical: options.critical ?? true,
    });
  }

  removeCheck(name: string): void {
    this.checks.delete(name);
    this.lastStatus.delete(name);
  }

  /** Runs every check; the overall state is decided by the caller's lifecycle plus the critical checks. */
  async run(lifecycle: 'starting' | 'running' | 'draining' | 'stopping'): Promise<ReadinessReport> {
    const entries = await Promise.all(
      // While starting, clients are still connecting: a check that is down then is no news.
      [...this.checks.entries()].map(
        async ([name, c]) =>
          [name, await this.runOne(lifecycle === 'starting' ? undefined : name, c)] as const,
      ),
    );
    const checks = Object.fromEntries(entries);
    let status: ReadinessState;
    if (lifecycle === 'draining' || lifecycle === 'stopping') status = 'draining';
    else if (lifecycle === 'starting') status = 'starting';
    else status = entries.some(([, r]) => r.critical && r.status === 'down') ? 'not_ready' : 'ready';
    return { status, checks };
  }

  private async runOne(
    name: string | undefined,
    c: { check: ReadinessCheck; timeoutMs: number; critical: boolean },
  ): Promise<CheckResult> {
    const started = this.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(c.check),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new CheckTimeout(c.timeoutMs)), c.timeoutMs);
        }),
      ]);
      this.transition(name, 'up');
      return { status: 'up', critical: c.critical, durationMs: Math.round(this.now() - started) };
    } catch (err) {
      const reason = err instanceof CheckTimeout ? 'timeout' : failureReasonOf(err);
      this.transition(name, 'down', err, reason);
      return { status: 'down', critical: c.critical, durationMs: Math.round(this.now() - started), reason };
    } finally {
      clearTimeout(timer);
    }
  }

  // Probes poll every few seconds: log a check only when it changes state, with the full error.
  private transition(
    name: string | undefined,
    status: 'up' | 'down',
    err?: unknown,
    reason?: FailureReason,
  ): void {
    if (name === undefined) return;
    const previous = this.lastStatus.get(name);
    this.lastStatus.set(name, status);
    if (previous === status || (previous === undefined && status === 'up')) return;
    if (status === 'down') {
      const message = (err as { message?: unknown })?.message;
      this.logger?.warn(
        { check: name, reason, error: typeof message === 'string' && message ? message : String(err) },
        'readiness check failed',
      );
    } else this.logger?.info({ check: name }, 'readiness check recovered');
  }
}

class CheckTimeout extends Error {
  constructor(timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
  }
}
