// The relay and the consumer against PostgreSQL and Redis behind TCP proxies that the tests cut
// while the loops run: nothing may crash the (test) process, nothing may be lost or dead-lettered,
// each outage is logged once, and the loops resume on their own when the dependency returns.
import type { EventEnvelope } from '@shop/contracts';
import { guardPgPool } from '@shop/service-kit';
import { eventually, startTcpProxy, type TcpProxy, type TestEnvironment } from '@shop/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type EventsLogger, OutboxRelay, StreamConsumer, streamKey } from '../src/index.js';
import { createEventsTestEnvironment, eventsFixture, recordingLogger } from './support.js';

const SCHEMA = 'evoutage';
let env: TestEnvironment;
let direct: pg.Pool;
let pgProxy: TcpProxy;
let redisProxy: TcpProxy;
let proxiedPool: pg.Pool;
let proxiedRedis: Redis;
let prefix: string;
let run = 0;

let fixture: ReturnType<typeof eventsFixture>;

beforeAll(async () => {
  env = await createEventsTestEnvironment('events_outage', SCHEMA);
  direct = new pg.Pool({ connectionString: env.db.url, max: 4 });
  fixture = eventsFixture(direct, SCHEMA);
  pgProxy = await startTcpProxy({ port: Number(new URL(env.db.url).port || 5432) });
  redisProxy = await startTcpProxy({ port: Number(new URL(env.redisPrefix.url).port || 6379) });
  const url = new URL(env.db.url);
  url.host = `127.0.0.1:${pgProxy.port}`;
  // What a service hands the package: a guarded pool with a short connect timeout.
  proxiedPool = guardPgPool(
    new pg.Pool({ connectionString: url.toString(), max: 4, connectionTimeoutMillis: 500 }),
  );
  proxiedRedis = new Redis(`redis://127.0.0.1:${redisProxy.port}`, {
    keyPrefix: env.redisPrefix.prefix,
    maxRetriesPerRequest: 2,
    retryStrategy: (times) => Math.min(times * 50, 200),
  });
  proxiedRedis.on('error', () => {});
});

afterAll(async () => {
  proxiedRedis?.disconnect();
  await proxiedPool?.end();
  await direct?.end();
  await pgProxy?.close();
  await redisProxy?.close();
  await env?.teardown();
});

beforeEach(async () => {
  run++;
  prefix = `${env.redisPrefix.prefix}o${run}:`;
  await fixture.reset();
});

afterEach(async () => {
  await pgProxy.start();
  await redisProxy.start();
});

const enqueue = (type: string) => fixture.enqueueCommitted(type);

async function unpublished(): Promise<number> {
  const { rows } = await direct.query(
    `SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE published_at IS NULL`,
  );
  return rows[0].n;
}

const effects = () => fixture.effects();

const raw = () => new Redis(env.redisPrefix.url);

/** A relay on the proxied pool and Redis client, polling fast and backing off briefly. */
function startRelay(logger: EventsLogger): OutboxRelay {
  const relay = new OutboxRelay({
    pool: proxiedPool,
    redis: proxiedRedis,
    schema: SCHEMA,
    prefix,
    pollIntervalMs: 20,
    errorBackoffMs: 20,
    maxBackoffMs: 100,
    logger,
  });
  relay.start();
  return relay;
}

describe('outbox relay during outages', () => {
  it('keeps running through a PostgreSQL outage, logs it once and publishes everything after it', async () => {
    const logger = recordingLogger();
    const relay = startRelay(logger);
    await enqueue('order.paid');
    await eventually(async () => (await unpublished()) === 0);

    await pgProxy.stop();
    await enqueue('order.cancelled');
    await enqueue('order.expired');
    await eventually(async () => logger.messages('warn').length > 0);
    // Several failed rounds while it is down, still one warning.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await unpublished()).toBe(2);

    await pgProxy.start();
    await eventually(async () => (await unpublished()) === 0);
    await relay.stop();
    expect(logger.messages('warn')).toEqual(['outbox relay failed; retrying with backoff']);
    expect(logger.messages('info')).toEqual(['outbox relay recovered']);
    const conn = raw();
    const published = await conn.xlen(streamKey(prefix, 'orders'));
    conn.disconnect();
    expect(published).toBe(3);
  });

  it('keeps the rows while Redis is cut mid-loop and publishes them once it is back', async () => {
    const logger = recordingLogger();
    const relay = startRelay(logger);
    await redisProxy.stop();
    await enqueue('order.paid');
    await eventually(async () => logger.messages('warn').length > 0);
    expect(await unpublished()).toBe(1);
    await redisProxy.start();
    await eventually(async () => (await unpublished()) === 0);
    await relay.stop();
    expect(logger.messages('warn')).toHaveLength(1);
  });
});

describe('stream consumer during outages', () => {
  function consumer(
    handlers: Record<string, (e: EventEnvelope, tx: pg.PoolClient) => Promise<void>>,
    logger: EventsLogger,
    extra: Partial<ConstructorParameters<typeof StreamConsumer>[0]> = {},
  ) {
    return new StreamConsumer({
      pool: proxiedPool,
      redis: proxiedRedis,
      schema: SCHEMA,
      prefix,
      group: 'outage-group',
      streams: ['orders'],
      handlers,
      blockMs: 50,
      claimIdleMs: 60_000,
      reclaimIntervalMs: 60_000,
      maxDeliveries: 2,
      maxBackoffMs: 100,
      logger,
      ...extra,
    });
  }

  async function publish(type: string) {
    const envelope = await enqueue(type);
    const relay = new OutboxRelay({ pool: direct, redis: raw(), schema: SCHEMA, prefix });
    await relay.publishBatch();
    await relay.stop();
    return envelope;
  }

  it('retries the event in hand when PostgreSQL is cut under its transaction: applied once, never dead-lettered', async () => {
    const logger = recordingLogger();
    let calls = 0;
    let entered: () => void = () => {};
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const c = consumer(
      {
        'order.paid': async (e, tx) => {
          calls++;
          if (calls === 1) {
            entered();
            await released;
          }
          await fixture.recordEffect(e, tx);
        },
      },
      logger,
    );
    await c.start();
    await publish('order.paid');
    await inHandler;
    await pgProxy.stop();
    release();
    await eventually(async () => logger.messages('warn').length > 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await pgProxy.start();
    await eventually(async () => (await effects()).length === 1);
    await eventually(async () => {
      const conn = raw();
      const pending = (await conn.xpending(streamKey(prefix, 'orders'), 'outage-group')) as [number];
      conn.disconnect();
      return pending[0] === 0;
    });
    await c.stop();
    expect(await effects()).toEqual(['order.paid']);
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(logger.messages('warn')).toEqual(['stream consumer failed; retrying with backoff']);
    expect(logger.messages('error')).toEqual([]); // no dead letter
    const conn = raw();
    expect(await conn.exists(`${streamKey(prefix, 'orders')}:dlq`)).toBe(0);
    conn.disconnect();
  });

  it('starts while Redis is unreachable, keeps trying, and consumes once Redis is back', async () => {
    await redisProxy.stop();
    const logger = recordingLogger();
    const c = consumer({ 'order.paid': fixture.recordEffect }, logger);
    await c.start();
    await publish('order.paid');
    await eventually(async () => logger.messages('warn').length > 0);
    await redisProxy.start();
    await eventually(async () => (await effects()).length === 1);
    await c.stop();
    expect(logger.messages('info')).toContain('stream consumer recovered');
  });

  it('recreates its consumer group when Redis lost the stream (a restart without persistence)', async () => {
    const logger = recordingLogger();
    const c = consumer(
      { 'order.paid': fixture.recordEffect, 'order.cancelled': fixture.recordEffect },
      logger,
    );
    await c.start();
    await publish('order.paid');
    await eventually(async () => (await effects()).length === 1);
    const conn = raw();
    await conn.del(streamKey(prefix, 'orders'));
    conn.disconnect();
    // The next event recreates the stream, but not the group the consumer reads with.
    await publish('order.cancelled');
    await eventually(async () => (await effects()).length === 2);
    await c.stop();
    expect(await effects()).toEqual(['order.cancelled', 'order.paid']);
  });
});
