import type { ServiceKit } from '../core/service-kit.js';

/**
 * Work a service runs beside its HTTP server: an outbox relay, a stream consumer, a sweeper, a
 * dispatcher, a second listener (the user service's gRPC server). Every service's `workers.ts`
 * returns a list of these; `startWorkers` runs them for `main.ts` and for the test harness.
 */
export interface BackgroundWorker {
  /** Used in logs and as the name of its shutdown hook. */
  readonly name: string;
  /** Starts the work; resolves once it runs (a consumer's group exists, a listener is bound). */
  start(): void | Promise<void>;
  /** Stops the work; resolves when in-flight work finished. */
  stop(): Promise<void>;
}

/**
 * Starts `workers` in order and registers one shutdown hook each, so the kit stops them in reverse
 * order before it closes the clients they use (hooks registered after the pool and Redis run first).
 */
export async function startWorkers(
  kit: Pick<ServiceKit, 'onShutdown'>,
  workers: readonly BackgroundWorker[],
): Promise<void> {
  for (const worker of workers) {
    await worker.start();
    kit.onShutdown(worker.name, () => worker.stop());
  }
}
