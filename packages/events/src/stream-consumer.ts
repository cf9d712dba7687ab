import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type EventEnvelope, eventEnvelopeSchema } from '@shop/contracts';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import { ProcessedEventsRepository } from './events.repository.js';
import { type EventsLogger, interruptibleSleep, silentLogger } from './logger.js';
import { counterOn } from './metrics.js';
import { deadLetterKey, streamKey } from './streams.js';
import { withConsumerSpan } from './trace-context.js';

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
  /** XREADGROUP BLOCK time; also bounds how long stop() waits for the read to return. */
  blockMs?: number;
  /** A pending message idle this long is reclaimed from its (dead or failing) consumer. */
  claimIdleMs?: number;
  reclaimIntervalMs?: number;
  /** After this many deliveries a message is moved to `<stream>:dlq` and acknowledged. */
  maxDeliveries?: number;
  logger?: EventsLogger;
  registry?: Registry;
}

type Outcome = 'processed' | 'duplicate' | 'failed' | 'ignored' | 'dead_lettered' | 'invalid';

/**
 * A Redis Streams consumer-group member: reads new messages, processes each in a PostgreSQL
 * transaction with dedup by event id, acknowledges after COMMIT, reclaims messages left pending
 * by dead consumers (XPENDING + XCLAIM), and parks poison messages in a dead-letter stream.
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
  private abort = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(options: StreamConsumerOptions) {
    this.o = {
      batchSize: 20,
      blockMs: 1000,
      claimIdleMs: 30_000,
      reclaimIntervalMs: 5_000,
      maxDeliveries: 5,
      dedup: true,
      logger: silentLogger,
      ...options,
    } as typeof this.o;
    this.consumerName =
      options.consumerName ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.prefix = options.prefix ?? options.redis.options.keyPrefix ?? '';
    this.processed = new ProcessedEventsRepository(options.schema);
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
  }

  async start(): Promise<void> {
    if (this.loops.length > 0) return;
    await this.ensureGroups();
    this.abort = new AbortController();
    this.loops = [this.readLoop(this.abort.signal), this.reclaimLoop(this.abort.signal)];
  }

  async stop(): Promise<void> {
    this.abort.abort();
    // Ends a read blocked in XREADGROUP; messages it would have returned stay unread for others.
    this.reader.disconnect();
    await Promise.all(this.loops);
    this.loops = [];
    this.cmd.disconnect();
  }

  /** Reads and processes one batch of new messages; returns how many it saw. */
  async pollOnce(blockMs = this.o.blockMs): Promise<number> {
    const keys = [...this.keys.keys()];
    const res = (await this.reader.call(
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
    )) as unknown;
    if (!res) return 0;
    let n = 0;
    for (const [key, messages] of streamsReply(res)) {
      for (const [id, fields] of messages) {
        n++;
        await this.handleMessage(key, id, fields);
      }
    }
    return n;
  }

  /**
   * Takes over messages pending longer than `claimIdleMs` (their consumer died or their handler
   * failed), retrying them or dead-lettering those delivered `maxDeliveries` times.
   */
  async reclaimOnce(): Promise<number> {
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
        await this.handleMessage(key, id, fields);
      }
    }
    return n;
  }

  private async connect(): Promise<void> {
    for (const c of [this.reader, this.cmd]) {
      if (c.status === 'wait') await c.connect();
    }
  }

  private async readLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.pollOnce();
      } catch (err) {
        if (signal.aborted) break;
        this.o.logger.warn({ err }, 'stream consumer: read failed, retrying');
        await interruptibleSleep(1000, signal);
      }
    }
  }

  private async reclaimLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await interruptibleSleep(this.o.reclaimIntervalMs, signal);
      if (signal.aborted) break;
      try {
        await this.reclaimOnce();
      } catch (err) {
        if (signal.aborted) break;
        this.o.logger.warn({ err }, 'stream consumer: reclaim failed');
      }
    }
  }

  private count(key: string, type: string, outcome: Outcome) {
    this.consumed?.inc({ stream: this.keys.get(key) ?? key, type, outcome });
  }

  private async handleMessage(key: string, id: string, fields: string[]): Promise<void> {
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
    try {
      await withConsumerSpan(
        `${stream} process`,
        envelope,
        {
          'messaging.system': 'redis',
          'messaging.destination.name': stream,
          'messaging.message.id': envelope.id,
          'app.event.type': envelope.type,
        },
        async () => {
          const tx = await this.o.pool.connect();
          try {
            await tx.query('BEGIN');
            const fresh =
              !this.o.dedup ||
              (await this.processed.markProcessed(tx, this.o.group, envelope.id, envelope.type));
            if (fresh) await handler(envelope, tx);
            else outcome = 'duplicate';
            await tx.query('COMMIT');
          } catch (err) {
            await tx.query('ROLLBACK').catch(() => {});
            throw err;
          } finally {
            tx.release();
          }
        },
      );
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
