import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import { OutboxRepository } from './events.repository.js';
import { type EventsLogger, interruptibleSleep, silentLogger } from './logger.js';
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
  /** Pause after a failed publish (Redis down) before the next try. */
  errorBackoffMs?: number;
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
 * absorb through their processed-events table (at-least-once).
 */
export class OutboxRelay {
  private readonly repo: OutboxRepository;
  private readonly conn: Redis;
  private readonly prefix: string;
  private readonly o: Required<Omit<OutboxRelayOptions, 'prefix' | 'registry' | 'logger'>> & {
    logger: EventsLogger;
  };
  private readonly published;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private lastCleanup = 0;

  constructor(options: OutboxRelayOptions) {
    this.o = {
      batchSize: 100,
      pollIntervalMs: 200,
      errorBackoffMs: 1000,
      maxStreamLength: 100_000,
      retentionMs: 24 * 3600_000,
      logger: silentLogger,
      ...options,
    } as typeof this.o;
    this.repo = new OutboxRepository(options.schema);
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
  }

  /** Publishes one batch; returns how many rows it published. Exposed for tests and one-shot use. */
  async publishBatch(): Promise<number> {
    const client = await this.o.pool.connect();
    try {
      await client.query('BEGIN');
      const rows = await this.repo.lockBatch(client, this.o.batchSize);
      if (rows.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
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
      await client.query('COMMIT');
      for (const row of rows) this.published?.inc({ stream: row.stream });
      return rows.length;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /** Starts the background loop (idempotent). */
  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    this.loop = undefined;
    this.conn.disconnect();
  }

  private async run(signal: AbortSignal): Promise<void> {
    if (this.conn.status === 'wait') await this.conn.connect().catch(() => {});
    while (!signal.aborted) {
      try {
        const n = await this.publishBatch();
        await this.cleanup();
        // A full batch means more rows are waiting: go again without pausing.
        if (n < this.o.batchSize) await interruptibleSleep(this.o.pollIntervalMs, signal);
      } catch (err) {
        if (signal.aborted) break;
        this.o.logger.warn({ err }, 'outbox relay: publish failed, retrying');
        await interruptibleSleep(this.o.errorBackoffMs, signal);
      }
    }
  }

  private async cleanup(): Promise<void> {
    const now = Date.now();
    if (now - this.lastCleanup < 60_000) return;
    this.lastCleanup = now;
    await this.repo.deletePublishedBefore(this.o.pool, new Date(now - this.o.retentionMs));
  }
}
