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
  error?: string;
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

  constructor(private readonly now: () => number) {}

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
  }

  /** Runs every check; the overall state is decided by the caller's lifecycle plus the critical checks. */
  async run(lifecycle: 'starting' | 'running' | 'draining'): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks.entries()].map(async ([name, c]) => [name, await this.runOne(c)] as const),
    );
    const checks = Object.fromEntries(entries);
    let status: ReadinessState;
    if (lifecycle === 'draining') status = 'draining';
    else if (lifecycle === 'starting') status = 'starting';
    else status = entries.some(([, r]) => r.critical && r.status === 'down') ? 'not_ready' : 'ready';
    return { status, checks };
  }

  private async runOne(c: {
    check: ReadinessCheck;
    timeoutMs: number;
    critical: boolean;
  }): Promise<CheckResult> {
    const started = this.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(c.check),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${c.timeoutMs} ms`)), c.timeoutMs);
        }),
      ]);
      return { status: 'up', critical: c.critical, durationMs: Math.round(this.now() - started) };
    } catch (err) {
      return {
        status: 'down',
        critical: c.critical,
        durationMs: Math.round(this.now() - started),
        error: describe(err),
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

// Error text only: a check's failure is shown in /readyz, so no stacks and no connection strings.
function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const raw = typeof e?.message === 'string' ? e.message : String(err);
  // pg reports refused connections as an AggregateError with an empty message; the code says it all.
  const message = raw.replace(/\/\/[^@/\s]*@/g, '//') || (err as Error)?.name || 'failed';
  return typeof e?.code === 'string' && !message.includes(e.code) ? `${e.code}: ${message}` : message;
}
