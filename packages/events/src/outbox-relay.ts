import { type BackgroundLoop, createBackgroundLoop, guardPgPool, withTransaction } from '@shop/service-kit';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import { OutboxRepository } from './events.repository.js';
import { type EventsLogger, silentLogger } from './logger.js';
import { counterOn } from './metrics.js';
import { streamKey } from './streams.js';

export interface OutboxRelayOptions {
  pool: pg.Pool;
  /** Any ioredis client; the relay works on its own duplicate without key prefix. */
  redis: Redis;
  schema: string;
  /** Stream key prefix; defaults to the client's `keyPrefix`. */
  prefix?: string;
  batchSize?: number;
  /** Pause between polls when the outbox is empty (`OUTBOX_POLL_INTERVAL_MS`). */
  pollIntervalMs?: number;
  /** First pause after a failed round (PostgreSQL or Redis down); doubles per failure up to `maxBackoffMs`. */
  errorBackoffMs?: number;
  /** Longest pause between tries during an outage (default 10 s). */
  maxBackoffMs?: number;
  /** Approximate cap of each stream (`XADD MAXLEN ~`). */
  maxStreamLength?: number;
  /** Published outbox rows older than this are deleted. */
  retentionMs?: number;
  logger?: EventsLogger;
  registry?: Registry;
}

/**
 * Publishes outbox rows to Redis Streams. Rows are locked with FOR UPDATE SKIP LOCKED and marked
 * published in the same transaction after XADD succeeded, so several replicas never publish the
 * same row concurrently; a crash between XADD and COMMIT publishes a row twice, which consumers
 * absorb through their processed-events table (at-least-once). The loop survives outages of
 * either: a failed round is logged once per outage, backed off and retried until it recovers.
 */
export class OutboxRelay {
  private readonly repo: OutboxRepository;
  private readonly conn: Redis;
  private readonly prefix: string;
  private readonly o: Required<Omit<OutboxRelayOptions, 'prefix' | 'registry' | 'logger'>> & {
    logger: EventsLogger;
  };
  private readonly published;
  private readonly loop: BackgroundLoop;
  private lastCleanup = 0;

  constructor(options: OutboxRelayOptions) {
    this.o = {
      batchSize: 100,
      pollIntervalMs: 200,
      errorBackoffMs: 500,
      maxBackoffMs: 10_000,
      maxStreamLength: 100_000,
      retentionMs: 24 * 3600_000,
      logger: silentLogger,
      ...options,
    } as typeof this.o;
    this.repo = new OutboxRepository(options.schema);
    // Pools of the kit are guarded already; any other one must not crash the process on a disconnect.
    guardPgPool(options.pool);
    this.prefix = options.prefix ?? options.redis.options.keyPrefix ?? '';
    this.conn = options.redis.duplicate({ keyPrefix: '', lazyConnect: true });
    // Connection errors surface as failed publishes (retried with backoff); this keeps them out of stderr.
    this.conn.on('error', (err) => this.o.logger.debug({ err }, 'outbox relay: redis connection error'));
    this.published = counterOn(
      options.registry,
      'events_published_total',
      'Events published from the outbox to Redis Streams',
      ['stream'],
    );
    this.loop = createBackgroundLoop({
      name: 'outbox relay',
      logger: this.o.logger,
      intervalMs: this.o.pollIntervalMs,
      backoff: { initialMs: this.o.errorBackoffMs, maxMs: this.o.maxBackoffMs },
      run: async () => {
        const n = await this.publishBatch();
        await this.cleanup();
        // A full batch means more rows are waiting: go again without pausing.
        return n >= this.o.batchSize;
      },
    });
  }

  /** Publishes one batch; returns how many rows it published. Exposed for tests and one-shot use. */
  async publishBatch(): Promise<number> {
    const published = await withTransaction(this.o.pool, async (client) => {
      const rows = await this.repo.lockBatch(client, this.o.batchSize);
      if (rows.length === 0) return [];
      const pipeline = this.conn.pipeline();
      for (const row of rows) {
        pipeline.xadd(
          streamKey(this.prefix, row.stream),
          'MAXLEN',
          '~',
          this.o.maxStreamLength,
          '*',
          'type',
          row.type,
          'event',
          JSON.stringify(row.envelope),
        );
      }
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([err]) => err);
      if (failed || results.length !== rows.length) {
        throw failed?.[0] ?? new Error('XADD pipeline returned no result');
      }
      await this.repo.markPublished(
        client,
        rows.map((r) => r.id),
      );
      return rows;
    });
    for (const row of published) this.published?.inc({ stream: row.stream });
    return published.length;
  }

  /** Starts the background loop (idempotent); it survives PostgreSQL and Redis outages. */
  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    this.conn.disconnect();
  }

  private async cleanup(): Promise<void> {
    const now = Date.now();
    if (now - this.lastCleanup < 60_000) return;
    this.lastCleanup = now;
    await this.repo.deletePublishedBefore(this.o.pool, new Date(now - this.o.retentionMs));
  }
}
