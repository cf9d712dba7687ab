// The relay wakes on COMMIT (LISTEN/NOTIFY) instead of waiting for its next poll: with a 10 s poll
// interval a committed event is published within a few hundred milliseconds, a rolled-back one
// wakes nothing, and a LISTEN connection killed on the server is re-established by itself.
import { eventually, type TestEnvironment } from '@shop/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Outbox, OutboxRelay, outboxChannel, streamKey } from '../src/index.js';
import { createEventsTestEnvironment, eventsFixture, recordingLogger } from './support.js';

const SCHEMA = 'evwake';
/** Far beyond every bound below: anything published within them was woken, not polled. */
const POLL_MS = 10_000;
/** How soon a committed event must be on the stream (the poll would take 10 s). */
const WAKE_BOUND_MS = 200;

let env: TestEnvironment;
let pool: pg.Pool;
let redis: Redis;
let prefix: string;
let run = 0;
let fixture: ReturnType<typeof eventsFixture>;
let relay: OutboxRelay | undefined;

beforeAll(async () => {
  env = await createEventsTestEnvironment('events_wakeup', SCHEMA);
  pool = new pg.Pool({ connectionString: env.db.url, max: 4 });
  fixture = eventsFixture(pool, SCHEMA);
  redis = new Redis(env.redisPrefix.url, { keyPrefix: env.redisPrefix.prefix });
});

afterAll(async () => {
  redis?.disconnect();
  await pool?.end();
  await env?.teardown();
});

beforeEach(async () => {
  run++;
  prefix = `${env.redisPrefix.prefix}w${run}:`;
  await fixture.reset();
});

afterEach(async () => {
  await relay?.stop();
  relay = undefined;
});

/** Counts the relay's rounds (each calls publishBatch once). */
function countRounds(r: OutboxRelay): { n: number } {
  const rounds = { n: 0 };
  const publishBatch = r.publishBatch.bind(r);
  r.publishBatch = () => {
    rounds.n += 1;
    return publishBatch();
  };
  return rounds;
}

/** A started relay polling every 10 s, counting its rounds; resolves once it LISTENs and went idle. */
async function startRelay(extra: Partial<ConstructorParameters<typeof OutboxRelay>[0]> = {}) {
  const r = new OutboxRelay({
    pool,
    redis,
    schema: SCHEMA,
    prefix,
    pollIntervalMs: POLL_MS,
    errorBackoffMs: 50,
    maxBackoffMs: 200,
    ...extra,
  });
  const rounds = countRounds(r);
  relay = r;
  r.start();
  await eventually(async () => r.listenerPid !== undefined, { intervalMs: 10 });
  // The first round and the catch-up round after subscribing are done: the relay now sleeps 10 s.
  await idle(rounds);
  return { relay: r, rounds };
}

/** Waits until the round counter stopped moving for 100 ms. */
async function idle(rounds: { n: number }) {
  for (let seen = -1; seen !== rounds.n; ) {
    seen = rounds.n;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function streamLength(): Promise<number> {
  return redis.xlen(streamKey(prefix, 'orders').slice(env.redisPrefix.prefix.length));
}

/** Milliseconds from the COMMIT of one event until it is on the stream. */
async function commitToPublishedMs(type: string): Promise<number> {
  const before = await streamLength();
  const committedAt = performance.now();
  await fixture.enqueueCommitted(type);
  await eventually(async () => (await streamLength()) > before, { intervalMs: 2, attempts: 10_000 });
  return performance.now() - committedAt;
}

describe('outbox relay wake-up on commit', () => {
  it('publishes a committed event at once although the poll interval is 10 s', async () => {
    await startRelay();
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) latencies.push(await commitToPublishedMs(`order.e${i}`));
    latencies.sort((a, b) => a - b);
    // The median, so one stall of a loaded test machine does not decide; every one is far below 10 s.
    expect(latencies[2]).toBeLessThan(WAKE_BOUND_MS);
    expect(latencies[4]).toBeLessThan(POLL_MS / 4);
    expect(await streamLength()).toBe(5);
  });

  it('is woken by commits only: a rolled-back append notifies nobody and publishes nothing', async () => {
    // The notification itself is transactional.
    const listener = new pg.Client({ connectionString: env.db.url });
    await listener.connect();
    const notified: string[] = [];
    listener.on('notification', (n) => notified.push(n.channel));
    await listener.query(`LISTEN "${outboxChannel(SCHEMA)}"`);

    const { rounds } = await startRelay();
    const before = rounds.n;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await new Outbox(SCHEMA).enqueue(client, {
        stream: 'orders',
        type: 'order.rolled_back',
        aggregateId: 'x',
        data: {},
      });
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(rounds.n).toBe(before);
    expect(notified).toEqual([]);
    expect(await streamLength()).toBe(0);

    // Two rows in one transaction: one notification, and both published.
    const tx = await pool.connect();
    try {
      await tx.query('BEGIN');
      for (const type of ['order.a', 'order.b']) {
        await new Outbox(SCHEMA).enqueue(tx, { stream: 'orders', type, aggregateId: 'y', data: {} });
      }
      await tx.query('COMMIT');
    } finally {
      tx.release();
    }
    await eventually(async () => (await streamLength()) === 2, { intervalMs: 10, attempts: 100 });
    await eventually(async () => notified.length > 0, { intervalMs: 10, attempts: 100 });
    await listener.end();
    expect(notified).toEqual([outboxChannel(SCHEMA)]);
    expect(rounds.n).toBeGreaterThan(before);
  });

  it('subscribes again after its LISTEN connection is killed and keeps publishing on commit', async () => {
    const logger = recordingLogger();
    const { relay: r } = await startRelay({ logger });
    const pid = r.listenerPid;
    const { rows } = await pool.query('SELECT pg_terminate_backend($1) AS killed', [pid]);
    expect(rows[0].killed).toBe(true);
    await eventually(async () => r.listenerPid !== undefined && r.listenerPid !== pid, {
      intervalMs: 10,
    });
    expect(await commitToPublishedMs('order.after_kill')).toBeLessThan(POLL_MS / 4);
    // Logged as an outage of the relay and its end, once each.
    expect(logger.messages('warn')).toEqual(['outbox relay failed; retrying with backoff']);
    expect(logger.messages('info')).toEqual(['outbox relay recovered']);
    expect(logger.messages('error')).toEqual([]);
  });

  it('listens where listenConnectionString points (the direct server behind a transaction pooler)', async () => {
    // A pool whose own address cannot carry LISTEN: port 1 refuses every connection.
    const unreachable = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', max: 1 });
    const r = new OutboxRelay({
      pool: unreachable,
      redis,
      schema: SCHEMA,
      prefix,
      pollIntervalMs: POLL_MS,
      listenConnectionString: env.db.url,
    });
    relay = r;
    r.start();
    await eventually(async () => r.listenerPid !== undefined, { intervalMs: 10 });
    const { rows } = await pool.query('SELECT datname FROM pg_stat_activity WHERE pid = $1', [r.listenerPid]);
    expect(rows[0].datname).toBe(new URL(env.db.url).pathname.slice(1));
    await r.stop();
    relay = undefined;
    await unreachable.end();
  });

  it('does not listen with listen: false (poll only)', async () => {
    const r = new OutboxRelay({
      pool,
      redis,
      schema: SCHEMA,
      prefix,
      pollIntervalMs: POLL_MS,
      listen: false,
    });
    relay = r;
    r.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(r.listenerPid).toBeUndefined();
  });

  it('polls at pollIntervalMs only while nobody listens; while subscribed, at listeningPollIntervalMs', async () => {
    // A 50 ms poll: about 20 rounds a second without a listener, none beyond the wake-ups with one.
    const { rounds } = await startRelay({ pollIntervalMs: 50, listeningPollIntervalMs: 60_000 });
    const before = rounds.n;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(rounds.n - before).toBe(0);

    await relay!.stop();
    const polling = new OutboxRelay({
      pool,
      redis,
      schema: SCHEMA,
      prefix,
      pollIntervalMs: 50,
      listen: false,
    });
    const counted = countRounds(polling);
    relay = polling;
    polling.start();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(counted.n).toBeGreaterThanOrEqual(8);
  });
});
