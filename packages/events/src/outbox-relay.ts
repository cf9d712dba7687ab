import { type BackgroundLoop, createBackgroundLoop, guardPgPool } from '@shop/service-kit';
import type { Redis } from 'ioredis';
import pg from 'pg';
import type { Registry } from 'prom-client';
import { OutboxRepository } from './events.repository.js';
import { type EventsLogger, silentLogger } from './logger.js';
import { counterOn } from './metrics.js';
import { streamKey } from './streams.js';
import { withTransactionBegunBy } from './transaction.js';

export interface OutboxRelayOptions {
  pool: pg.Pool;
  /** Any ioredis client; the relay works on its own duplicate without key prefix. */
  redis: Redis;
  schema: string;
  /** Stream key prefix; defaults to the client's `keyPrefix`. */
  prefix?: string;
  batchSize?: number;
  /**
   * Pause between polls when the outbox is empty (`OUTBOX_POLL_INTERVAL_MS`). With `listen` on,
   * a commit wakes the relay at once and the poll is only the fallback (a lost notification, a
   * listener reconnecting, a pooler that cannot carry LISTEN), so it can be long.
   */
  pollIntervalMs?: number;
  /**
   * Pause between polls while the LISTEN connection is subscribed (default 5 s): every commit that
   * wrote outbox rows wakes the relay then, so this poll only catches what a notification could
   * miss. `pollIntervalMs` applies whenever nobody listens (listen off, connecting, reconnecting).
   */
  listeningPollIntervalMs?: number;
  /**
   * LISTEN on `<schema>_outbox` and publish as soon as a transaction that wrote outbox rows commits
   * (`Outbox.enqueue` notifies in the same statement). Default true.
   */
  listen?: boolean;
  /**
   * Where the one LISTEN connection goes; default: the pool's own settings. LISTEN needs a session
   * of its own, which PgBouncer in transaction mode cannot give: behind such a pooler pass the
   * direct server address here (Shop services: `DATABASE_DIRECT_URL`). Without notifications the
   * relay still publishes, at `pollIntervalMs`.
   */
  listenConnectionString?: string;
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
  private readonly o: Required<
    Omit<OutboxRelayOptions, 'prefix' | 'registry' | 'logger' | 'listenConnectionString'>
  > & {
    logger: EventsLogger;
    listenConnectionString?: string;
  };
  private readonly published;
  private readonly loop: BackgroundLoop;
  private readonly listenLoop: BackgroundLoop;
  private listener: pg.Client | undefined;
  private lastCleanup = 0;

  constructor(options: OutboxRelayOptions) {
    this.o = {
      batchSize: 100,
      pollIntervalMs: 200,
      listeningPollIntervalMs: 5000,
      errorBackoffMs: 500,
      maxBackoffMs: 10_000,
      maxStreamLength: 100_000,
      retentionMs: 24 * 3600_000,
      listen: true,
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
      // Polling 5 times a second while notifications already wake the relay was most of an idle
      // service's CPU (three round trips per poll).
      intervalMs: () =>
        this.listener
          ? Math.max(this.o.pollIntervalMs, this.o.listeningPollIntervalMs)
          : this.o.pollIntervalMs,
      backoff: { initialMs: this.o.errorBackoffMs, maxMs: this.o.maxBackoffMs },
      run: async () => {
        const n = await this.publishBatch();
        await this.cleanup();
        // A full batch means more rows are waiting: go again without pausing.
        return n >= this.o.batchSize;
      },
    });
    // The LISTEN connection: (re)connects with the relay's backoff and reports to the relay's outage
    // log, so a PostgreSQL restart is still one warning and one recovery line.
    this.listenLoop = createBackgroundLoop({
      name: 'outbox relay',
      logger: this.o.logger,
      outage: this.loop.outage,
      intervalMs: 0,
      backoff: { initialMs: this.o.errorBackoffMs, maxMs: this.o.maxBackoffMs },
      run: (signal) => this.listen(signal),
    });
  }

  /** Backend pid of the LISTEN connection while it is subscribed (for tests and diagnostics). */
  get listenerPid(): number | undefined {
    return (this.listener as (pg.Client & { processID?: number }) | undefined)?.processID;
  }

  /**
   * Publishes one batch; returns how many rows it published. Exposed for tests and one-shot use.
   * Two round trips to PostgreSQL per batch (claim, COMMIT) and one to Redis (the XADD pipeline); a
   * crash or a failed XADD before COMMIT leaves the rows unpublished, to be published again.
   */
  async publishBatch(): Promise<number> {
    const published = await withTransactionBegunBy(
      this.o.pool,
      (client) => this.repo.beginClaimBatch(client, this.o.batchSize),
      async (_client, rows) => {
        if (rows.length === 0) return rows;
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
        return rows;
      },
    );
    for (const row of published) this.published?.inc({ stream: row.stream });
    return published.length;
  }

  /** Starts the background loop (idempotent); it survives PostgreSQL and Redis outages. */
  start(): void {
    this.loop.start();
    if (this.o.listen) this.listenLoop.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.listenLoop.stop(), this.loop.stop()]);
    this.conn.disconnect();
  }

  /**
   * One session of the LISTEN connection: connects, subscribes, wakes the loop on every
   * notification, and returns when stopped or throws when the connection is lost (the listen loop
   * then backs off and subscribes again).
   */
  private async listen(signal: AbortSignal): Promise<void> {
    // What the pool itself hands each of its clients, or the direct address when one is given.
    const { Client = pg.Client, ...options } = this.o.pool.options as pg.ClientConfig & {
      Client?: typeof pg.Client;
    };
    const config: pg.ClientConfig = { ...options, keepAlive: true };
    if (this.o.listenConnectionString) config.connectionString = this.o.listenConnectionString;
    const client = new Client(config);
    let lost: (err: Error) => void = () => {};
    const connectionLost = new Promise<Error>((resolve) => {
      lost = resolve;
    });
    client.on('error', (err) => lost(err));
    client.on('end', () => lost(new Error('Connection terminated: outbox relay LISTEN connection ended')));
    client.on('notification', () => this.loop.wake());
    const stopped = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    try {
      // A stop() during a hanging connect (no connect timeout configured) must not wait for it.
      const connecting = client.connect();
      connecting.catch(() => {});
      await Promise.race([connecting, stopped]);
      if (signal.aborted) return;
      await client.query(`LISTEN "${this.repo.channel}"`);
      this.listener = client;
      this.loop.outage.recovered();
      // Commits made while nobody listened notified no one: look once now.
      this.loop.wake();
      const err = await Promise.race([connectionLost, stopped]);
      if (!signal.aborted && err) throw err;
    } finally {
      this.listener = undefined;
      await client.end().catch(() => {});
    }
  }

  private async cleanup(): Promise<void> {
    const now = Date.now();
    if (now - this.lastCleanup < 60_000) return;
    this.lastCleanup = now;
    await this.repo.deletePublishedBefore(this.o.pool, new Date(now - this.o.retentionMs));
  }
}
