/** One scenario's result: a value measured against a baseline from the same run. */
export interface Measurement {
  scenario: string;
  value: number;
  baseline: number;
  ratio: number;
  detail: string;
  /** Requests that did not answer 2xx; any failure misses the target whatever the ratio. */
  failed: number;
}

/** A target on a scenario's ratio: at least `min` and/or at most `max`. */
export interface Target {
  scenario: string;
  min?: number;
  max?: number;
  why: string;
}

export interface Verdict extends Measurement {
  target: string;
  ok: boolean;
}

/** Pairs every measurement with its target; a scenario without a target is reported, never judged. */
export function evaluateTargets(measurements: Measurement[], targets: Target[]): Verdict[] {
  return measurements.map((m) => {
    const t = targets.find((x) => x.scenario === m.scenario);
    if (!t) return { ...m, target: '-', ok: m.failed === 0 };
    const okMin = t.min === undefined || m.ratio >= t.min;
    const okMax = t.max === undefined || m.ratio <= t.max;
    const target = [t.min === undefined ? '' : `>= ${t.min}`, t.max === undefined ? '' : `<= ${t.max}`]
      .filter(Boolean)
      .join(' ');
    return { ...m, target, ok: okMin && okMax && m.failed === 0 && Number.isFinite(m.ratio) };
  });
}
