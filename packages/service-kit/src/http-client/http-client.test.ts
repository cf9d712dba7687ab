import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, type TextMapPropagator, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '../errors/domain-errors.js';
import { createHttpClient, type HttpClient, nodeHttpTransport, type Transport } from './http-client.js';

// Minimal W3C propagator so the test observes exactly what the client injects.
const w3c: TextMapPropagator = {
  inject(ctx, carrier, setter) {
    const sc = trace.getSpanContext(ctx);
    if (sc) setter.set(carrier, 'traceparent', `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags}`);
  },
  extract: (ctx) => ctx,
  fields: () => ['traceparent'],
};

type Behaviour = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

interface TestServer {
  url: string;
  hits: number;
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[];
  behave(fn: Behaviour): void;
  close(): Promise<void>;
}

async function startServer(): Promise<TestServer> {
  let behaviour: Behaviour = (_req, res) => res.end();
  const state: TestServer = {
    url: '',
    hits: 0,
    requests: [],
    behave(fn) {
      behaviour = fn;
    },
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      state.hits++;
      state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      behaviour(req, res, body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

const json = (res: http.ServerResponse, status: number, body: unknown, type = 'application/json') => {
  res.writeHead(status, { 'content-type': type });
  res.end(JSON.stringify(body));
};

let server: TestServer;
const clients: HttpClient[] = [];
const noSleep = async () => {};

function client(opts: Partial<Parameters<typeof createHttpClient>[1]> = {}, registry = new Registry()) {
  const c = createHttpClient(
    { registry },
    { name: 'upstream', baseUrl: server.url, timeoutMs: 500, retries: 2, sleep: noSleep, ...opts },
  );
  clients.push(c);
  return c;
}

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(w3c);
});
afterAll(() => {
  context.disable();
  propagation.disable();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
});

describe('createHttpClient', () => {
  it('sends JSON with default headers and parses JSON and problem+json answers', async () => {
    server = await startServer();
    server.behave((req, res, body) =>
      req.url === '/missing'
        ? json(res, 404, { title: 'Not Found', code: 'X.NOT_FOUND' }, 'application/problem+json')
        : json(res, 201, { echo: JSON.parse(body) }),
    );
    const c = client({ headers: { 'X-Internal-Token': 'secret' } });
    const ok = await c.request<{ echo: unknown }>({ method: 'POST', path: '/things', body: { a: 1 } });
    expect(ok.status).toBe(201);
    expect(ok.body.echo).toEqual({ a: 1 });
    expect(server.requests[0]!.headers['x-internal-token']).toBe('secret');
    expect(server.requests[0]!.headers['content-type']).toBe('application/json');
    const missing = await c.request<{ code: string }>({ method: 'GET', path: '/missing' });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('X.NOT_FOUND');
  });

  it('propagates the active W3C trace context in a traceparent header', async () => {
    server = await startServer();
    server.behave((_req, res) => json(res, 200, {}));
    const ctx = trace.setSpanContext(context.active(), {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
    });
    await context.with(ctx, () => client().request({ method: 'GET', path: '/' }));
    expect(server.requests[0]!.headers.traceparent).toBe(
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    );
  });

  it('retries an idempotent GET after a 503 and returns the later success', async () => {
    server = await startServer();
    server.behave((_req, res) => (server.hits === 1 ? json(res, 503, {}) : json(res, 200, { ok: true })));
    const res = await client().request<{ ok: boolean }>({ method: 'GET', path: '/x' });
    expect(res.body.ok).toBe(true);
    expect(server.hits).toBe(2);
  });

  it('never retries a POST without an Idempotency-Key', async () => {
    server = await startServer();
    server.behave((_req, res) => json(res, 503, { title: 'down' }));
    const res = await client().request({ method: 'POST', path: '/orders', body: {} });
    expect(res.status).toBe(503);
    expect(server.hits).toBe(1);
  });

  it('retries a POST without a key after a 503 SERVICE.DRAINING (answered before any work)', async () => {
    server = await startServer();
    server.behave((_req, res) =>
      server.hits === 1
        ? json(res, 503, { code: 'SERVICE.DRAINING', title: 'Service draining' })
        : json(res, 201, { ok: true }),
    );
    const res = await client().request({ method: 'POST', path: '/orders', body: {} });
    expect(res.status).toBe(201);
    expect(server.hits).toBe(2);
  });

  it('retries a POST without a key after a refused connection (nothing was sent)', async () => {
    server = await startServer();
    server.behave((_req, res) => json(res, 201, { ok: true }));
    let calls = 0;
    // node:http's own error for a refused connection.
    const refusingOnce: Transport = (url, init) => {
      calls++;
      if (calls === 1)
        return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      return nodeHttpTransport(url, init);
    };
    const res = await client({ transport: refusingOnce }).request({
      method: 'POST',
      path: '/orders',
      body: {},
    });
    expect(res.status).toBe(201);
    expect(calls).toBe(2);
    expect(server.hits).toBe(1);
  });

  it('does not retry a POST without a key after a connection reset (it may have been processed)', async () => {
    server = await startServer();
    server.behave((req) => req.socket.destroy());
    const err = await client()
      .request({ method: 'POST', path: '/orders', body: {} })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect(server.hits).toBe(1);
  });

  it('retries a POST that carries an Idempotency-Key, up to SERVICE_RETRY extra attempts', async () => {
    server = await startServer();
    server.behave((_req, res) => json(res, 502, {}));
    const res = await client({ retries: 3 }).request({
      method: 'POST',
      path: '/payments',
      body: {},
      headers: { 'Idempotency-Key': 'order-1' },
    });
    expect(res.status).toBe(502);
    expect(server.hits).toBe(4);
  });

  it('waits a full-jitter delay between attempts, bounded by the exponential cap', async () => {
    server = await startServer();
    server.behave((_req, res) => json(res, 503, {}));
    const delays: number[] = [];
    await client({
      retries: 4,
      retryBaseDelayMs: 100,
      retryMaxDelayMs: 300,
      random: () => 0.5,
      sleep: async (ms) => {
        delays.push(ms);
      },
    }).request({ method: 'GET', path: '/' });
    // random 0.5 × min(300, 100·2^(n-1)) for n = 1..4
    expect(delays).toEqual([50, 100, 150, 150]);
  });

  it('turns a timeout into a 503 ServiceUnavailableError after the retries', async () => {
    server = await startServer();
    server.behave((_req, res) => {
      setTimeout(() => json(res, 200, {}), 300);
    });
    const err = await client({ timeoutMs: 30, retries: 1 })
      .request({ method: 'GET', path: '/slow' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect(err.status).toBe(503);
    expect(err.code).toBe('UPSTREAM.UNAVAILABLE');
    expect(server.hits).toBe(2);
  });

  it('turns a refused connection into a 503 ServiceUnavailableError', async () => {
    server = await startServer();
    const url = server.url;
    await server.close();
    server = { ...server, close: async () => {} };
    const err = await client({ baseUrl: url, retries: 0 })
      .request({ method: 'GET', path: '/' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
  });

  it('opens the circuit after repeated failures, fails fast without calling the upstream, and closes after a successful trial', async () => {
    server = await startServer();
    let healthy = false;
    server.behave((_req, res) => (healthy ? json(res, 200, { ok: true }) : json(res, 500, {})));
    const registry = new Registry();
    const c = client({ retries: 0, breaker: { volumeThreshold: 3, resetTimeoutMs: 60 } }, registry);
    for (let i = 0; i < 3; i++) expect((await c.request({ method: 'GET', path: '/' })).status).toBe(500);
    expect(c.circuitState()).toBe('open');
    const hitsWhenOpen = server.hits;
    const err = await c.request({ method: 'GET', path: '/' }).catch((e) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect(err.code).toBe('UPSTREAM.CIRCUIT_OPEN');
    expect(server.hits).toBe(hitsWhenOpen);

    healthy = true;
    await new Promise((r) => setTimeout(r, 90)); // > resetTimeoutMs: half-open
    expect(c.circuitState()).toBe('half_open');
    expect((await c.request({ method: 'GET', path: '/' })).status).toBe(200);
    expect(c.circuitState()).toBe('closed');
    const text = await registry.metrics();
    expect(text).toContain(
      'http_client_requests_total{upstream="upstream",method="GET",status="circuit_open"} 1',
    );
  });

  it('counts requests per upstream, method and status on the kit registry', async () => {
    server = await startServer();
    server.behave((_req, res) => json(res, 200, {}));
    const registry = new Registry();
    await client({ name: 'product' }, registry).request({ method: 'GET', path: '/' });
    await client({ name: 'payment' }, registry).request({ method: 'GET', path: '/' });
    const text = await registry.metrics();
    expect(text).toContain('http_client_requests_total{upstream="product",method="GET",status="200"} 1');
    expect(text).toContain('http_client_requests_total{upstream="payment",method="GET",status="200"} 1');
    expect(text).toContain(
      'http_client_request_duration_seconds_count{upstream="product",method="GET",status="200"} 1',
    );
  });
});
