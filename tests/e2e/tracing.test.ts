// Tracing as the images run it: every service started from its bundle (the Dockerfile's CMD), exporting
// OTLP/HTTP JSON to a collector stand-in on loopback. A bundle that inlined an instrumented package (pg,
// ioredis, @grpc/grpc-js) would still serve every request, and its spans would silently disappear: this
// checks that one sampled checkout arrives with the spans of each instrumentation, in one trace.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually } from './support/client.js';
import { SERVICES, type Stack, seedCatalog, startStack } from './support/stack.js';

interface ReceivedSpan {
  service: string;
  scope: string;
  traceId: string;
  kind: number;
  name: string;
}

let stack: Stack;
let collector: Server;
const received: ReceivedSpan[] = [];
const PASSWORD = 'correct horse battery staple';

async function startCollector(): Promise<string> {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const rs of body.resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a: { key: string }) => a.key === 'service.name')
            ?.value?.stringValue;
          for (const ss of rs.scopeSpans ?? []) {
            for (const span of ss.spans ?? []) {
              received.push({
                service,
                scope: ss.scope?.name ?? '',
                traceId: span.traceId,
                kind: span.kind,
                name: span.name,
              });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  const endpoint = await startCollector();
  const otlp = {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
  stack = await startStack({
    orderTtlSeconds: 60,
    env: Object.fromEntries(
      SERVICES.map((name) => [name, { ...otlp, OTEL_SERVICE_NAME: `${name}-service` }]),
    ),
  });
  await seedCatalog(stack);
});

afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => collector?.close(resolve));
});

describe('tracing from the bundled services', () => {
  it('one sampled checkout exports server, HTTP client, gRPC, PostgreSQL and Redis spans in one trace', async () => {
    const username = `trace_${Date.now().toString(36)}`;
    const reg = await api(stack.url('user'), 'POST', '/api/v1/users', {
      body: { username, email: `${username}@example.com`, password: PASSWORD },
    });
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    const login = await api(stack.url('user'), 'POST', '/api/v1/users/login', {
      body: { username, password: PASSWORD },
    });
    expect(login.status).toBe(200);

    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;
    // Read twice: the first read fills the cache from PostgreSQL, the second is a Redis GET.
    for (let i = 0; i < 2; i++) {
      const read = await api(stack.url('product'), 'GET', '/api/v1/products/1', { headers: { traceparent } });
      expect(read.status).toBe(200);
    }
    const placed = await api(stack.url('order'), 'POST', '/api/v1/orders', {
      token: login.body.access_token,
      body: { product_id: 1, quantity: 1 },
      headers: { traceparent },
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);

    const SERVER = 2;
    const expected: Array<{ service: string; scope?: string; kind?: number }> = [
      { service: 'product-service', scope: '@opentelemetry/instrumentation-pg' },
      { service: 'product-service', scope: '@opentelemetry/instrumentation-ioredis' },
      { service: 'order-service', scope: '@opentelemetry/instrumentation-pg' },
      // order → user: the access token checked over gRPC (client and server side).
      { service: 'order-service', scope: '@opentelemetry/instrumentation-grpc' },
      { service: 'user-service', scope: '@opentelemetry/instrumentation-grpc' },
      // order → product (the reservation) and order → payment: outgoing HTTP through the kit's client
      // (node:http).
      { service: 'order-service', scope: '@opentelemetry/instrumentation-http' },
      { service: 'payment-service', scope: '@opentelemetry/instrumentation-pg' },
      // A server span in every service the checkout reached: the kit's for HTTP, the gRPC
      // instrumentation's for the user service. A parent ends after its children, so it may arrive in a
      // later export than they do.
      ...['order-service', 'payment-service', 'product-service', 'user-service'].map((service) => ({
        service,
        kind: SERVER,
      })),
    ];
    const missing = () =>
      expected.filter(
        (e) =>
          !received.some(
            (s) =>
              s.traceId === traceId &&
              s.service === e.service &&
              (e.scope === undefined || s.scope === e.scope) &&
              (e.kind === undefined || s.kind === e.kind),
          ),
      );
    await eventually(
      async () => (missing().length === 0 ? true : undefined),
      'the spans of every instrumentation',
      15_000,
    ).catch((err) => {
      throw new Error(
        `${err}\nmissing: ${JSON.stringify(missing())}\nreceived: ${JSON.stringify(received.filter((s) => s.traceId === traceId).map((s) => `${s.service} ${s.scope} ${s.kind} ${s.name}`))}`,
      );
    });
    expect(missing()).toEqual([]);
  });
});
