// W3C trace context in and out of event envelopes, through the OpenTelemetry API (a no-op
// until the service's --import telemetry bootstrap registers the SDK).
import { type Context, context, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';

export interface TraceCarrier {
  traceparent: string | null;
  tracestate: string | null;
}

/** Captures the active trace context so the consumer's span joins the producer's trace. */
export function captureTraceContext(ctx: Context = context.active()): TraceCarrier {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return { traceparent: carrier.traceparent ?? null, tracestate: carrier.tracestate ?? null };
}

export function contextFromCarrier(carrier: Partial<TraceCarrier>): Context {
  const headers: Record<string, string> = {};
  if (carrier.traceparent) headers.traceparent = carrier.traceparent;
  if (carrier.tracestate) headers.tracestate = carrier.tracestate;
  return propagation.extract(ROOT_CONTEXT, headers);
}

const tracer = trace.getTracer('@shop/events');

/** Runs `fn` inside a CONSUMER span that is a child of the event's producer context. */
export async function withConsumerSpan<T>(
  name: string,
  carrier: Partial<TraceCarrier>,
  attributes: Record<string, string>,
  fn: () => Promise<T>,
): Promise<T> {
  const parent = contextFromCarrier(carrier);
  return tracer.startActiveSpan(name, { kind: SpanKind.CONSUMER, attributes }, parent, async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: 2 });
      throw err;
    } finally {
      span.end();
    }
  });
}
