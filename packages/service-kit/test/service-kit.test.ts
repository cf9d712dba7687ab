import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readinessResponse } from '../src/core/probes.js';
import type { KitClock, ServiceKitOptions } from '../src/core/service-kit.js';
import { createLogger, createServiceKit } from '../src/index.js';

/** A clock whose timers fire only when the test says so. */
function manualClock() {
  let now = 0;
  const timers = new Map<number, { fn: () => void; at: number }>();
  let next = 1;
  const clock: KitClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.set(next, { fn, at: now + ms });
      return next++;
    },
    clearTimeout: (handle) => {
      timers.delete(handle as number);
    },
  };
  return {
    clock,
    pending: () => [...timers.values()].map((t) => t.at),
    advance(ms: number) {
      now += ms;
      for (const [id, timer] of [...timers]) {
        if (timer.at <= now) {
          timers.delete(id);
          timer.fn();
        }
      }
    },
  };
}

function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ name: 'unit', destination, level: 'debug' }) };
}

function testKit(overrides: Partial<ServiceKitOptions> = {}) {
  const exits: number[] = [];
  const { lines, logger } = captureLogs();
  const kit = createServiceKit({
    name: 'unit',
    logger,
    exit: (code) => exits.push(code),
    sleep: async () => {},
    flushTelemetryOnShutdown: false,
    ...overrides,
  });
  return { kit, exits, lines };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('readiness', () => {
  it('is 503 "starting" until the kit is started, then 200', async () => {
    const { kit } = testKit();
    const before = await readinessResponse(kit);
    expect([before.status, JSON.parse(before.body).status]).toEqual([503, 'starting']);
    kit.markStarted();
    const after = await readinessResponse(kit);
    expect([after.status, JSON.parse(after.body).status]).toEqual([200, 'ready']);
  });

  it('fails a check that exceeds its own timeout and names it', async () => {
    const { kit } = testKit();
    kit.markStarted();
    kit.readiness.addCheck('slow-dependency', () => new Promise(() => {}), { timeoutMs: 20 });
    kit.readiness.addCheck('fine', async () => {});
    const response = await readinessResponse(kit);
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body)).toMatchObject({
      status: 'not_ready',
      checks: {
        'slow-dependency': { status: 'down', reason: 'timeout' },
        fine: { status: 'up' },
      },
    });
  });

  it('reports a failing non-critical check without failing readiness', async () => {
    const { kit } = testKit();
    kit.markStarted();
    kit.readiness.addCheck(
      'cache',
      async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:6379'), { code: 'ECONNREFUSED' });
      },
      { critical: false },
    );
    const response = await readinessResponse(kit);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body).checks.cache).toEqual({
      status: 'down',
      critical: false,
      durationMs: expect.any(Number),
      reason: 'down',
    });
    expect(response.body).not.toContain('10.0.0.7');
  });
});

describe('shutdown sequence', () => {
  it('flips readiness, waits the drain delay, runs hooks in reverse order and exits 0', async () => {
    const events: string[] = [];
    const { kit, exits } = testKit({
      shutdown: { delayMs: 250 },
      sleep: async (ms) => {
        events.push(`sleep ${ms} (draining=${kit.isDraining()})`);
      },
    });
    kit.markStarted();
    kit.onShutdown('pool', () => events.push('pool'));
    kit.onShutdown('redis', () => events.push('redis'));
    kit.onShutdown('consumer', () => events.push('consumer'));
    await kit.shutdown('test');
    expect(events).toEqual(['sleep 250 (draining=true)', 'consumer', 'redis', 'pool']);
    expect(exits).toEqual([0]);
    expect((await readinessResponse(kit)).status).toBe(503);
  });

  it('keeps running later hooks when one fails and exits 1', async () => {
    const ran: string[] = [];
    const { kit, exits, lines } = testKit();
    kit.onShutdown('first', () => ran.push('first'));
    kit.onShutdown('broken', () => {
      throw new Error('close failed');
    });
    await kit.shutdown('test');
    expect(ran).toEqual(['first']);
    expect(exits).toEqual([1]);
    expect(lines.some((l) => l.msg === 'shutdown hook failed' && l.hook === 'broken')).toBe(true);
  });

  it('runs only once when triggered twice', async () => {
    let runs = 0;
    const { kit, exits } = testKit();
    kit.onShutdown('count', () => {
      runs += 1;
    });
    await Promise.all([kit.shutdown('a'), kit.shutdown('b')]);
    expect(runs).toBe(1);
    expect(exits).toEqual([0]);
  });

  it('exits 1 at the hard deadline and logs the step and the hooks still pending', async () => {
    const time = manualClock();
    const { kit, exits, lines } = testKit({ clock: time.clock, shutdown: { timeoutMs: 5000 } });
    kit.onShutdown('pool', () => {});
    kit.onShutdown('stuck consumer', () => new Promise(() => {}));
    void kit.shutdown('test');
    await flush();
    expect(exits).toEqual([]);
    time.advance(4999);
    expect(exits).toEqual([]);
    time.advance(1);
    expect(exits).toEqual([1]);
    const log = lines.find((l) => l.msg === 'shutdown deadline exceeded, exiting with code 1');
    expect(log).toMatchObject({
      step: 'hook stuck consumer',
      pendingHooks: ['stuck consumer', 'pool'],
      timeoutMs: 5000,
    });
  });

  it('clears the deadline after a clean shutdown', async () => {
    const time = manualClock();
    const { kit, exits } = testKit({ clock: time.clock, shutdown: { timeoutMs: 5000 } });
    await kit.shutdown('test');
    expect(time.pending()).toEqual([]);
    time.advance(10_000);
    expect(exits).toEqual([0]);
  });
});

describe('signal handling', () => {
  it('starts the shutdown on the first signal and exits 1 at once on the second', async () => {
    const signals = new EventEmitter();
    const { kit, exits, lines } = testKit({ signalSource: signals });
    kit.onShutdown('never ends', () => new Promise(() => {}));
    const uninstall = kit.installSignalHandlers();
    signals.emit('SIGTERM', 'SIGTERM');
    await flush();
    expect(kit.isDraining()).toBe(true);
    expect(exits).toEqual([]);
    signals.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([1]);
    expect(lines.some((l) => l.msg === 'second signal during shutdown, exiting with code 1')).toBe(true);
    uninstall();
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });
});

describe('fault handling', () => {
  it('logs an uncaught exception and an unhandled rejection as fatal and shuts down once, exiting 1', async () => {
    const faults = new EventEmitter();
    const { kit, exits, lines } = testKit({ faultSource: faults });
    const uninstall = kit.installFaultHandlers();
    faults.emit('uncaughtException', new Error('boom in a timer'));
    faults.emit('unhandledRejection', new Error('nobody awaited this'));
    await kit.shutdown('not the reason');
    expect(kit.isDraining()).toBe(true);
    expect(exits).toEqual([1]);
    const fatal = lines.filter((l) => l.level === 'fatal');
    expect(fatal.map((l) => [l.fault, (l.err as { message: string }).message])).toEqual([
      ['uncaughtException', 'boom in a timer'],
      ['unhandledRejection', 'nobody awaited this'],
    ]);
    expect(
      lines.filter((l) => l.msg === 'shutdown started: readiness is now 503').map((l) => l.reason),
    ).toEqual(['uncaughtException']);
    expect(lines.find((l) => l.msg === 'shutdown complete')).toMatchObject({ failed: false, exitCode: 1 });
    uninstall();
    expect(faults.listenerCount('uncaughtException') + faults.listenerCount('unhandledRejection')).toBe(0);
  });
});

describe('readiness logs', () => {
  it('logs a check once when it fails and once when it recovers, not on every probe and not while starting', async () => {
    const { kit, lines } = testKit();
    let up = false;
    kit.readiness.addCheck('postgres', async () => {
      if (!up) throw Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432'), { code: 'ECONNREFUSED' });
    });
    await kit.readiness.report(); // starting: the pool may still be connecting
    kit.markStarted();
    for (let i = 0; i < 3; i++) await kit.readiness.report();
    up = true;
    for (let i = 0; i < 3; i++) await kit.readiness.report();
    const logged = lines.filter((l) => String(l.msg).startsWith('readiness check'));
    expect(logged.map((l) => [l.level, l.msg, l.reason])).toEqual([
      ['warn', 'readiness check failed', 'down'],
      ['info', 'readiness check recovered', undefined],
    ]);
    expect(logged[0]!.error).toContain('10.1.2.3');
  });
});

describe('metrics registry', () => {
  it('keeps one registry per kit so two kits in a process do not share series', async () => {
    const a = testKit().kit;
    const b = testKit().kit;
    a.httpMetrics.observe('get', '/orders/:id', 200, 0.01);
    expect(await a.registry.getSingleMetricAsString('http_requests_total')).toContain('route="/orders/:id"');
    expect(await b.registry.getSingleMetricAsString('http_requests_total')).not.toContain('/orders/:id');
  });

  it('registers business metrics on the kit registry', async () => {
    const { kit } = testKit();
    const counter = kit.metrics.counter({
      name: 'orders_created_total',
      help: 'Orders created',
      labelNames: ['currency'],
    });
    counter.inc({ currency: 'EUR' }, 2);
    expect(await kit.registry.metrics()).toMatch(/orders_created_total\{currency="EUR",service="unit"\} 2/);
  });
});
