import { randomBytes } from 'node:crypto';
import { context, ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import * as sdk from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { buildSampler, DEFAULT_TRACE_RATIO, samplerFromEnv } from '../src/telemetry/sampler.js';

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
