import {
  type BackgroundLoopOptions,
  type BackgroundWorker,
  createBackgroundLoop,
  type OutageLogger,
} from '@shop/service-kit';
import type { InventoryService } from './inventory.service.js';

export interface SweeperOptions {
  inventory: InventoryService;
  intervalMs: number;
  batchSize?: number;
  logger: OutageLogger;
  /** Injectable pause between rounds (tests). */
  sleep?: BackgroundLoopOptions['sleep'];
}

/**
 * Returns the stock of expired reservations every `intervalMs`. Runs on every replica: the
 * repository takes due rows with FOR UPDATE SKIP LOCKED, so replicas share the work, never double it.
 * A full batch is followed by another round at once, so a backlog drains quickly. A database
 * outage is logged once and retried with backoff by the kit's background loop; the sweeper resumes
 * by itself when PostgreSQL is back.
 */
export function createReservationSweeper(
  options: SweeperOptions,
): BackgroundWorker & { runOnce(): Promise<number> } {
  const batch = options.batchSize ?? 100;
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

  const loop = createBackgroundLoop({
    name: 'reservation sweeper',
    logger: options.logger,
    intervalMs: options.intervalMs,
    delayFirstRun: true,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    run: async () => {
      const count = await runOnce();
      if (count > 0) options.logger.info({ count }, 'expired reservations released their stock');
    },
  });

  return {
    name: 'reservation-sweeper',
    runOnce,
    start() {
      stopping = false;
      loop.start();
    },
    async stop() {
      stopping = true;
      await loop.stop();
    },
  };
}
