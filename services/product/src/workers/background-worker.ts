/**
 * Something main.ts runs next to the HTTP server (the reservation sweeper; later the order-event
 * consumer). `start` must return at once; `stop` resolves when in-flight work finished.
 */
export interface BackgroundWorker {
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
}
