import { randomBytes } from 'node:crypto';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import * as sdk from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import {
  buildSampler,
  DEFAULT_TRACE_RATIO,
  DEFAULT_TRACE_SLOW_MS,
  KeptSpanProcessor,
  keepErrorsAndSlowFromEnv,
  keepServerSpansRecorded,
  samplerFromEnv,
} from '../src/telemetry/sampler.js';

const sampled = (sampler: sdk.Sampler, parent = ROOT_CONTEXT) =>
  sampler.shouldSample(parent, randomBytes(16).toString('hex'), 'GET', SpanKind.SERVER, {}, []).decision ===
  sdk.SamplingDecision.RECORD_AND_SAMPLED;

describe('trace sampling', () => {
  it('defaults to parent-based 10 % of new traces when OTEL_TRACES_SAMPLER is unset', () => {
    expect(DEFAULT_TRACE_RATIO).toBe(0.1);
    expect(samplerFromEnv({})).toEqual({ name: 'parentbased_traceidratio', ratio: 0.1 });
    const sampler = buildSampler(samplerFromEnv({}), sdk);
    const kept = Array.from({ length: 4000 }, () => sampled(sampler)).filter(Boolean).length;
    expect(kept / 4000).toBeGreaterThan(0.07);
    expect(kept / 4000).toBeLessThan(0.13);
  });

  it('follows the caller: a sampled traceparent is always kept, an unsampled one never', () => {
    const sampler = buildSampler(samplerFromEnv({}), sdk);
    const parent = (flags: TraceFlags) =>
      trace.setSpanContext(context.active(), {
        traceId: randomBytes(16).toString('hex'),
        spanId: randomBytes(8).toString('hex'),
        traceFlags: flags,
        isRemote: true,
      });
    expect(
      Array.from({ length: 200 }, () => sampled(sampler, parent(TraceFlags.SAMPLED))).every(Boolean),
    ).toBe(true);
    expect(Array.from({ length: 200 }, () => sampled(sampler, parent(TraceFlags.NONE))).some(Boolean)).toBe(
      false,
    );
  });

  it('still honours OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG', () => {
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_always_on' })).toEqual({
      name: 'parentbased_always_on',
    });
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'always_off' })).toEqual({ name: 'always_off' });
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })).toEqual({
      name: 'traceidratio',
      ratio: 0.25,
    });
    // The default ratio can be changed without naming the sampler; an explicit ratio sampler without an arg keeps all (spec).
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER_ARG: '0.5' })).toEqual({
      name: 'parentbased_traceidratio',
      ratio: 0.5,
    });
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio' })).toEqual({
      name: 'parentbased_traceidratio',
      ratio: 1,
    });
    expect(sampled(buildSampler({ name: 'always_on' }, sdk))).toBe(true);
    expect(sampled(buildSampler({ name: 'parentbased_always_off' }, sdk))).toBe(false);
  });
});

describe('errors and slow requests kept under sampling', () => {
  /** A provider whose head sampler drops (ratio 0) or keeps (ratio 1) every new trace. */
  function provider(ratio: number, slowMs = DEFAULT_TRACE_SLOW_MS) {
    const exporter = new sdk.InMemorySpanExporter();
    const head = buildSampler({ name: 'parentbased_traceidratio', ratio }, sdk);
    const tp = new sdk.TracerProvider({
      sampler: keepServerSpansRecorded(head),
      spanProcessors: [new KeptSpanProcessor(new sdk.SimpleSpanProcessor({ exporter }), slowMs)],
    });
    const tracer = tp.getTracer('test');
    const exported = () => exporter.getFinishedSpans().map((s) => [s.name, s.attributes['sampling.kept']]);
    return { tracer, exported, tp };
  }

  it('is on by default with a 1 s threshold, configurable, and off for always_off or when switched off', () => {
    const choice = samplerFromEnv({});
    expect(keepErrorsAndSlowFromEnv(choice, {})).toEqual({ slowMs: 1000 });
    expect(keepErrorsAndSlowFromEnv(choice, { TRACE_SLOW_MS: '250' })).toEqual({ slowMs: 250 });
    expect(keepErrorsAndSlowFromEnv(choice, { TRACE_SLOW_MS: 'soon' })).toEqual({ slowMs: 1000 });
    expect(keepErrorsAndSlowFromEnv(choice, { TRACE_KEEP_ERRORS_AND_SLOW: 'false' })).toBeUndefined();
    expect(keepErrorsAndSlowFromEnv({ name: 'parentbased_always_off' }, {})).toBeUndefined();
  });

  it('exports the server span of a dropped request that failed or was slow, and nothing else of it', async () => {
    const { tracer, exported, tp } = provider(0);
    const request = (
      name: string,
      end: (span: ReturnType<typeof tracer.startSpan>) => void,
      startTime?: number,
    ) => {
      const span = tracer.startSpan(name, { kind: SpanKind.SERVER, startTime });
      // Spans inside the request stay non-recording: no cost, never exported.
      const child = tracer.startSpan(
        `${name} db`,
        { kind: SpanKind.CLIENT },
        trace.setSpan(ROOT_CONTEXT, span),
      );
      expect(child.isRecording()).toBe(false);
      child.setStatus({ code: SpanStatusCode.ERROR });
      child.end();
      // The traceparent sent on keeps "not sampled".
      expect(span.spanContext().traceFlags & TraceFlags.SAMPLED).toBe(0);
      end(span);
      span.end();
    };
    request('GET ok', () => {});
    request('GET 404', (s) => s.setAttribute('http.response.status_code', 404));
    request('GET 503', (s) => s.setAttribute('http.response.status_code', 503));
    request('GET boom', (s) => s.setStatus({ code: SpanStatusCode.ERROR }));
    request('GET slow', () => {}, Date.now() - 1500);
    // Not a server span: the head sampler's decision stands.
    const internal = tracer.startSpan('job', { kind: SpanKind.INTERNAL });
    expect(internal.isRecording()).toBe(false);
    internal.end();
    await tp.forceFlush();
    expect(exported()).toEqual([
      ['GET 503', 'error'],
      ['GET boom', 'error'],
      ['GET slow', 'slow'],
    ]);
  });

  it("leaves the kit's own HTTP server spans unrecorded: traceIncoming builds a kept one after the fact", () => {
    const { tracer } = provider(0);
    const http = tracer.startSpan('GET', {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': 'GET' },
    });
    expect(http.isRecording()).toBe(false);
    const grpc = tracer.startSpan('grpc.user.v1.Users/Get', {
      kind: SpanKind.SERVER,
      attributes: { 'rpc.system': 'grpc' },
    });
    expect(grpc.isRecording()).toBe(true);
  });

  it('also keeps a failed server span whose caller did not sample its trace', async () => {
    const { tracer, exported, tp } = provider(0);
    const remote = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: randomBytes(16).toString('hex'),
      spanId: randomBytes(8).toString('hex'),
      traceFlags: TraceFlags.NONE,
      isRemote: true,
    });
    const span = tracer.startSpan('POST /internal', { kind: SpanKind.SERVER }, remote);
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    await tp.forceFlush();
    expect(exported()).toEqual([['POST /internal', 'error']]);
  });

  it('leaves sampled traces as they were: every span exported, unmarked', async () => {
    const { tracer, exported, tp } = provider(1);
    const span = tracer.startSpan('GET ok', { kind: SpanKind.SERVER });
    tracer.startSpan('db', { kind: SpanKind.CLIENT }, trace.setSpan(ROOT_CONTEXT, span)).end();
    span.end();
    await tp.forceFlush();
    expect(exported()).toEqual([
      ['db', undefined],
      ['GET ok', undefined],
    ]);
  });
});
