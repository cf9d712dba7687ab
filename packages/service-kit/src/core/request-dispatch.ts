import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { traceIncoming } from '../telemetry/server-span.js';
import { pathOf } from './http-replies.js';
import { KIT_PATHS } from './metrics.js';
import { livenessResponse } from './probes.js';
import type { ServerDrain } from './server-drain.js';

/**
 * The one `request` dispatcher of a server the kit listens on. It answers `GET`/`HEAD /healthz`
 * before anything else sees the request, tracks every other request for draining, and runs the
 * framework's handling of each API request inside its server span (`traceIncoming`; `/readyz` and
 * `/metrics` get none).
 *
 * Liveness first: it only says that the event loop turns, so neither the framework's per-request
 * work nor the tracing's has anything to add, and the probe costs what plain `node:http` does however
 * often it is polled. `/healthz?…`, other methods, `/readyz` and `/metrics` go to the framework as
 * before. While the kit stops, the liveness answer carries `Connection: close`; as on the framework's
 * route, probes are neither counted in the request metrics nor logged.
 *
 * It replaces the server's own `emit` (an instance property, ahead of the prototype's that the http
 * instrumentation wraps), and calls `drain.track` for every request the framework gets, so the drain
 * must not listen for requests itself.
 */
export function dispatchRequests(server: Server, drain: Pick<ServerDrain, 'track' | 'closing'>): void {
  const emit = server.emit as (this: Server, event: string | symbol, ...args: unknown[]) => boolean;
  // The body changes once a second (uptimeSeconds): rendered then, not per probe.
  let second = -1;
  let body = '';
  let contentType = '';
  let length = 0;
  server.emit = function emitRequest(this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'request') return emit.call(this, event, ...args);
    const [req, res] = args as [IncomingMessage, ServerResponse];
    if (req.url === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      const now = Math.round(process.uptime());
      if (now !== second) {
        second = now;
        ({ body, contentType } = livenessResponse());
        length = Buffer.byteLength(body);
      }
      // Answered and ended right here, so nothing stays in flight for the drain to wait on; while
      // stopping, the answer still tells a keep-alive client to go away.
      const headers: Record<string, string | number> = {
        'content-type': contentType,
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
