import type { IncomingMessage, Server, ServerResponse } from 'node:http';
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
 * Answers `GET`/`HEAD /healthz` on `server` before the framework sees the request: liveness only
 * says that the event loop turns, so nothing of the framework's per-request work (routing, hooks,
 * request logger, serializer) has anything to add, and a probe path as cheap as plain `node:http`
 * stays cheap when the kubelet, compose and load balancers all poll it. Everything else — including
 * `/healthz?…`, other methods, `/readyz` and `/metrics` — goes to the framework's listeners as
 * before; the request is still tracked for draining (and, as on the framework's route, probes are not
 * counted in the request metrics nor logged). Replaces the server's `request` listeners with
 * one dispatcher, so call it once, after the framework attached its handler.
 */
export function answerLivenessFirst(server: Server, drain: Pick<ServerDrain, 'track'>): void {
  const framework = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    drain.track(req, res);
    if (req.url === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      const out = livenessResponse();
      res.writeHead(out.status, {
        'content-type': out.contentType,
        'content-length': Buffer.byteLength(out.body),
      });
      res.end(req.method === 'HEAD' ? undefined : out.body);
      return;
    }
    for (const listener of framework) listener.call(server, req, res);
  });
}
