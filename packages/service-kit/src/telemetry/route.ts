import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';

/**
 * Names the current request's server span after its route template (`http.route`, span name
 * `GET /api/v1/products/:id`): `traceIncoming` reads the route from the request context's RPC
 * metadata when the response ends. The adapters call this instead of loading the fastify and
 * express instrumentations, whose span per hook and middleware cost more than the rest of the
 * tracing together (every request, sampled or not). A no-op without the telemetry entry.
 */
export function setTraceRoute(route: string): void {
  const metadata = getRPCMetadata(context.active());
  if (metadata?.type === RPCType.HTTP) metadata.route = route;
}
