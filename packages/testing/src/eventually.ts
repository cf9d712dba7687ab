import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` every `intervalMs` (default 50) at most `attempts` times (default 600, i.e. ~30 s plus
 * the checks' own time) and resolves with its first truthy result. A throwing check counts as "not
 * yet"; the last error is in the message when the bound is reached. For waits on timers outside the
 * test's control (Redis Sentinel's failover, a process coming up).
 */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  { attempts = 600, intervalMs = 50 }: { attempts?: number; intervalMs?: number } = {},
): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`condition not met after ${attempts} attempts${last ? `: ${String(last)}` : ''}`);
}
