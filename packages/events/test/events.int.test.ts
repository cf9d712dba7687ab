import { context, propagation, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { EventEnvelope } from '@shop/contracts';
import { withTransaction } from '@shop/service-kit';
import type { TestEnvironment } from '@shop/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deadLetterKey, Outbox, OutboxRelay, StreamConsumer, streamKey } from '../src/index.js';
import { createEventsTestEnvironment, eventsFixture } from './support.js';

const SCHEMA = 'evtest';
let env: TestEnvironment;
let pool: pg.Pool;
let redis: Redis;
let prefix: string;
let run = 0;

let fixture: ReturnType<typeof eventsFixture>;

beforeAll(async () => {
  env = await createEventsTestEnvironment('events', SCHEMA);
  pool = new pg.Pool({ connectionString: env.db.url, max: 10 });
  fixture = eventsFixture(pool, SCHEMA);
  redis = new Redis(env.redisPrefix.url, { keyPrefix: env.redisPrefix.prefix });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});

afterAll(async () => {
  context.disable();
  propagation.disable();
  redis?.disconnect();
  await pool?.end();
  await env?.teardown();
});

beforeEach(async () => {
  // Each test gets its own stream namespace under the file's prefix, and a clean outbox.
  run++;
  prefix = `${env.redisPrefix.prefix}t${run}:`;
  await fixture.reset();
});

const enqueueCommitted = (type: string, data: Record<string, unknown> = {}) =>
  fixture.enqueueCommitted(type, data);

function relay(extra: Partial<ConstructorParameters<typeof OutboxRelay>[0]> = {}) {
  return new OutboxRelay({ pool, redis, schema: SCHEMA, prefix, batchSize: 10, ...extra });
}

function consumer(
  handlers: Record<string, (e: EventEnvelope, tx: pg.PoolClient) => Promise<void>>,
  extra = {},
) {
  return new StreamConsumer({
    pool,
    redis,
    schema: SCHEMA,
    prefix,
    group: 'test-group',
    streams: ['orders'],
    handlers,
    claimIdleMs: 50,
    maxDeliveries: 3,
    blockMs: 50,
    ...extra,
  });
}

const recordEffect = (e: EventEnvelope, tx: pg.PoolClient) => fixture.recordEffect(e, tx);
const effects = () => fixture.effects();

const raw = () => new Redis(env.redisPrefix.url);

/** A pool of one connection that records the first word of every statement sent (one round trip each). */
function countingPool(): { pool: pg.Pool; sent: string[] } {
  const sent: string[] = [];
  const counting = new pg.Pool({ connectionString: env.db.url, max: 1 });
  counting.on('connect', (client) => {
    const query = client.query.bind(client) as (...a: unknown[]) => unknown;
    (client as { query: unknown }).query = (...a: unknown[]) => {
      const text = typeof a[0] === 'string' ? a[0] : (a[0] as { text: string }).text;
      sent.push(text.trim().split(/\s+/)[0]!);
      return query(...a);
    };
  });
  return { pool: counting, sent };
}

/** Publishes every committed outbox row once, as one relay pass. */
async function relayOnce(): Promise<void> {
  const r = relay();
  await r.publishBatch();
  await r.stop();
}

/** One event published twice: a relay that crashed after XADD and before COMMIT sends the row again. */
async function publishTwice(type: string): Promise<void> {
  await enqueueCommitted(type);
  const r = relay();
  await r.publishBatch();
  await pool.query(`UPDATE ${SCHEMA}.outbox SET published_at = NULL`);
  await r.publishBatch();
  await r.stop();
}

/** Messages of the test stream read by the group but not acknowledged yet. */
async function pendingCount(): Promise<number> {
  const conn = raw();
  try {
    return ((await conn.xpending(streamKey(prefix, 'orders'), 'test-group')) as [number])[0];
  } finally {
    conn.disconnect();
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('outbox + relay', () => {
  it('publishes events of committed transactions and never those of rolled-back ones', async () => {
    await enqueueCommitted('order.paid', { n: 1 });
    const client = await pool.connect();
    await client.query('BEGIN');
    await new Outbox(SCHEMA).enqueue(client, {
      stream: 'orders',
      type: 'order.rolled_back',
      aggregateId: 'x',
      data: {},
    });
    await client.query('ROLLBACK');
    client.release();

    const r = relay();
    expect(await r.publishBatch()).toBe(1);
    expect(await r.publishBatch()).toBe(0);
    const conn = raw();
    const entries = await conn.xrange(streamKey(prefix, 'orders'), '-', '+');
    conn.disconnect();
    await r.stop();
    expect(entries).toHaveLength(1);
    const fields = entries[0]![1];
    expect(fields[fields.indexOf('type') + 1]).toBe('order.paid');
    const published = JSON.parse(fields[fields.indexOf('event') + 1]!);
    expect(published).toMatchObject({ type: 'order.paid', aggregate_id: 'agg-1', data: { n: 1 } });
  });

  it('writes an event enqueued in a kit transaction with its COMMIT (one round trip), intact, and only if it commits', async () => {
    const outbox = new Outbox(SCHEMA);
    const data = { note: `O'Brien \\ "quoted" ünïcødé ${'$'}1 :p1 -- ;`, n: 1.5, nested: { ok: true } };
    const { pool: counting, sent } = countingPool();
    try {
      const envelope = await withTransaction(counting, (client) =>
        outbox.enqueue(client, { stream: 'orders', type: 'order.paid', aggregateId: "agg-'1'", data }),
      );
      // BEGIN, then the outbox row and its notification travel with the COMMIT.
      expect(sent).toEqual(['BEGIN', 'WITH']);
      const { rows } = await pool.query(`SELECT aggregate_id, envelope FROM ${SCHEMA}.outbox WHERE id = $1`, [
        envelope.id,
      ]);
      expect(rows).toEqual([{ aggregate_id: "agg-'1'", envelope: JSON.parse(JSON.stringify(envelope)) }]);
      expect(rows[0].envelope.data).toEqual(data);
      const rolledBack = await withTransaction(counting, async (client) => {
        await outbox.enqueue(client, {
          stream: 'orders',
          type: 'order.cancelled',
          aggregateId: 'agg-2',
          data,
        });
        throw new Error('the change failed');
      }).catch((e: Error) => e.message);
      expect(rolledBack).toBe('the change failed');
      const cancelled = await pool.query(`SELECT 1 FROM ${SCHEMA}.outbox WHERE type = 'order.cancelled'`);
      expect(cancelled.rowCount).toBe(0);
    } finally {
      await counting.end();
    }
  });

  it('publishes a batch oldest first, in one claim, and leaves nothing open on its connection', async () => {
    for (let i = 0; i < 5; i++) await enqueueCommitted(`order.step${i}`);
    const { pool: counting, sent } = countingPool();
    const r = relay({ batchSize: 10, pool: counting });
    expect(await r.publishBatch()).toBe(5);
    // Claim (BEGIN + UPDATE … RETURNING in one message) and COMMIT; an empty pass is the same two.
    expect(sent).toEqual(['BEGIN;', 'COMMIT']);
    expect(await r.publishBatch()).toBe(0);
    expect(sent).toHaveLength(4);
    await r.stop();
    await counting.end();
    const conn = raw();
    const entries = await conn.xrange(streamKey(prefix, 'orders'), '-', '+');
    conn.disconnect();
    expect(entries.map(([, f]) => f[f.indexOf('type') + 1])).toEqual(
      [0, 1, 2, 3, 4].map((i) => `order.step${i}`),
    );
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE published_at IS NULL OR attempts <> 1`,
    );
    expect(rows[0].n).toBe(0);
    // The relay's connection went back to the pool outside any transaction.
    const { rows: open } = await pool.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    );
    expect(open[0].n).toBe(0);
  });

  it('publishes each row exactly once when several relays run concurrently', async () => {
    for (let i = 0; i < 60; i++) await enqueueCommitted(`order.e${i}`);
    const relays = [relay({ batchSize: 7 }), relay({ batchSize: 7 }), relay({ batchSize: 7 })];
    // Drive the three relays in parallel until the outbox is empty (bounded number of rounds).
    for (let round = 0; round < 30; round++) {
      const counts = await Promise.all(relays.map((r) => r.publishBatch()));
      if (counts.every((c) => c === 0)) break;
    }
    await Promise.all(relays.map((r) => r.stop()));
    const conn = raw();
    const len = await conn.xlen(streamKey(prefix, 'orders'));
    conn.disconnect();
    expect(len).toBe(60);
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE published_at IS NULL`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('keeps rows unpublished while Redis is unreachable and publishes them once it is back', async () => {
    await enqueueCommitted('order.paid');
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const broken = new OutboxRelay({ pool, redis: down, schema: SCHEMA, prefix });
    await expect(broken.publishBatch()).rejects.toThrow();
    await broken.stop();
    down.disconnect();
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE published_at IS NULL`,
    );
    expect(rows[0].n).toBe(1);
    const r = relay();
    expect(await r.publishBatch()).toBe(1);
    await r.stop();
  });

  it('carries the producer W3C traceparent in the envelope and the consumer handler runs in that trace', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = trace.setSpanContext(context.active(), {
      traceId,
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
    });
    const envelope = await context.with(parent, () => enqueueCommitted('order.paid'));
    expect(envelope.traceparent).toBe(`00-${traceId}-00f067aa0ba902b7-01`);

    await relayOnce();
    let seenTraceId: string | undefined;
    const c = consumer({
      'order.paid': async () => {
        seenTraceId = trace.getActiveSpan()?.spanContext().traceId;
      },
    });
    await c.ensureGroups();
    await c.pollOnce();
    await c.stop();
    expect(seenTraceId).toBe(traceId);
  });
});

describe('stream consumer', () => {
  it('applies the handler in the same transaction as the dedup record and acknowledges after commit', async () => {
    await enqueueCommitted('order.paid');
    await relayOnce();
    const { pool: counting, sent } = countingPool();
    const c = consumer({ 'order.paid': recordEffect }, { pool: counting });
    await c.ensureGroups();
    expect(await c.pollOnce()).toBe(1);
    await c.stop();
    await counting.end();
    expect(await effects()).toEqual(['order.paid']);
    expect(await pendingCount()).toBe(0);
    // BEGIN travels with the dedup claim: one round trip, then the handler's statement and COMMIT.
    expect(sent).toEqual(['BEGIN;', 'INSERT', 'COMMIT']);
  });

  it('treats a redelivered event (same id published twice) as a no-op', async () => {
    await publishTwice('order.paid');
    const c = consumer({ 'order.paid': recordEffect });
    await c.ensureGroups();
    expect(await c.pollOnce()).toBe(2);
    await c.stop();
    expect(await effects()).toEqual(['order.paid']);
  });

  it('leaves deduplication to the handler when dedup is off (idempotent handlers)', async () => {
    await publishTwice('order.paid');
    let calls = 0;
    const c = consumer({ 'order.paid': async () => void calls++ }, { dedup: false });
    await c.ensureGroups();
    expect(await c.pollOnce()).toBe(2);
    await c.stop();
    expect(calls).toBe(2);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.processed_events`);
    expect(rows[0].n).toBe(0);
  });

  it('retries a message whose handler failed, rolling back its partial effects', async () => {
    await enqueueCommitted('order.paid');
    await relayOnce();
    let calls = 0;
    const c = consumer({
      'order.paid': async (e, tx) => {
        calls++;
        await recordEffect(e, tx);
        if (calls === 1) throw new Error('transient');
      },
    });
    await c.ensureGroups();
    await c.pollOnce();
    expect(await effects()).toEqual([]);
    await sleep(80); // > claimIdleMs (50 ms)
    expect(await c.reclaimOnce()).toBe(1);
    await c.stop();
    expect(calls).toBe(2);
    expect(await effects()).toEqual(['order.paid']);
  });

  it('reclaims a message left pending by a dead consumer', async () => {
    await enqueueCommitted('order.paid');
    await relayOnce();
    const live = consumer({ 'order.paid': recordEffect }, { consumerName: 'live' });
    await live.ensureGroups();
    // A consumer that read the message and died before processing it.
    const conn = raw();
    const read = await conn.call(
      'XREADGROUP',
      'GROUP',
      'test-group',
      'dead',
      'COUNT',
      10,
      'STREAMS',
      streamKey(prefix, 'orders'),
      '>',
    );
    expect(read).not.toBeNull();
    expect(await live.pollOnce(10)).toBe(0);
    await sleep(80);
    expect(await live.reclaimOnce()).toBe(1);
    conn.disconnect();
    await live.stop();
    expect(await effects()).toEqual(['order.paid']);
    expect(await pendingCount()).toBe(0);
  });

  it('parks a message in the dead-letter stream after maxDeliveries failures and acknowledges it', async () => {
    const envelope = await enqueueCommitted('order.paid');
    await relayOnce();
    let calls = 0;
    const registry = new Registry();
    const c = consumer(
      {
        'order.paid': async () => {
          calls++;
          throw new Error('always broken');
        },
      },
      { registry },
    );
    await c.ensureGroups();
    await c.pollOnce();
    for (let i = 0; i < 5; i++) {
      await sleep(60);
      await c.reclaimOnce();
    }
    await c.stop();
    expect(calls).toBe(3);
    const conn = raw();
    const dlq = await conn.xrange(deadLetterKey(prefix, 'orders'), '-', '+');
    conn.disconnect();
    expect(dlq).toHaveLength(1);
    const fields = dlq[0]![1];
    expect(fields[fields.indexOf('error') + 1]).toBe('always broken');
    expect(JSON.parse(fields[fields.indexOf('event') + 1]!).id).toBe(envelope.id);
    expect(await pendingCount()).toBe(0);
    const metrics = await registry.getSingleMetricAsString('events_consumed_total');
    expect(metrics).toContain('outcome="dead_lettered"');
  });

  it('dead-letters a message whose envelope is not valid JSON without calling any handler', async () => {
    const c = consumer({ 'order.paid': recordEffect });
    await c.ensureGroups();
    const conn = raw();
    await conn.xadd(streamKey(prefix, 'orders'), '*', 'type', 'order.paid', 'event', '{not json');
    await c.pollOnce();
    const dlq = await conn.xlen(deadLetterKey(prefix, 'orders'));
    conn.disconnect();
    await c.stop();
    expect(dlq).toBe(1);
    expect(await effects()).toEqual([]);
  });

  it('acknowledges events of types it has no handler for', async () => {
    await enqueueCommitted('order.unknown');
    await relayOnce();
    const c = consumer({ 'order.paid': recordEffect });
    await c.ensureGroups();
    expect(await c.pollOnce()).toBe(1);
    await c.stop();
    expect(await pendingCount()).toBe(0);
  });

  it('delivers end to end with the background relay and consumer loops running', async () => {
    const c = consumer({ 'order.paid': recordEffect }, { blockMs: 100 });
    await c.start();
    const r = relay({ pollIntervalMs: 20 });
    r.start();
    await enqueueCommitted('order.paid');
    for (let i = 0; i < 100 && (await effects()).length === 0; i++) await sleep(20);
    await r.stop();
    await c.stop();
    expect(await effects()).toEqual(['order.paid']);
  });
});

describe('stream consumer lanes', () => {
  /** A handler that tracks how many run at once and in which order the given aggregate's events end. */
  function tracked(delayOf: (seq: number) => number) {
    const state = { inFlight: 0, most: 0, done: [] as string[] };
    const handler = async (e: EventEnvelope, tx: pg.PoolClient) => {
      state.inFlight++;
      state.most = Math.max(state.most, state.inFlight);
      await sleep(delayOf(Number(e.data.seq)));
      await recordEffect(e, tx);
      state.done.push(`${e.aggregate_id}#${e.data.seq}`);
      state.inFlight--;
    };
    return { state, handler };
  }

  it('handles the events of different aggregates side by side', async () => {
    for (const agg of ['a', 'b', 'c', 'd']) await fixture.enqueueCommitted('order.paid', { seq: 0 }, agg);
    await relayOnce();
    const { state, handler } = tracked(() => 100);
    const c = consumer({ 'order.paid': handler });
    await c.ensureGroups();
    expect(await c.pollOnce()).toBe(4);
    await c.stop();
    expect(state.most).toBe(4);
    expect(await effects()).toHaveLength(4);
    expect(await pendingCount()).toBe(0);
  });

  it('keeps the events of one aggregate in stream order, one at a time, beside other aggregates', async () => {
    for (let seq = 0; seq < 4; seq++) {
      await fixture.enqueueCommitted('order.paid', { seq }, 'same');
      await fixture.enqueueCommitted('order.paid', { seq }, `other-${seq}`);
    }
    await relayOnce();
    // Earlier events take longer: run side by side, they would finish in reverse order.
    const { state, handler } = tracked((seq) => 80 - 20 * seq);
    const c = consumer({ 'order.paid': handler });
    await c.ensureGroups();
    expect(await c.pollOnce()).toBe(8);
    await c.stop();
    expect(state.done.filter((d) => d.startsWith('same#'))).toEqual(['same#0', 'same#1', 'same#2', 'same#3']);
    expect(state.most).toBeGreaterThan(1);
    expect(await effects()).toHaveLength(8);
  });

  it('handles one message at a time with concurrency 1', async () => {
    for (const agg of ['a', 'b', 'c']) await fixture.enqueueCommitted('order.paid', { seq: 0 }, agg);
    await relayOnce();
    const { state, handler } = tracked(() => 30);
    const c = consumer({ 'order.paid': handler }, { concurrency: 1 });
    await c.ensureGroups();
    expect(await c.pollOnce()).toBe(3);
    await c.stop();
    expect(state.most).toBe(1);
  });
});
