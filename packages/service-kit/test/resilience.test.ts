import { getFreePort } from '@shop/testing';
import { Redis, ReplyError } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { problemFromError } from '../src/errors/problem-details.js';
import {
  backoffDelay,
  ConflictError,
  createBackgroundLoop,
  createOutageLog,
  DependencyUnavailableError,
  dependencyFailureOf,
  ServiceUnavailableError,
  tagDependencyError,
} from '../src/index.js';

/** A pg server error as the driver builds it from an ErrorResponse message. */
function pgServerError(code: string, message: string) {
  const err = new pg.DatabaseError(message, message.length, 'error');
  err.code = code;
  err.severity = 'FATAL';
  return err;
}

function recordingLogger() {
  const lines: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (obj: object, msg = '') =>
      lines.push({ level, msg, obj: obj as Record<string, unknown> });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn') } };
}

describe('dependency failure classification', () => {
  it.each([
    [
      '57P01 admin shutdown',
      pgServerError('57P01', 'terminating connection due to administrator command'),
      'postgres',
      'down',
    ],
    [
      '57P03 starting up',
      pgServerError('57P03', 'the database system is starting up'),
      'postgres',
      'starting',
    ],
    [
      '28P01 wrong password',
      pgServerError('28P01', 'password authentication failed'),
      'postgres',
      'auth_failed',
    ],
    [
      '53300 too many clients',
      pgServerError('53300', 'sorry, too many clients already'),
      'postgres',
      'overloaded',
    ],
    [
      '57014 statement timeout',
      pgServerError('57014', 'canceling statement due to statement timeout'),
      'postgres',
      'timeout',
    ],
    ['a terminated connection', new Error('Connection terminated unexpectedly'), 'postgres', 'down'],
    ['the pool connect timeout', new Error('timeout exceeded when trying to connect'), 'postgres', 'timeout'],
    ['Redis LOADING', new ReplyError('LOADING Redis is loading the dataset in memory'), 'redis', 'starting'],
    ['Redis WRONGPASS', new ReplyError('WRONGPASS invalid username-password pair'), 'redis', 'auth_failed'],
    ['a closed Redis connection', new Error('Connection is closed.'), 'redis', 'down'],
    [
      'DNS failure while the host is gone',
      Object.assign(new Error('getaddrinfo ENOTFOUND postgres'), { code: 'ENOTFOUND' }),
      'dependency',
      'down',
    ],
  ])('classifies %s', (_, err, dependency, reason) => {
    expect(dependencyFailureOf(err)).toEqual({ dependency, reason });
  });

  it('attributes a bare socket error to the client that tagged it, through cause chains', () => {
    const socket = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    tagDependencyError(socket, 'postgres');
    expect(dependencyFailureOf(new Error('saving the order failed', { cause: socket }))).toEqual({
      dependency: 'postgres',
      reason: 'down',
    });
  });

  it('recognises what real clients raise against a closed port', async () => {
    const port = await getFreePort();
    const client = new pg.Client({ host: '127.0.0.1', port, connectionTimeoutMillis: 1000 });
    const pgError = await client.connect().catch((err: unknown) => err);
    expect(dependencyFailureOf(pgError)?.reason).toBe('down');

    const redis = new Redis(`redis://127.0.0.1:${port}`, {
      maxRetriesPerRequest: 1,
      retryStrategy: () => 20,
    });
    redis.on('error', () => {});
    const redisError = await redis.get('x').catch((err: unknown) => err);
    redis.disconnect();
    expect(dependencyFailureOf(redisError)).toEqual({ dependency: 'redis', reason: 'down' });

    const fetchError = await fetch(`http://127.0.0.1:${port}/`).catch((err: unknown) => err);
    expect(dependencyFailureOf(fetchError)).toEqual({ dependency: 'upstream', reason: 'down' });
  });

  it('leaves errors that are not outages alone: constraint violations, bugs, deliberate 4xx', () => {
    expect(dependencyFailureOf(pgServerError('23505', 'duplicate key value'))).toBeUndefined();
    expect(dependencyFailureOf(new TypeError('x is undefined'))).toBeUndefined();
    expect(
      dependencyFailureOf(new ConflictError({ cause: new Error('Connection is closed.') })),
    ).toBeUndefined();
    expect(dependencyFailureOf(new ServiceUnavailableError({ code: 'UPSTREAM.UNAVAILABLE' }))).toEqual({
      dependency: 'upstream',
      reason: 'down',
    });
  });

  it('maps an outage to 503 DEPENDENCY.UNAVAILABLE with Retry-After and a bug to 500', () => {
    const outage = problemFromError(pgServerError('57P03', 'the database system is starting up'), {
      instance: '/api/v1/products',
    });
    expect(outage).toMatchObject({
      status: 503,
      headers: { 'Retry-After': '5' },
      unexpected: false,
      dependency: { dependency: 'postgres', reason: 'starting' },
      body: { status: 503, code: 'DEPENDENCY.UNAVAILABLE', instance: '/api/v1/products' },
    });
    expect(outage.body.detail).not.toContain('starting up');
    expect(
      problemFromError(new DependencyUnavailableError({ dependency: 'redis', reason: 'down' })).status,
    ).toBe(503);
    expect(problemFromError(pgServerError('23505', 'duplicate key value'))).toMatchObject({
      status: 500,
      unexpected: true,
    });
  });
});

describe('outage log', () => {
  it('logs the first failure at warn, repeats at debug, a new cause at warn, and the recovery once', () => {
    const { lines, logger } = recordingLogger();
    let now = 1000;
    const log = createOutageLog(logger, { subject: 'outbox relay', now: () => now });
    const down = new Error('Connection terminated unexpectedly');
    for (let i = 0; i < 5; i++) log.failure(down);
    log.failure(pgServerError('57P03', 'the database system is starting up'));
    now = 4500;
    log.recovered();
    log.recovered();
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'outbox relay failed; retrying with backoff'],
      ['debug', 'outbox relay still failing'],
      ['debug', 'outbox relay still failing'],
      ['debug', 'outbox relay still failing'],
      ['debug', 'outbox relay still failing'],
      ['warn', 'outbox relay failed; retrying with backoff'],
      ['info', 'outbox relay recovered'],
    ]);
    expect(lines[0]!.obj).toMatchObject({ dependency: 'postgres', reason: 'down', failures: 1 });
    expect(lines[0]!.obj).not.toHaveProperty('err');
    expect(lines.at(-1)!.obj).toMatchObject({ failures: 6, outageMs: 3500 });
  });
});

describe('background loop', () => {
  it('doubles its jittered backoff up to the cap', () => {
    expect([1, 2, 3, 4, 10].map((n) => backoffDelay(n, { initialMs: 100, maxMs: 500 }, () => 0))).toEqual([
      50, 100, 200, 250, 250,
    ]);
    expect(backoffDelay(2, { initialMs: 100, maxMs: 500 }, () => 1)).toBe(200);
  });

  it('keeps running through failing rounds, backs off, logs the outage once and resumes', async () => {
    const { lines, logger } = recordingLogger();
    const waits: number[] = [];
    const outcomes = ['fail', 'fail', 'fail', 'ok', 'more', 'ok'];
    let rounds = 0;
    let stop: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const loop = createBackgroundLoop({
      name: 'order expiry sweeper',
      logger,
      intervalMs: 1000,
      backoff: { initialMs: 100, maxMs: 10_000 },
      random: () => 1,
      sleep: async (ms) => {
        waits.push(ms);
      },
      run: async () => {
        const outcome = outcomes[rounds++];
        if (outcome === undefined) {
          stop();
          return new Promise(() => {});
        }
        if (outcome === 'fail') throw new Error('Connection terminated unexpectedly');
        return outcome === 'more';
      },
    });
    loop.start();
    await finished;
    // Three failures back off 100, 200, 400 ms; a success waits the interval; "more" goes again at once.
    expect(waits).toEqual([100, 200, 400, 1000, 1000]);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'order expiry sweeper recovered')).toHaveLength(1);
    expect(loop.running).toBe(true);
  });

  it('stops between rounds without waiting out the interval', async () => {
    const { logger } = recordingLogger();
    let rounds = 0;
    const loop = createBackgroundLoop({
      name: 'relay',
      logger,
      intervalMs: 60_000,
      run: async () => {
        rounds += 1;
      },
    });
    loop.start();
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await loop.stop();
    expect(rounds).toBe(1);
    expect(loop.running).toBe(false);
  });
  it('wake() ends the pause at once, and a wake-up during a round runs the next one without pausing', async () => {
    const { logger } = recordingLogger();
    let rounds = 0;
    let wakeDuringRound = false;
    let loopRef: ReturnType<typeof createBackgroundLoop> | undefined;
    const loop = createBackgroundLoop({
      name: 'relay',
      logger,
      intervalMs: 60_000,
      run: async () => {
        rounds += 1;
        if (wakeDuringRound) {
          wakeDuringRound = false;
          loopRef?.wake();
        }
      },
    });
    loopRef = loop;
    const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
    loop.start();
    await settle();
    expect(rounds).toBe(1);
    loop.wake();
    await settle();
    expect(rounds).toBe(2);
    wakeDuringRound = true;
    loop.wake();
    await settle();
    // The woken round asked for another wake-up: it ran once more, then paused again.
    expect(rounds).toBe(4);
    await settle();
    expect(rounds).toBe(4);
    await loop.stop();
    loop.wake(); // harmless once stopped
    expect(loop.running).toBe(false);
  });

  it('does not cut a backoff pause short on wake()', async () => {
    const { logger } = recordingLogger();
    let rounds = 0;
    const loop = createBackgroundLoop({
      name: 'relay',
      logger,
      intervalMs: 0,
      backoff: { initialMs: 60_000, maxMs: 60_000 },
      run: async () => {
        rounds += 1;
        throw new Error('Connection terminated unexpectedly');
      },
    });
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    loop.wake();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await loop.stop();
    expect(rounds).toBe(1);
  });

  it('shares an outage log with another loop: one outage of a common dependency is one warning', async () => {
    const { lines, logger } = recordingLogger();
    const first = createBackgroundLoop({
      name: 'outbox relay',
      logger,
      intervalMs: 0,
      backoff: { initialMs: 60_000 },
      run: async () => {
        throw new Error('Connection terminated unexpectedly');
      },
    });
    const second = createBackgroundLoop({
      name: 'outbox relay listener',
      logger,
      outage: first.outage,
      intervalMs: 0,
      backoff: { initialMs: 60_000 },
      run: async () => {
        throw new Error('Connection terminated unexpectedly');
      },
    });
    expect(second.outage).toBe(first.outage);
    first.start();
    second.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await Promise.all([first.stop(), second.stop()]);
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      'outbox relay failed; retrying with backoff',
    ]);
    expect(first.outage.failures).toBe(2);
  });

  it('backs off by its own failed rounds when the outage log is shared', async () => {
    const { logger } = recordingLogger();
    const shared = createBackgroundLoop({ name: 'outbox relay', logger, intervalMs: 0, run: async () => {} });
    // Another loop sharing the log has failed many times already.
    for (let i = 0; i < 8; i++) shared.outage.failure(new Error('Connection terminated unexpectedly'));
    const waits: number[] = [];
    let rounds = 0;
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    const loop = createBackgroundLoop({
      name: 'outbox relay',
      logger,
      outage: shared.outage,
      intervalMs: 0,
      backoff: { initialMs: 100, maxMs: 10_000 },
      random: () => 1,
      sleep: async (ms) => {
        waits.push(ms);
      },
      run: async () => {
        rounds += 1;
        if (rounds > 2) {
          done();
          return new Promise(() => {});
        }
        throw new Error('Connection terminated unexpectedly');
      },
    });
    loop.start();
    await finished;
    expect(waits).toEqual([100, 200]);
  });
});
