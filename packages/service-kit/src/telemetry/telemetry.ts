import { context, propagation, trace } from '@opentelemetry/api';
import type { Instrumentation, InstrumentationBase } from '@opentelemetry/instrumentation';
import {
  buildSampler,
  type KeptServerSpans,
  KeptSpanProcessor,
  keepErrorsAndSlowFromEnv,
  keepServerSpansRecorded,
  samplerFromEnv,
} from './sampler.js';

export { DEFAULT_TRACE_RATIO, DEFAULT_TRACE_SLOW_MS, samplerFromEnv } from './sampler.js';

// The SDK is started by the --import entry, long before the kit exists; a global slot lets the
// kit's shutdown find it without the two modules importing each other (and survives duplicate copies).
const SDK_SLOT = Symbol.for('shop.service-kit.telemetry-sdk');

/** What the kit's shutdown needs of the started SDK. */
export interface TelemetrySdk {
  shutdown(): Promise<void>;
  /** Set when errors and slow requests are kept: what `traceIncoming` exports a dropped request's span with. */
  keptServerSpans?: KeptServerSpans;
}

type Slot = { [SDK_SLOT]?: TelemetrySdk };

/** true once the telemetry entry started the SDK in this process (what the kit's server spans need). */
export function telemetryStarted(): boolean {
  return (globalThis as Slot)[SDK_SLOT] !== undefined;
}

/** How to keep the server span of a dropped request that failed or was slow; undefined when not kept. */
export function keptServerSpans(): KeptServerSpans | undefined {
  return (globalThis as Slot)[SDK_SLOT]?.keptServerSpans;
}

/** true when OTEL_SDK_DISABLED=true (the standard switch). */
export function telemetryDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
}

const number = (env: NodeJS.ProcessEnv, key: string): number | undefined => {
  const n = Number(env[key]);
  return env[key] !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
};

/**
 * Starts tracing configured by the standard OTEL_* variables: the trace SDK alone (no metrics or logs
 * SDK: metrics are scraped from /metrics by prom-client and logs go to stdout), one OTLP/HTTP exporter
 * (`http/protobuf`, or `http/json` by OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL; `OTEL_TRACES_EXPORTER=none`
 * exports nothing), W3C trace context + baggage, and the http, pg, ioredis, undici and grpc (@grpc/grpc-js,
 * the user service's internal API) instrumentations. The fastify and express instrumentations are not
 * loaded: their span per hook and middleware cost more than the rest of the tracing together; the kit's
 * adapters put the route template on the http server span instead (`setTraceRoute`). Sampling: see samplerFromEnv (parent-based, 10 % of new traces by default);
 * the server span of a dropped request that fails (5xx, status ERROR) or lasts `TRACE_SLOW_MS` (1000) is
 * exported anyway (built after the fact by `traceIncoming` from `keptServerSpans()`; gRPC server spans through
 * keepServerSpansRecorded and KeptSpanProcessor; `TRACE_KEEP_ERRORS_AND_SLOW=false` turns it off).
 * Loading only this instead of the NodeSDK (every exporter, metrics and logs SDKs) halves the start-up.
 */
export async function startTelemetry(
  env: NodeJS.ProcessEnv = process.env,
  /** Installs the ESM loader hook for these module names before the instrumentations are enabled. */
  hookModules?: (modules: string[]) => Promise<void>,
): Promise<TelemetrySdk | undefined> {
  if (telemetryDisabled(env)) return undefined;
  const slot = globalThis as Slot;
  if (slot[SDK_SLOT]) return slot[SDK_SLOT];

  const exporterNames = (env.OTEL_TRACES_EXPORTER ?? 'otlp')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const exportSpans = !exporterNames.includes('none');
  const protocol =
    (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL)?.trim() || 'http/protobuf';

  const [
    api,
    core,
    traceSdk,
    resources,
    { AsyncLocalStorageContextManager },
    { registerInstrumentations },
    instrumentations,
  ] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/core'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/instrumentation'),
    loadInstrumentations(),
  ]);

  if (hookModules) {
    const names = instrumentations.flatMap(
      (i) => (i as Partial<InstrumentationBase>).getModuleDefinitions?.().map((d) => d.name) ?? [],
    );
    await hookModules([...new Set(names)]);
  }
  // Created disabled (above), enabled here: after the loader hook knows which modules to wrap.
  registerInstrumentations({ instrumentations });
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(
    new core.CompositePropagator({
      propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()],
    }),
  );

  let provider: TelemetrySdk | undefined;
  let kept: KeptServerSpans | undefined;
  if (exportSpans) {
    if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
      api.diag.warn(`OTLP protocol "${protocol}" is not loaded by the kit; using http/protobuf`);
    }
    // Each exporter reads OTEL_EXPORTER_OTLP_[TRACES_]{ENDPOINT,HEADERS,TIMEOUT,COMPRESSION} itself.
    const { OTLPTraceExporter } =
      protocol === 'http/json'
        ? await import('@opentelemetry/exporter-trace-otlp-http')
        : await import('@opentelemetry/exporter-trace-otlp-proto');
    const serviceName = env.OTEL_SERVICE_NAME ?? env.SERVICE_NAME;
    let resource = resources.defaultResource().merge(
      resources.detectResources({
        detectors: [resources.envDetector, resources.processDetector, resources.hostDetector],
      }),
    );
    if (serviceName)
      resource = resource.merge(resources.resourceFromAttributes({ 'service.name': serviceName }));
    const choice = samplerFromEnv(env);
    const head = buildSampler(choice, traceSdk);
    const batch = new traceSdk.BatchSpanProcessor({
      exporter: new OTLPTraceExporter(),
      maxQueueSize: number(env, 'OTEL_BSP_MAX_QUEUE_SIZE'),
      scheduledDelayMillis: number(env, 'OTEL_BSP_SCHEDULE_DELAY'),
      exportTimeoutMillis: number(env, 'OTEL_BSP_EXPORT_TIMEOUT'),
      maxExportBatchSize: number(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
    });
    // Errors and slow requests are exported even when the head sampler dropped their trace (their
    // server span only: the rest of such a trace was never recorded).
    const keep = keepErrorsAndSlowFromEnv(choice, env);
    const tracerProvider = new traceSdk.TracerProvider({
      resource,
      sampler: keep ? keepServerSpansRecorded(head) : head,
      spanProcessors: [keep ? new KeptSpanProcessor(batch, keep.slowMs) : batch],
    });
    api.trace.setGlobalTracerProvider(tracerProvider);
    provider = tracerProvider;
    if (keep) kept = { slowMs: keep.slowMs, resource, export: (span) => batch.onEnd(span) };
  }
  const sdk: TelemetrySdk = { shutdown: async () => provider?.shutdown(), keptServerSpans: kept };
  slot[SDK_SLOT] = sdk;
  return sdk;
}

/** The instrumentations, created disabled (exported for the bundle externals test). */
export async function loadInstrumentations(): Promise<Instrumentation[]> {
  const [http, pg, ioredis, undici, grpc] = await Promise.all([
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-ioredis'),
    import('@opentelemetry/instrumentation-undici'),
    import('@opentelemetry/instrumentation-grpc'),
  ]);
  const enabled = false;
  const pgInstrumentation = new pg.PgInstrumentation({ enabled, requireParentSpan: true });
  const redisInstrumentation = new ioredis.IORedisInstrumentation({ enabled, requireParentSpan: true });
  onlyUnderRecordingSpan(pgInstrumentation, '_getClientQueryPatch');
  // pg.Pool#query checks a client out through Pool#connect on every call: its `pg-pool.connect` span is
  // a leaf too (the pool wait of a traced request), not worth building inside a dropped one.
  onlyUnderRecordingSpan(pgInstrumentation, '_getPoolConnectPatch');
  withoutPoolConnectionMetrics(pgInstrumentation);
  onlyUnderRecordingSpan(redisInstrumentation, '_patchSendCommand');
  // Diagnostics channels, no module hook: created enabled (enabling it later subscribes nothing).
  const undiciInstrumentation = new undici.UndiciInstrumentation();
  clientSpansOnlyUnderRecordingSpan(undiciInstrumentation);
  // Outgoing calls only: `kit.listen`'s dispatcher opens the server span of each incoming request
  // itself (`traceIncoming`), at a fraction of this instrumentation's cost per request.
  const httpInstrumentation = new http.HttpInstrumentation({
    enabled,
    disableIncomingRequestInstrumentation: true,
  });
  // The kit's HTTP client (node:http) writes the caller's trace context into every request itself: inside
  // a dropped request the CLIENT span (URL parsing, attributes, listeners) would record nothing.
  onlyUnderRecordingSpan(httpInstrumentation, '_getPatchOutgoingRequestFunction');
  return [
    httpInstrumentation,
    pgInstrumentation,
    redisInstrumentation,
    undiciInstrumentation,
    // The user service's internal gRPC API; health checks are probes (no spans).
    new grpc.GrpcInstrumentation({ enabled, ignoreGrpcMethods: ['Check', 'Watch'] }),
  ];
}

type Patch = (original: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown;

/**
 * An instrumentation's internal method the kit replaces, as a record to assign to; throws naming `caller`
 * when an upgrade renamed it (the kit's leaf-spans test fails then instead of tracing silently changing).
 */
function internalMethod(instrumentation: Instrumentation, method: string, caller: string) {
  const target = instrumentation as unknown as Record<string, unknown>;
  const original = target[method];
  if (typeof original !== 'function') {
    throw new Error(`${instrumentation.instrumentationName} has no ${method}: update ${caller}`);
  }
  return { target, original: original as (...args: unknown[]) => unknown };
}

/**
 * A query or a Redis command is a leaf span: nothing is propagated from it (no sqlcommenter, no Redis
 * trace context). Inside a request the head sampler dropped, the pg and ioredis instrumentations still
 * built each one — serialized the statement, asked the sampler, generated ids, wrapped the callbacks —
 * only for the SDK to discard it. This wraps the instrumentation's patch factory (`method`, which returns
 * the `(original) => wrapped` function it installs) so that the installed function calls the original
 * directly unless the active span is recording. Spans under sampled (or recorded) requests are unchanged.
 * `method` is internal to the instrumentation: the kit's test fails if an upgrade renames it.
 */
export function onlyUnderRecordingSpan(instrumentation: Instrumentation, method: string): void {
  const { target, original: factory } = internalMethod(instrumentation, method, 'onlyUnderRecordingSpan');
  target[method] = function (this: unknown, ...factoryArgs: unknown[]): Patch {
    const patch = factory.apply(this, factoryArgs) as Patch;
    return (original) => {
      const traced = patch(original);
      return function (this: unknown, ...args: unknown[]) {
        return trace.getSpan(context.active())?.isRecording()
          ? traced.apply(this, args)
          : original.apply(this, args);
      };
    };
  };
}

interface UndiciRequest {
  method: string;
  headers: string | unknown[];
  addHeader?: (name: string, value: string) => unknown;
}

/**
 * The undici instrumentation (fetch) builds a CLIENT span for every outgoing request: a URL object, a
 * dozen attributes, the span, a record per request that three more channel messages look up, and a
 * duration histogram (no-op without a MeterProvider) — about 75 µs of CPU per call, half of it for a
 * span the SDK then discards when the request around it was dropped by the head sampler. This keeps the
 * instrumentation for calls under a recording span (and for calls outside any span, which start a trace
 * of their own), and under a dropped one only writes the trace context into the request's headers, so
 * the callee continues the same unsampled trace (its log lines carry the same trace id, and it does not
 * sample on its own). `onRequestCreated` is internal (subscribed by `enable`): the kit's test drives it.
 */
export function clientSpansOnlyUnderRecordingSpan(instrumentation: Instrumentation): void {
  const { target, original: traced } = internalMethod(
    instrumentation,
    'onRequestCreated',
    'clientSpansOnlyUnderRecordingSpan',
  );
  target.onRequestCreated = function (this: unknown, message: { request: UndiciRequest }) {
    const active = context.active();
    const span = trace.getSpan(active);
    const { request } = message;
    if (!span || span.isRecording() || request.method === 'CONNECT') return traced.call(this, message);
    const carrier: Record<string, string> = {};
    propagation.inject(active, carrier);
    for (const [name, value] of Object.entries(carrier)) {
      if (typeof request.addHeader === 'function') request.addHeader(name, value);
      else if (typeof request.headers === 'string') request.headers += `${name}: ${value}\r\n`;
      else request.headers.push(name, value);
    }
  };
  // The channels were subscribed with the method bound at construction: subscribe the new one.
  instrumentation.disable();
  instrumentation.enable();
}

/**
 * The pg instrumentation also counts pool connections (used/idle/pending) for OpenTelemetry metrics, from
 * four listeners it adds to every pool and runs on each checkout and release. The kit registers no
 * OpenTelemetry MeterProvider (metrics are prom-client's, scraped from /metrics, where the kit's own pool
 * gauges are), so those counts went to no-op instruments: about a tenth of the instrumentation's cost per
 * query. This turns the listeners off (`_setPoolConnectEventListeners` is internal: the kit's test fails
 * if an upgrade renames it). Registering a MeterProvider for pg metrics means removing this call.
 */
export function withoutPoolConnectionMetrics(instrumentation: Instrumentation): void {
  const { target } = internalMethod(
    instrumentation,
    '_setPoolConnectEventListeners',
    'withoutPoolConnectionMetrics',
  );
  target._setPoolConnectEventListeners = () => {};
}

/** Flushes and stops the SDK if one was started; a no-op otherwise. Called by the kit's shutdown. */
export async function flushTelemetry(): Promise<void> {
  const slot = globalThis as Slot;
  const sdk = slot[SDK_SLOT];
  if (!sdk) return;
  slot[SDK_SLOT] = undefined;
  await sdk.shutdown();
}
