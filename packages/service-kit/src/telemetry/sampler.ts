import {
  type Attributes,
  type Context,
  type HrTime,
  SamplingDecision,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Sampler, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

/** Share of new traces kept when OTEL_TRACES_SAMPLER is not set (parent-based, so whole traces are kept or dropped). */
export const DEFAULT_TRACE_RATIO = 0.1;

export interface SamplerChoice {
  /** The OTEL_TRACES_SAMPLER name in effect. */
  name: string;
  /** The ratio for the *traceidratio samplers. */
  ratio?: number;
}

const KNOWN = new Set([
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
]);

/**
 * Reads OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG as the OpenTelemetry spec defines them, with one change
 * of default: unset means `parentbased_traceidratio` at DEFAULT_TRACE_RATIO (10 %) rather than the SDK's
 * `parentbased_always_on`. An upstream decision (traceparent flags) is always followed.
 */
export function samplerFromEnv(env: NodeJS.ProcessEnv = process.env): SamplerChoice {
  const raw = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase();
  const name = raw && KNOWN.has(raw) ? raw : 'parentbased_traceidratio';
  if (!name.endsWith('traceidratio')) return { name };
  const arg = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  const parsed = arg ? Number(arg) : Number.NaN;
  const ratio =
    Number.isFinite(parsed) && parsed >= 0 && parsed <= 1 ? parsed : raw ? 1 : DEFAULT_TRACE_RATIO;
  return { name, ratio };
}

/** Builds the sampler for a choice with the SDK's classes (passed in: the SDK is loaded lazily). */
export function buildSampler(
  choice: SamplerChoice,
  sdk: {
    AlwaysOnSampler: new () => Sampler;
    AlwaysOffSampler: new () => Sampler;
    TraceIdRatioBasedSampler: new (ratio?: number) => Sampler;
    ParentBasedSampler: new (config: { root: Sampler }) => Sampler;
  },
): Sampler {
  const base = choice.name.replace('parentbased_', '');
  const root =
    base === 'always_on'
      ? new sdk.AlwaysOnSampler()
      : base === 'always_off'
        ? new sdk.AlwaysOffSampler()
        : new sdk.TraceIdRatioBasedSampler(choice.ratio);
  return choice.name.startsWith('parentbased_') ? new sdk.ParentBasedSampler({ root }) : root;
}

/** Default of `TRACE_SLOW_MS`: a server span at least this long is exported even when not sampled. */
export const DEFAULT_TRACE_SLOW_MS = 1000;

export interface KeepErrorsAndSlow {
  /** Server spans lasting at least this long are kept (`TRACE_SLOW_MS`). */
  slowMs: number;
}

/**
 * Whether to keep error and slow server spans the head sampler dropped, and the threshold:
 * on unless `TRACE_KEEP_ERRORS_AND_SLOW=false` or the sampler is `always_off`/`parentbased_always_off`
 * (a choice to trace nothing); `TRACE_SLOW_MS` (default 1000, a positive number of ms).
 */
export function keepErrorsAndSlowFromEnv(
  choice: SamplerChoice,
  env: NodeJS.ProcessEnv = process.env,
): KeepErrorsAndSlow | undefined {
  if (env.TRACE_KEEP_ERRORS_AND_SLOW?.trim().toLowerCase() === 'false') return undefined;
  if (choice.name.endsWith('always_off')) return undefined;
  const slow = Number(env.TRACE_SLOW_MS?.trim());
  return { slowMs: Number.isFinite(slow) && slow > 0 ? slow : DEFAULT_TRACE_SLOW_MS };
}

/**
 * Wraps the head sampler so that a SERVER span it drops, when the span starts a trace or continues
 * one from another process, is still *recorded* (not sampled: the traceparent sent on says "not
 * sampled", and every span inside the request stays a non-recording one). That one span per request
 * is what `KeptSpanProcessor` looks at when it ends. Every other decision is the head sampler's.
 * The kit's own HTTP server spans (`traceIncoming`, started with `http.request.method`) are left
 * unrecorded too: the kit builds the span of a failed or slow one after the fact (`KeptServerSpans`),
 * so a dropped request pays for no recording at all. What stays recorded is the gRPC server side.
 */
export function keepServerSpansRecorded(head: Sampler): Sampler {
  return {
    shouldSample(context, traceId, spanName, spanKind, attributes, links) {
      const result = head.shouldSample(context, traceId, spanName, spanKind, attributes, links);
      if (result.decision !== SamplingDecision.NOT_RECORD || spanKind !== SpanKind.SERVER) return result;
      if (attributes['http.request.method'] !== undefined) return result;
      const parent = trace.getSpanContext(context);
      // In-process child of a dropped span: stays dropped (no recording cost inside requests).
      if (parent && trace.isSpanContextValid(parent) && !parent.isRemote) return result;
      return { ...result, decision: SamplingDecision.RECORD };
    },
    toString: () => `KeepErrorsAndSlow{${head.toString()}}`,
  };
}

/**
 * What `traceIncoming` needs to export the server span of a request the head sampler dropped, once
 * it knows the request failed (5xx) or was slow: the threshold, the process's resource and the
 * exporting processor. Present only when errors and slow requests are kept.
 */
export interface KeptServerSpans {
  slowMs: number;
  resource: Resource;
  /** Hands a finished span (see `keptServerSpan`) to the exporting processor. */
  export(span: ReadableSpan): void;
}

/**
 * A finished SERVER span built after the fact for a dropped request that failed or was slow: it has
 * the span id the request's log lines and outgoing traceparents carried, flagged sampled so that the
 * exporting processors take it, and `sampling.kept = error | slow`.
 */
export function keptServerSpan(o: {
  name: string;
  spanContext: SpanContext;
  parentSpanContext: SpanContext | undefined;
  startTime: HrTime;
  endTime: HrTime;
  duration: HrTime;
  attributes: Attributes;
  reason: 'error' | 'slow';
  resource: Resource;
  scope: string;
}): ReadableSpan {
  return finished({
    name: o.name,
    kind: SpanKind.SERVER,
    spanContext: o.spanContext,
    parentSpanContext: o.parentSpanContext,
    startTime: o.startTime,
    endTime: o.endTime,
    duration: o.duration,
    status: o.reason === 'error' ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.UNSET },
    attributes: { ...o.attributes, 'sampling.kept': o.reason },
    links: [],
    events: [],
    ended: true,
    resource: o.resource,
    instrumentationScope: { name: o.scope },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  });
}

/** Why a recorded but unsampled span is exported: `error` (status ERROR or HTTP ≥ 500), `slow`, or not at all. */
export function keptReason(span: ReadableSpan, slowMs: number): 'error' | 'slow' | undefined {
  if (span.status.code === SpanStatusCode.ERROR) return 'error';
  const status = span.attributes['http.response.status_code'] ?? span.attributes['http.status_code'];
  if (typeof status === 'number' && status >= 500) return 'error';
  const [s, ns] = span.duration;
  if (s * 1000 + ns / 1e6 >= slowMs) return 'slow';
  return undefined;
}

/**
 * In front of the exporting processor: passes sampled spans through, and of the recorded-only server
 * spans (see `keepServerSpansRecorded`) exports those that failed or were slow — marked
 * `sampling.kept = error | slow` — and forgets the rest. Sampled spans cost what they did before;
 * a dropped request costs one recorded span that is never serialized.
 */
export class KeptSpanProcessor implements SpanProcessor {
  constructor(
    private readonly next: SpanProcessor,
    private readonly slowMs: number,
  ) {}

  onStart(span: Span, parentContext: Context): void {
    if (span.spanContext().traceFlags & TraceFlags.SAMPLED) this.next.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    const ctx = span.spanContext();
    if (ctx.traceFlags & TraceFlags.SAMPLED) {
      this.next.onEnd(span);
      return;
    }
    const reason = keptReason(span, this.slowMs);
    if (reason) this.next.onEnd(asSampled(span, reason));
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}

/** A copy of an ended span that exporting processors accept (they skip unsampled spans). */
function asSampled(span: ReadableSpan, reason: string): ReadableSpan {
  return finished({
    name: span.name,
    kind: span.kind,
    spanContext: span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status,
    attributes: { ...span.attributes, 'sampling.kept': reason },
    links: span.links,
    events: span.events,
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  });
}

/** A ReadableSpan of plain fields whose span context says "sampled". */
function finished(fields: Omit<ReadableSpan, 'spanContext'> & { spanContext: SpanContext }): ReadableSpan {
  const sampled = { ...fields.spanContext, traceFlags: fields.spanContext.traceFlags | TraceFlags.SAMPLED };
  return { ...fields, spanContext: () => sampled };
}
