import type { Logger } from 'pino';
import type { BackgroundWorker } from '../../workers/background-worker.js';
import type { InventoryService } from './inventory.service.js';

export interface SweeperOptions {
  inventory: InventoryService;
  intervalMs: number;
  batchSize?: number;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Injectable timer for tests. */
  setTimer?: (fn: () => void, ms: number) => { unref?: () => void };
  clearTimer?: (timer: unknown) => void;
}

/**
 * Returns the stock of expired reservations every `intervalMs`. Runs on every replica: the
 * repository takes due rows with FOR UPDATE SKIP LOCKED, so replicas share the work, never double it.
 * A full batch is followed by another round at once, so a backlog drains quickly.
 */
export function createReservationSweeper(
  options: SweeperOptions,
): BackgroundWorker & { runOnce(): Promise<number> } {
  const batch = options.batchSize ?? 100;
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = options.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout));
  let timer: unknown;
  let running: Promise<void> | undefined;
  let stopped = true;
  let stopping = false;

  async function runOnce(): Promise<number> {
    let total = 0;
    // Bounded: at most 50 batches per round, then the next round continues.
    for (let round = 0; round < 50; round += 1) {
      const expired = await options.inventory.expireDue(batch);
      total += expired;
      if (expired < batch || stopping) break;
    }
    return total;
  }

  function schedule() {
    if (stopped) return;
    const t = setTimer(() => {
      running = runOnce()
        .then((count) => {
          if (count > 0) options.logger.info({ count }, 'expired reservations released their stock');
        })
        .catch((err: unknown) => options.logger.warn({ err }, 'reservation sweep failed; will retry'))
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, options.intervalMs);
    t.unref?.();
    timer = t;
  }

  return {
    name: 'reservation-sweeper',
    runOnce,
    start() {
      if (!stopped) return;
      stopped = false;
      stopping = false;
      schedule();
    },
    async stop() {
      stopped = true;
      stopping = true;
      clearTimer(timer);
      await running;
    },
  };
}
