import type { NodeSDK } from '@opentelemetry/sdk-node';

// The SDK is started by the --import entry, long before the kit exists; a global slot lets the
// kit's shutdown find it without the two modules importing each other (and survives duplicate copies).
const SDK_SLOT = Symbol.for('shop.service-kit.telemetry-sdk');

type Slot = { [SDK_SLOT]?: NodeSDK };

/** Paths whose spans are noise (probes, scrapes). */
const IGNORED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** true when OTEL_SDK_DISABLED=true (the standard switch). */
export function telemetryDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
}

/**
 * Starts the OpenTelemetry NodeSDK configured by the standard OTEL_* variables with the http,
 * fastify, express, pg, ioredis, undici and grpc (@grpc/grpc-js, the user service's internal API)
 * instrumentations. Metrics and logs exporters default to
 * none: metrics are scraped from /metrics (prom-client) and logs go to stdout.
 */
export async function startTelemetry(env: NodeJS.ProcessEnv = process.env): Promise<NodeSDK | undefined> {
  if (telemetryDisabled(env)) return undefined;
  const slot = globalThis as Slot;
  if (slot[SDK_SLOT]) return slot[SDK_SLOT];

  const [{ NodeSDK }, http, fastify, express, pg, ioredis, undici, grpc] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-fastify'),
    import('@opentelemetry/instrumentation-express'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-ioredis'),
    import('@opentelemetry/instrumentation-undici'),
    import('@opentelemetry/instrumentation-grpc'),
  ]);
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? env.SERVICE_NAME,
    ...(env.OTEL_METRICS_EXPORTER ? {} : { metricReaders: [] }),
    ...(env.OTEL_LOGS_EXPORTER ? {} : { logRecordProcessors: [] }),
    instrumentations: [
      new http.HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => IGNORED_PATHS.has((req.url ?? '').split('?')[0] ?? ''),
      }),
      new fastify.FastifyInstrumentation(),
      new express.ExpressInstrumentation(),
      new pg.PgInstrumentation({ requireParentSpan: true }),
      new ioredis.IORedisInstrumentation({ requireParentSpan: true }),
      new undici.UndiciInstrumentation(),
      // Client and server spans with the trace context in the call metadata; health probes are noise.
      new grpc.GrpcInstrumentation({ ignoreGrpcMethods: ['Check', 'Watch'] }),
    ],
  });
  sdk.start();
  slot[SDK_SLOT] = sdk;
  return sdk;
}

/** Flushes and stops the SDK if one was started; a no-op otherwise. Called by the kit's shutdown. */
export async function flushTelemetry(): Promise<void> {
  const slot = globalThis as Slot;
  const sdk = slot[SDK_SLOT];
  if (!sdk) return;
  slot[SDK_SLOT] = undefined;
  await sdk.shutdown();
}
