import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getFreePort, stopAllServiceProcesses } from '@shop/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adapters, byMessage, startFixture } from './helpers/fixture-process.js';
import { httpRequest } from './helpers/http-client.js';

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: number | string };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  name: string;
  kind: number;
  attributes: OtlpAttribute[];
}
interface ExportedSpan extends OtlpSpan {
  serviceName: string | undefined;
}

/** A minimal OTLP/HTTP JSON collector on 127.0.0.1 that keeps every exported span. */
function startCollector() {
  const spans: ExportedSpan[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const payload = JSON.parse(body) as {
          resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
        };
        for (const rs of payload.resourceSpans) {
          const serviceName = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
          for (const ss of rs.scopeSpans) for (const span of ss.spans) spans.push({ ...span, serviceName });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise<{ url: string; spans: ExportedSpan[]; close: () => Promise<void> }>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        spans,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

const attr = (span: OtlpSpan, key: string) => span.attributes.find((a) => a.key === key)?.value.stringValue;

let collector: Awaited<ReturnType<typeof startCollector>>;
beforeAll(async () => {
  collector = await startCollector();
});
afterEach(async () => {
  await stopAllServiceProcesses();
  collector.spans.length = 0;
});
afterAll(async () => {
  await collector.close();
});

const telemetryEntry = './src/telemetry/register.ts';

/**
 * The fixture with the telemetry entry exporting OTLP/JSON to the collector; the long batch delay means
 * only the shutdown flush can deliver the spans in time.
 */
function startTraced(adapter: (typeof adapters)[number], env: Record<string, string>) {
  return startFixture(
    adapter,
    {
      OTEL_SDK_DISABLED: 'false',
      OTEL_SERVICE_NAME: `kit-${adapter}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '60000',
      ...env,
    },
    // Loading the SDK under tsx takes seconds on a busy machine.
    { imports: [telemetryEntry], startTimeoutMs: 45_000 },
  );
}

describe.each(adapters)('telemetry entry (%s adapter, real process)', (adapter) => {
  it('exports request spans over OTLP, puts their trace ids on log lines and flushes on shutdown', {
    timeout: 60_000,
  }, async () => {
    // Every request traced (the shipped default keeps 10 % of new traces; see sampler.test.ts).
    const app = await startTraced(adapter, { OTEL_TRACES_SAMPLER: 'parentbased_always_on' });
    expect((await httpRequest(`${app.url}/items/42`)).status).toBe(200);
    expect((await httpRequest(`${app.url}/missing-item`)).status).toBe(404);
    const rejected = await app.waitForLog(byMessage('request rejected'));
    expect(rejected.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(rejected.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(collector.spans).toEqual([]);

    app.signal('SIGTERM');
    expect((await app.waitForExit()).code).toBe(0);

    const serverSpans = collector.spans.filter((s) => s.kind === 2);
    expect(serverSpans.every((s) => s.serviceName === `kit-${adapter}`)).toBe(true);
    const itemSpan = serverSpans.find((s) => attr(s, 'http.route') === '/items/:id');
    expect(itemSpan).toBeDefined();
    // Opened by kit.listen's dispatcher (the http instrumentation's incoming side is off).
    expect(itemSpan!.name).toBe('GET /items/:id');
    expect(attr(itemSpan!, 'http.request.method')).toBe('GET');
    expect(attr(itemSpan!, 'url.path')).toBe('/items/42');
    const status = itemSpan!.attributes.find((a) => a.key === 'http.response.status_code')?.value.intValue;
    expect(Number(status)).toBe(200);
    // Readiness polls and scrapes are not traced either.
    expect(collector.spans.some((s) => JSON.stringify(s.attributes).includes('/readyz'))).toBe(false);
    expect(serverSpans.some((s) => s.traceId === rejected.trace_id)).toBe(true);
    // Probe traffic (the launcher polled /healthz) creates no spans.
    expect(collector.spans.some((s) => JSON.stringify(s.attributes).includes('/healthz'))).toBe(false);
  });

  it('exports the span of a dropped request only when it failed or was slow, with the ids its log lines carry', {
    timeout: 60_000,
  }, async () => {
    // The head sampler drops every new trace: only kept spans can reach the collector.
    const app = await startTraced(adapter, {
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0',
      TRACE_SLOW_MS: '200',
      FIXTURE_SLOW_MS: '400',
    });
    expect((await httpRequest(`${app.url}/items/42`)).status).toBe(200);
    expect((await httpRequest(`${app.url}/missing-item`)).status).toBe(404);
    expect((await httpRequest(`${app.url}/boom`)).status).toBe(500);
    expect((await httpRequest(`${app.url}/slow`)).status).toBe(200);
    const failed = await app.waitForLog(byMessage('request failed with an unexpected error'));
    // Not sampled, yet the log line names the span that is exported.
    expect(failed.trace_flags).toBe('00');
    app.signal('SIGTERM');
    expect((await app.waitForExit()).code).toBe(0);

    const kept = (reason: string) =>
      collector.spans.filter((s) =>
        s.attributes.some((a) => a.key === 'sampling.kept' && a.value.stringValue === reason),
      );
    expect(collector.spans).toHaveLength(2);
    const [error] = kept('error');
    expect(error?.name).toBe('GET /boom');
    expect(error?.kind).toBe(2);
    expect(error?.serviceName).toBe(`kit-${adapter}`);
    expect(error?.traceId).toBe(failed.trace_id);
    expect(error?.spanId).toBe(failed.span_id);
    expect(attr(error!, 'error.type')).toBe('500');
    expect((error as OtlpSpan & { status?: { code?: number } }).status?.code).toBe(2);
    const [slow] = kept('slow');
    expect(slow?.name).toBe('GET /slow');
    expect(attr(slow!, 'url.path')).toBe('/slow');
  });

  it('exits 0 within the deadline when the trace collector is unreachable (bounded flush)', {
    timeout: 60_000,
  }, async () => {
    const closed = await getFreePort();
    const app = await startFixture(
      adapter,
      {
        OTEL_SDK_DISABLED: 'false',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closed}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_TRACES_SAMPLER: 'always_on',
        OTEL_BSP_SCHEDULE_DELAY: '60000',
        // The exporter alone would retry for 10 s: longer than this deadline.
        SHUTDOWN_TIMEOUT_MS: '6000',
      },
      { imports: [telemetryEntry], startTimeoutMs: 45_000 },
    );
    expect((await httpRequest(`${app.url}/items/7`)).status).toBe(200);
    app.signal('SIGTERM');
    expect((await app.waitForExit(30_000)).code).toBe(0);
    const complete = await app.waitForLog(byMessage('shutdown complete'));
    expect(complete.failed).toBe(false);
    await app.waitForLog(byMessage('telemetry flush timed out; buffered spans were dropped'));
  });

  it('does nothing when OTEL_SDK_DISABLED=true: no export, no trace ids', async () => {
    const app = await startFixture(
      adapter,
      {
        OTEL_SDK_DISABLED: 'true',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      },
      { imports: [telemetryEntry], startTimeoutMs: 45_000 },
    );
    expect((await httpRequest(`${app.url}/missing-item`)).status).toBe(404);
    const rejected = await app.waitForLog(byMessage('request rejected'));
    expect(rejected).not.toHaveProperty('trace_id');
    app.signal('SIGTERM');
    expect((await app.waitForExit()).code).toBe(0);
    expect(collector.spans).toEqual([]);
  });
});
