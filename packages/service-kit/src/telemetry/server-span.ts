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
import { hrTime, hrTimeDuration, type RPCMetadata, RPCType, setRPCMetadata } from '@opentelemetry/core';
import { keptServerSpan } from './sampler.js';
import { keptServerSpans, telemetryStarted } from './telemetry.js';

const tracerName = '@shop/service-kit';

/**
 * Runs `handle` — the framework's handling of one incoming request — inside a SERVER span, the way
 * the http instrumentation's incoming side did, at a fraction of its cost (that side alone was half
 * the CPU of a cached product read, sampled or not): the caller's `traceparent`/`baggage` are
 * continued, the span is named `GET /route/:template` once the adapter set the route
 * (`setTraceRoute`), carries the stable HTTP semantic-convention attributes, ends when the response
 * closes, and has status ERROR for a 5xx. A request with a body has its emitter bound to the span's
 * context, so a handler that runs after the body was read (POST) still sees it; what the handler
 * schedules keeps it by itself. A no-op wrapper when the telemetry entry did not start.
 *
 * A request the head sampler dropped is not recorded at all (its span context still goes to the log
 * lines and outgoing calls): if it fails (5xx) or lasts `TRACE_SLOW_MS`, its span is built when the
 * response closes, with the same ids, and exported marked `sampling.kept` (`KeptServerSpans`).
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
  const recording = span.isRecording();
  if (recording) span.setAttributes(requestAttributes(req));
  const kept = recording ? undefined : keptServerSpans();
  const startMs = kept ? performance.now() : 0;
  const metadata: RPCMetadata = { type: RPCType.HTTP, span };
  const ctx = setRPCMetadata(trace.setSpan(parent, span), metadata);
  res.once('close', () => {
    const status = res.statusCode;
    const attributes: Attributes = { 'http.response.status_code': status };
    if (metadata.route) attributes['http.route'] = metadata.route;
    // The client went away before the answer was written.
    if (status >= 500) attributes['error.type'] = String(status);
    else if (!res.writableFinished) attributes['error.type'] = 'aborted';
    const name = metadata.route ? `${method} ${metadata.route}` : method;
    if (recording) {
      span.setAttributes(attributes);
      span.updateName(name);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    } else if (kept) {
      const endMs = performance.now();
      const reason = status >= 500 ? 'error' : endMs - startMs >= kept.slowMs ? 'slow' : undefined;
      if (reason) {
        const startTime = hrTime(startMs);
        const endTime = hrTime(endMs);
        kept.export(
          keptServerSpan({
            name,
            spanContext: span.spanContext(),
            parentSpanContext: trace.getSpanContext(parent),
            startTime,
            endTime,
            duration: hrTimeDuration(startTime, endTime),
            attributes: {
              'http.request.method': method,
              'url.path': path,
              ...requestAttributes(req),
              ...attributes,
            },
            reason,
            resource: kept.resource,
            scope: tracerName,
          }),
        );
      }
    }
    span.end();
  });
  // A body is read after this call returns, in the socket's context: its events carry the span's.
  if (hasBody(req)) context.bind(ctx, req);
  return context.with(ctx, handle);
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The stable HTTP semantic-convention attributes of the request itself. */
function requestAttributes(req: IncomingMessage): Attributes {
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
  return attributes;
}
