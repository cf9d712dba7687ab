// Query, pool checkout, Redis command, fetch and node:http client spans are built only inside a recording span:
// the real pg, ioredis, undici and http instrumentations as the kit configures them (their patches called the way
// they are installed on pg.Client#query, pg.Pool#connect and Redis#sendCommand; fetch for real), with a real
// SDK tracer provider exporting to memory.
import { EventEmitter } from 'node:events';
import http, { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadInstrumentations } from '../src/telemetry/telemetry.js';

type Fn = (...args: unknown[]) => unknown;
type Factory = (...args: unknown[]) => (original: Fn) => Fn;

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({
  sampler: new AlwaysOnSampler(),
  spanProcessors: [new SimpleSpanProcessor({ exporter })],
});
const contextManager = new AsyncLocalStorageContextManager();
let instrumentations: Instrumentation[];

beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  instrumentations = await loadInstrumentations();
  for (const i of instrumentations) i.setTracerProvider(provider);
});
afterEach(() => exporter.reset());
afterAll(() => {
  context.disable();
  propagation.disable();
  contextManager.disable();
});

const byName = (name: string) => {
  const found = instrumentations.find((i) => i.instrumentationName.endsWith(name));
  if (!found) throw new Error(`no ${name} instrumentation`);
  return found as unknown as Record<string, Factory>;
};

/** A request the head sampler dropped: its span context is in the context, not sampled, not recording. */
const dropped = trace.setSpan(
  ROOT_CONTEXT,
  trace.wrapSpanContext({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.NONE,
    isRemote: false,
  }),
);

/**
 * One outgoing call (`send`, under the given context) to a server that records the traceparent it got:
 * under the dropped request no span and the caller's own context go out; under a recorded span the call
 * gets a CLIENT span, a child of it, whose context is what the server sees.
 */
async function expectClientSpanOnlyWhenRecording(
  send: (url: URL, ctx: typeof ROOT_CONTEXT) => Promise<unknown>,
) {
  const seen: Array<string | undefined> = [];
  const server = createServer((req, res) => {
    seen.push(req.headers.traceparent as string | undefined);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/internal/v1/reservations`);
  try {
    await context.with(dropped, () => send(url, dropped));
    // The callee continues the caller's trace, unsampled, with the dropped span as its parent.
    expect(seen[0]).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00');
    await provider.forceFlush();
    expect(exporter.getFinishedSpans()).toEqual([]);

    const span = provider.getTracer('test').startSpan('POST /api/v1/orders');
    const recorded = trace.setSpan(ROOT_CONTEXT, span);
    await context.with(recorded, () => send(url, recorded));
    span.end();
    await provider.forceFlush();
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [s.name, s.kind])).toEqual([
      ['POST', SpanKind.CLIENT],
      ['POST /api/v1/orders', SpanKind.INTERNAL],
    ]);
    const client = spans[0]!;
    expect(client.parentSpanContext?.spanId).toBe(span.spanContext().spanId);
    expect(seen[1]).toBe(`00-${client.spanContext().traceId}-${client.spanContext().spanId}-01`);
  } finally {
    server.close();
  }
}

describe('leaf spans (pg queries and checkouts, Redis commands, fetch calls) only under a recording span', () => {
  it('ioredis: a command under a dropped request goes straight to sendCommand; under a recorded one it gets its span', async () => {
    const installed = byName('ioredis')._patchSendCommand!('5.8.0');
    const sent: unknown[] = [];
    const sendCommand = installed!(function (this: unknown, cmd: unknown) {
      sent.push(cmd);
      return 'queued';
    });
    const resolve = (_result?: unknown) => {};
    const command = () => ({ name: 'get', args: ['product:v1:1'], resolve, reject: resolve });
    const redis = { options: { host: '127.0.0.1', port: 6379 } };

    const plain = command();
    expect(context.with(dropped, () => sendCommand.call(redis, plain))).toBe('queued');
    expect(sent).toEqual([plain]);
    // Not traced: the instrumentation would have replaced the command's callbacks to end its span.
    expect(plain.resolve).toBe(resolve);
    expect(context.with(ROOT_CONTEXT, () => sendCommand.call(redis, command()))).toBe('queued');

    const span = provider.getTracer('test').startSpan('GET /api/v1/products/:id');
    const traced = command();
    context.with(trace.setSpan(ROOT_CONTEXT, span), () => sendCommand.call(redis, traced));
    expect(traced.resolve).not.toBe(resolve);
    traced.resolve('bytes');
    span.end();
    await provider.forceFlush();
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['get', 'GET /api/v1/products/:id']);
    expect(spans[0]!.parentSpanContext?.spanId).toBe(span.spanContext().spanId);
  });

  it('pg: a query under a dropped request goes straight to Client#query; under a recorded one it gets its span', async () => {
    const installed = byName('pg')._getClientQueryPatch!();
    const calls: unknown[][] = [];
    const query = installed!(function (this: unknown, ...args: unknown[]) {
      calls.push(args);
      return Promise.resolve({ rows: [], rowCount: 0, command: 'SELECT' });
    });
    const client = {
      connectionParameters: { database: 'shop', host: '127.0.0.1', port: 5432, user: 'shop' },
    };

    await context.with(dropped, () => query.call(client, 'SELECT 1'));
    expect(calls).toEqual([['SELECT 1']]);
    await provider.forceFlush();
    expect(exporter.getFinishedSpans()).toEqual([]);

    const span = provider.getTracer('test').startSpan('POST /api/v1/orders');
    await context.with(trace.setSpan(ROOT_CONTEXT, span), () => query.call(client, 'SELECT 2'));
    span.end();
    await provider.forceFlush();
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(2);
    expect(spans[0]!.parentSpanContext?.spanId).toBe(span.spanContext().spanId);
    expect(spans[0]!.attributes['db.query.text'] ?? spans[0]!.attributes['db.statement']).toBe('SELECT 2');
  });

  it('pg: a pool checkout under a dropped request is Pool#connect itself; under a recorded one it gets its pg-pool.connect span, and no pool listeners either way', async () => {
    const installed = byName('pg')._getPoolConnectPatch!();
    let connects = 0;
    const connect = installed!(function (this: unknown) {
      connects += 1;
      return Promise.resolve({ release() {} });
    });
    const pool = new EventEmitter() as EventEmitter & { options: Record<string, unknown> };
    pool.options = { database: 'shop', host: '127.0.0.1', port: 5432, user: 'shop', max: 20 };

    await context.with(dropped, () => connect.call(pool));
    expect(connects).toBe(1);
    await provider.forceFlush();
    expect(exporter.getFinishedSpans()).toEqual([]);

    const span = provider.getTracer('test').startSpan('POST /api/v1/orders');
    await context.with(trace.setSpan(ROOT_CONTEXT, span), () => connect.call(pool));
    span.end();
    await provider.forceFlush();
    expect(connects).toBe(2);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual([
      'pg-pool.connect',
      'POST /api/v1/orders',
    ]);
    // The instrumentation's OpenTelemetry pool metrics (no MeterProvider: no-op instruments) are off.
    for (const event of ['connect', 'acquire', 'remove', 'release'])
      expect(pool.listenerCount(event)).toBe(0);
  });

  it('undici (fetch): under a dropped request only the trace context goes out; under a recorded one the call gets its CLIENT span', async () => {
    await expectClientSpanOnlyWhenRecording(async (url) =>
      (await fetch(url, { method: 'POST', body: '{}' })).text(),
    );
  });

  it('node:http (the kit client): under a dropped request the call is http.request itself, the caller’s context untouched; under a recorded one it gets its CLIENT span, whose context replaces it', async () => {
    // The patch as the instrumentation installs it on http.request.
    const patched = byName('http')._getPatchOutgoingRequestFunction!('http')(
      http.request as unknown as Fn,
    ) as (...args: unknown[]) => http.ClientRequest;
    await expectClientSpanOnlyWhenRecording(
      (url, ctx) =>
        new Promise<void>((resolve, reject) => {
          // What the kit client writes into every request: the caller's context.
          const headers: Record<string, string> = {};
          propagation.inject(ctx, headers);
          const req = patched(url, { method: 'POST', headers }, (res: http.IncomingMessage) => {
            res.resume();
            res.on('end', resolve);
          });
          req.on('error', reject);
          req.end('{}');
        }),
    );
  });
});
