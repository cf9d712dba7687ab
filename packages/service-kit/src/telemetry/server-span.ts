import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type Attributes,
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { type RPCMetadata, RPCType, setRPCMetadata } from '@opentelemetry/core';
import { telemetryStarted } from './telemetry.js';

const tracerName = '@shop/service-kit';

/**
 * Runs `handle` — the framework's handling of one incoming request — inside a SERVER span, the way
 * the http instrumentation's incoming side did, at a fraction of its cost (that side alone was half
 * the CPU of a cached product read, sampled or not): the caller's `traceparent`/`baggage` are
 * continued, the span is named `GET /route/:template` once the adapter set the route
 * (`setTraceRoute`), carries the stable HTTP semantic-convention attributes when it records, ends
 * when the response closes, and has status ERROR for a 5xx. The request emitter is bound to the
 * span's context, so a handler that runs after the body was read (POST) still sees it; what the
 * handler schedules keeps it by itself. A no-op wrapper when the telemetry entry did not start.
 * Called by `kit.listen`'s dispatcher, which gives probes and scrapes no span.
 */
export function traceIncoming<T>(req: IncomingMessage, res: ServerResponse, handle: () => T): T {
  if (!telemetryStarted()) return handle();
  const method = req.method ?? 'GET';
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const span = trace
    .getTracer(tracerName)
    .startSpan(
      method,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': path } },
      parent,
    );
  if (span.isRecording()) {
    const attributes: Attributes = {
      'url.scheme': 'http',
      'network.protocol.version': req.httpVersion,
      'server.port': req.socket.localPort,
      'network.peer.address': req.socket.remoteAddress,
    };
    const host = req.headers.host;
    if (host) attributes['server.address'] = host.replace(/:\d+$/, '');
    const agent = req.headers['user-agent'];
    if (agent) attributes['user_agent.original'] = agent;
    span.setAttributes(attributes);
  }
  const metadata: RPCMetadata = { type: RPCType.HTTP, span };
  const ctx = setRPCMetadata(trace.setSpan(parent, span), metadata);
  res.once('close', () => {
    if (span.isRecording()) {
      const status = res.statusCode;
      span.setAttribute('http.response.status_code', status);
      if (metadata.route) {
        span.setAttribute('http.route', metadata.route);
        span.updateName(`${method} ${metadata.route}`);
      }
      if (status >= 500) {
        span.setAttribute('error.type', String(status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      } else if (!res.writableFinished) {
        // The client went away before the answer was written.
        span.setAttribute('error.type', 'aborted');
      }
    }
    span.end();
  });
  context.bind(ctx, req);
  return context.with(ctx, handle);
}
