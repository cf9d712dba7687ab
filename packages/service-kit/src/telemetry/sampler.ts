import type { Sampler } from '@opentelemetry/sdk-trace';

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
