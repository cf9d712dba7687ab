import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { traceIncoming } from '../telemetry/server-span.js';
import { pathOf } from './http-replies.js';
import { KIT_PATHS } from './metrics.js';
import type { ServerDrain } from './server-drain.js';
import type { ServiceKit } from './service-kit.js';

/** A framework-neutral answer the adapters write out unchanged. */
export interface ProbeResponse {
  status: number;
  contentType: string;
  body: string;
}

const json = 'application/json; charset=utf-8';

/** Liveness: the process answers, so the event loop turns. Never consults dependencies or draining. */
export function livenessResponse(): ProbeResponse {
  return {
    status: 200,
    contentType: json,
    body: JSON.stringify({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) }),
  };
}

/** Readiness: 200 only when running and every critical check is up; body names each check. */
export async function readinessResponse(kit: ServiceKit): Promise<ProbeResponse> {
  const report = await kit.readiness.report();
  return { status: report.status === 'ready' ? 200 : 503, contentType: json, body: JSON.stringify(report) };
}

/** Prometheus text exposition of the kit's registry. */
export async function metricsResponse(kit: ServiceKit): Promise<ProbeResponse> {
  return { status: 200, contentType: kit.registry.contentType, body: await kit.registry.metrics() };
}

/** The probe endpoints both adapters mount, by path. */
export const probeHandlers: Record<string, (kit: ServiceKit) => ProbeResponse | Promise<ProbeResponse>> = {
  '/healthz': livenessResponse,
  '/readyz': readinessResponse,
  '/metrics': metricsResponse,
};

/**
 * The one `request` dispatcher of a server the kit listens on. It answers `GET`/`HEAD /healthz`
 * before anything else sees the request, tracks every other request for draining, and runs the
 * framework's handling of each API request inside its server span (`traceIncoming`; `/readyz` and
 * `/metrics` get none).
 *
 * Liveness first: liveness only says
 * that the event loop turns, so neither the framework's per-request work (routing, hooks, request
 * logger, serializer) nor the tracing's (the http instrumentation binds a context to every request,
 * probes included) has anything to add, and the probe path costs what plain `node:http` does however
 * often the kubelet, compose and load balancers poll it. It intercepts the server's own `emit` of
 * `request` (an instance property, ahead of the prototype's that the http instrumentation wraps);
 * everything else — `/healthz?…`, other methods, `/readyz`, `/metrics` — is emitted as before. While
 * the kit stops, the answer carries `Connection: close`; as on the framework's route, probes are neither counted
 * in the request metrics nor logged. `drain.track` is called here for every request the framework
 * gets, so the drain must not listen for requests itself.
 */
export function dispatchRequests(server: Server, drain: Pick<ServerDrain, 'track' | 'closing'>): void {
  const emit = server.emit as (this: Server, event: string | symbol, ...args: unknown[]) => boolean;
  // The body changes once a second (uptimeSeconds): rendered then, not per probe.
  let second = -1;
  let body = '';
  let length = 0;
  server.emit = function emitRequest(this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'request') return emit.call(this, event, ...args);
    const [req, res] = args as [IncomingMessage, ServerResponse];
    if (req.url === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      const now = Math.round(process.uptime());
      if (now !== second) {
        second = now;
        body = livenessResponse().body;
        length = Buffer.byteLength(body);
      }
      // Answered and ended right here, so nothing stays in flight for the drain to wait on; while
      // stopping, the answer still tells a keep-alive client to go away.
      const headers: Record<string, string | number> = {
        'content-type': json,
        'content-length': length,
      };
      if (drain.closing()) headers.connection = 'close';
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    }
    drain.track(req, res);
    const forward = () => emit.call(this, event, ...args);
    // Readiness and scrapes are polled too: no span (liveness never got this far).
    if (KIT_PATHS.has(pathOf(req.url ?? '/'))) return forward();
    return traceIncoming(req, res, forward);
  } as Server['emit'];
}
