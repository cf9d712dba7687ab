import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type EventEnvelope, eventEnvelopeSchema } from '@shop/contracts';
import {
  type BackgroundLoop,
  backoffDelay,
  createBackgroundLoop,
  dependencyFailureOf,
  guardPgPool,
  sleepUnlessAborted,
} from '@shop/service-kit';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import { ProcessedEventsRepository } from './events.repository.js';
import { type EventsLogger, silentLogger } from './logger.js';
import { counterOn } from './metrics.js';
import { deadLetterKey, streamKey } from './streams.js';
import { withConsumerSpan } from './trace-context.js';
import { withTransactionBegunBy } from './transaction.js';

/**
 * Handles one event inside the consumer's transaction: whatever it writes through `tx` commits
 * together with the processed-event record, so a redelivered event is a no-op.
 */
export type EventHandler = (event: EventEnvelope, tx: pg.PoolClient) => Promise<void>;

export interface StreamConsumerOptions {
  pool: pg.Pool;
  redis: Redis;
  /** Schema holding this service's `processed_events` table. */
  schema: string;
  /**
   * Record processed event ids in `processed_events` in the handler's transaction (default true).
   * Turn off only when every handler is an idempotent state transition by itself.
   */
  dedup?: boolean;
  prefix?: string;
  /** Consumer group, one per consuming service (e.g. `order-service`). */
  group: string;
  /** Unique per process; defaults to host-pid-random. */
  consumerName?: string;
  streams: string[];
  handlers: Record<string, EventHandler>;
  batchSize?: number;
  /**
   * Messages of one read handled at the same time (default 8). Messages of the same aggregate (same
   * stream and `aggregate_id`) are always handled one after another, in stream order.
   */
  concurrency?: number;
  /** XREADGROUP BLOCK time; also bounds how long stop() waits for the read to return. */
  blockMs?: number;
  /** A pending message idle this long is reclaimed from its (dead or failing) consumer. */
  claimIdleMs?: number;
  reclaimIntervalMs?: number;
  /** After this many deliveries a message is moved to `<stream>:dlq` and acknowledged. */
  maxDeliveries?: number;
  /** Longest pause between tries while PostgreSQL or Redis is down (default 10 s). */
  maxBackoffMs?: number;
  logger?: EventsLogger;
  registry?: Registry;
}

type Outcome = 'processed' | 'duplicate' | 'failed' | 'ignored' | 'dead_lettered' | 'invalid';

/**
 * A Redis Streams consumer-group member: reads new messages, processes each in a PostgreSQL
 * transaction with dedup by event id, acknowledges after COMMIT, reclaims messages left pending
 * by dead consumers (XPENDING + XCLAIM), and parks poison messages in a dead-letter stream.
 *
 * Outages never stop it and never cost a delivery: while PostgreSQL is unreachable the message at
 * hand is retried in place with backoff (it stays pending, its delivery count unchanged, so an
 * outage cannot push it into the dead-letter stream); a failed read, reclaim or acknowledgement is
 * logged once per outage and retried; consumer groups lost with a Redis restart are recreated.
 */
export class StreamConsumer {
  readonly consumerName: string;
  private readonly o: Required<Omit<StreamConsumerOptions, 'prefix' | 'registry' | 'consumerName'>>;
  private readonly prefix: string;
  private readonly processed: ProcessedEventsRepository;
  private readonly reader: Redis;
  private readonly cmd: Redis;
  private readonly keys: Map<string, string>;
  private readonly lastErrors = new Map<string, string>();
  private readonly consumed;
  private readonly readLoop: BackgroundLoop;
  private readonly reclaimLoop: BackgroundLoop;
  private groupsReady = false;
  private started = false;

  constructor(options: StreamConsumerOptions) {
    this.o = {
      batchSize: 20,
      concurrency: 8,
      blockMs: 1000,
      claimIdleMs: 30_000,
      reclaimIntervalMs: 5_000,
      maxDeliveries: 5,
      maxBackoffMs: 10_000,
      dedup: true,
      logger: silentLogger,
      ...options,
    } as typeof this.o;
    this.consumerName =
      options.consumerName ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.prefix = options.prefix ?? options.redis.options.keyPrefix ?? '';
    this.processed = new ProcessedEventsRepository(options.schema);
    // Pools of the kit are guarded already; any other one must not crash the process on a disconnect.
    guardPgPool(options.pool);
    // A blocking XREADGROUP occupies its connection, so reads and commands use separate ones.
    this.reader = options.redis.duplicate({ keyPrefix: '', lazyConnect: true });
    this.cmd = options.redis.duplicate({ keyPrefix: '', lazyConnect: true });
    for (const c of [this.reader, this.cmd]) {
      c.on('error', (err) => this.o.logger.debug({ err }, 'stream consumer: redis connection error'));
    }
    this.keys = new Map(options.streams.map((s) => [streamKey(this.prefix, s), s]));
    this.consumed = counterOn(
      options.registry,
      'events_consumed_total',
      'Events handled by stream consumers, by outcome',
      ['stream', 'type', 'outcome'],
    );
    const backoff = { initialMs: 500, maxMs: this.o.maxBackoffMs };
    this.readLoop = createBackgroundLoop({
      name: 'stream consumer',
      logger: this.o.logger,
      intervalMs: 0,
      backoff,
      run: async (signal) => {
        if (!this.groupsReady) await this.ensureGroups();
        await this.readOnce(signal);
      },
    });
    this.reclaimLoop = createBackgroundLoop({
      name: 'stream consumer reclaim',
      logger: this.o.logger,
      intervalMs: this.o.reclaimIntervalMs,
      delayFirstRun: true,
      backoff,
      run: (signal) => this.reclaimOnce(signal),
    });
  }

  /** Creates the consumer groups (from the start of each stream, so no event published earlier is lost). */
  async ensureGroups(): Promise<void> {
    await this.connect();
    for (const key of this.keys.keys()) {
      try {
        await this.cmd.xgroup('CREATE', key, this.o.group, '0', 'MKSTREAM');
      } catch (err) {
        if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
      }
    }
    this.groupsReady = true;
  }

  /**
   * Creates the groups and starts reading and reclaiming. Resolves once the groups exist or, when
   * Redis is unreachable, at once: the loop keeps trying in the background, so a service starts
   * (and stays up) during a Redis outage.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      await this.ensureGroups();
    } catch (err) {
      if (!dependencyFailureOf(err)) throw err;
      this.readLoop.outage.failure(err);
    }
    this.readLoop.start();
    this.reclaimLoop.start();
  }

  async stop(): Promise<void> {
    const stopping = [this.readLoop.stop(), this.reclaimLoop.stop()];
    // Ends a read blocked in XREADGROUP; messages it would have returned stay unread for others.
    this.reader.disconnect();
    await Promise.all(stopping);
    this.started = false;
    this.cmd.disconnect();
  }

  /** Reads and processes one batch of new messages; returns how many it saw. */
  pollOnce(blockMs = this.o.blockMs): Promise<number> {
    return this.readOnce(undefined, blockMs);
  }

  private async readOnce(signal: AbortSignal | undefined, blockMs = this.o.blockMs): Promise<number> {
    const keys = [...this.keys.keys()];
    const res = (await this.reader
      .call(
        'XREADGROUP',
        'GROUP',
        this.o.group,
        this.consumerName,
        'COUNT',
        this.o.batchSize,
        'BLOCK',
        blockMs,
        'STREAMS',
        ...keys,
        ...keys.map(() => '>'),
      )
      .catch((err: unknown) => {
        // The stream or group vanished (a Redis restart without persistence): recreate it next round.
        if (String((err as Error)?.message).startsWith('NOGROUP')) this.groupsReady = false;
        throw err;
      })) as unknown;
    if (!res) return 0;
    // One lane per aggregate keeps each aggregate's events in stream order; lanes run side by side,
    // so one slow handler no longer holds up the events of every other order.
    const lanes = new Map<string, Array<[string, string, string[]]>>();
    let n = 0;
    for (const [key, messages] of streamsReply(res)) {
      for (const [id, fields] of messages) {
        n++;
        const lane = `${key}\u0000${aggregateOf(fields) ?? id}`;
        const queue = lanes.get(lane);
        if (queue) queue.push([key, id, fields]);
        else lanes.set(lane, [[key, id, fields]]);
      }
    }
    const pending = [...lanes.values()];
    const worker = async () => {
      for (let lane = pending.shift(); lane; lane = pending.shift())
        for (const [key, id, fields] of lane) await this.handleMessage(key, id, fields, signal);
    };
    // Every lane finishes (or stops at its failing message) before the next read; then the first
    // failure, if any, goes to the loop's outage handling as it did one message at a time.
    const settled = await Promise.allSettled(
      Array.from({ length: Math.min(this.o.concurrency, pending.length) }, worker),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return n;
  }

  /**
   * Takes over messages pending longer than `claimIdleMs` (their consumer died or their handler
   * failed), retrying them or dead-lettering those delivered `maxDeliveries` times.
   */
  async reclaimOnce(signal?: AbortSignal): Promise<number> {
    let n = 0;
    for (const key of this.keys.keys()) {
      const pending = (await this.cmd.call(
        'XPENDING',
        key,
        this.o.group,
        'IDLE',
        this.o.claimIdleMs,
        '-',
        '+',
        100,
      )) as [string, string, number, number][];
      for (const [id, , , deliveries] of pending) {
        // XCLAIM re-checks the idle time atomically, so only one replica wins each message.
        const claimed = (await this.cmd.call(
          'XCLAIM',
          key,
          this.o.group,
          this.consumerName,
          this.o.claimIdleMs,
          id,
        )) as [string, string[] | null][];
        const entry = claimed[0];
        if (!entry) continue;
        n++;
        const fields = entry[1];
        if (!fields) {
          // Trimmed from the stream meanwhile: nothing left to process.
          await this.cmd.xack(key, this.o.group, id);
          continue;
        }
        if (deliveries >= this.o.maxDeliveries) {
          await this.deadLetter(
            key,
            id,
            fields,
            deliveries,
            this.lastErrors.get(id) ?? 'max deliveries exceeded',
          );
          continue;
        }
        await this.handleMessage(key, id, fields, signal);
      }
    }
    return n;
  }

  private async connect(): Promise<void> {
    for (const c of [this.reader, this.cmd]) {
      if (c.status === 'wait') await c.connect();
    }
  }

  private count(key: string, type: string, outcome: Outcome) {
    this.consumed?.inc({ stream: this.keys.get(key) ?? key, type, outcome });
  }

  /**
   * Processes one message. With `signal` (the background loops), a PostgreSQL or upstream outage is
   * retried in place with backoff until it recovers or the consumer stops — the message stays
   * pending and keeps its delivery count; without it (direct `pollOnce` calls) it fails at once.
   */
  private async handleMessage(
    key: string,
    id: string,
    fields: string[],
    signal?: AbortSignal,
  ): Promise<void> {
    const raw = fieldValue(fields, 'event');
    let envelope: EventEnvelope;
    try {
      envelope = eventEnvelopeSchema.parse(JSON.parse(raw ?? '')) as EventEnvelope;
    } catch (err) {
      // A message that cannot be parsed will never succeed: park it at once.
      this.count(key, fieldValue(fields, 'type') ?? 'unknown', 'invalid');
      await this.deadLetter(key, id, fields, 1, `invalid envelope: ${(err as Error).message}`);
      return;
    }
    const handler = this.o.handlers[envelope.type];
    if (!handler) {
      this.count(key, envelope.type, 'ignored');
      await this.cmd.xack(key, this.o.group, id);
      return;
    }
    const stream = this.keys.get(key) ?? key;
    let outcome: Outcome = 'processed';
    const process = () =>
      withConsumerSpan(
        `${stream} process`,
        envelope,
        {
          'messaging.system': 'redis',
          'messaging.destination.name': stream,
          'messaging.message.id': envelope.id,
          'app.event.type': envelope.type,
        },
        () =>
          // BEGIN and the dedup claim travel in one round trip; then the handler's statements, COMMIT.
          withTransactionBegunBy(
            this.o.pool,
            async (tx) => {
              if (this.o.dedup) {
                return this.processed.beginAndMarkProcessed(tx, this.o.group, envelope.id, envelope.type);
              }
              await tx.query('BEGIN');
              return true;
            },
            async (tx, fresh) => {
              if (fresh) await handler(envelope, tx);
              else outcome = 'duplicate';
            },
          ),
      );
    try {
      for (let failures = 0; ; ) {
        try {
          await process();
          if (failures > 0) this.readLoop.outage.recovered();
          break;
        } catch (err) {
          if (!signal || signal.aborted || !dependencyFailureOf(err)) throw err;
          failures += 1;
          this.readLoop.outage.failure(err, { event_id: envelope.id, message_id: id });
          await sleepUnlessAborted(
            backoffDelay(failures, { initialMs: 500, maxMs: this.o.maxBackoffMs }),
            signal,
          );
          if (signal.aborted) return; // still pending: whoever runs next takes it over
        }
      }
    } catch (err) {
      // Left pending: the reclaim loop retries it after claimIdleMs, up to maxDeliveries.
      this.lastErrors.set(id, (err as Error).message ?? String(err));
      this.count(key, envelope.type, 'failed');
      this.o.logger.warn(
        { err, event_id: envelope.id, event_type: envelope.type, message_id: id },
        'stream consumer: handler failed',
      );
      return;
    }
    // Acknowledged only after COMMIT: a crash in between redelivers, and the dedup row absorbs it.
    await this.cmd.xack(key, this.o.group, id);
    this.lastErrors.delete(id);
    this.count(key, envelope.type, outcome);
  }

  private async deadLetter(key: string, id: string, fields: string[], deliveries: number, reason: string) {
    await this.cmd.xadd(
      deadLetterKey(this.prefix, this.keys.get(key) ?? key),
      '*',
      'source_id',
      id,
      'group',
      this.o.group,
      'deliveries',
      String(deliveries),
      'error',
      reason.slice(0, 500),
      ...fields,
    );
    await this.cmd.xack(key, this.o.group, id);
    this.lastErrors.delete(id);
    this.count(key, fieldValue(fields, 'type') ?? 'unknown', 'dead_lettered');
    this.o.logger.error({ message_id: id, deliveries, reason }, 'stream consumer: message dead-lettered');
  }
}

/**
 * XREADGROUP replies are `[[key, entries], …]` under RESP2 and a map under RESP3 (ioredis 6
 * defaults to RESP3 and flattens maps to `[key, entries, key, entries]`); accept both.
 */
function streamsReply(res: unknown): [string, [string, string[]][]][] {
  if (res instanceof Map) return [...res.entries()] as [string, [string, string[]][]][];
  const arr = res as unknown[];
  if (arr.length > 0 && typeof arr[0] === 'string') {
    const pairs: [string, [string, string[]][]][] = [];
    for (let i = 0; i + 1 < arr.length; i += 2)
      pairs.push([arr[i] as string, arr[i + 1] as [string, string[]][]]);
    return pairs;
  }
  return arr as [string, [string, string[]][]][];
}

function fieldValue(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** `aggregate_id` of a message's envelope, or undefined when it cannot be read (handled alone). */
function aggregateOf(fields: string[]): string | undefined {
  try {
    const id = (JSON.parse(fieldValue(fields, 'event') ?? '') as { aggregate_id?: unknown }).aggregate_id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
