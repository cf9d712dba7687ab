/** One row of the bench: Shop's figure next to its baseline measured in the same run. */
export interface Row {
  scenario: string;
  /** What `shop` and `baseline` are (req/s, ms, MiB, CPU-ms/req…). */
  unit: string;
  /** Median over the rounds. */
  shop: number;
  /** Median of the baseline over the same rounds (NaN when the row has none). */
  baseline: number;
  /** shop / baseline. */
  ratio: number;
  /** (max − min) / median of the per-round ratios (or values). */
  spread: number;
  /** What the baseline is and any further figures, for humans. */
  detail: string;
  /** Requests/orders that failed; any failure misses the target. */
  failed: number;
}

/**
 * A target on a row: `on: "ratio"` (default) judges shop/baseline, `on: "value"` judges Shop's own
 * figure (latencies, CPU-ms, MiB). At least `min` and/or at most `max`.
 */
export interface Target {
  scenario: string;
  on?: 'ratio' | 'value';
  min?: number;
  max?: number;
  why: string;
}

export interface Verdict extends Row {
  target: string;
  ok: boolean;
  /** How far off the target is, ≥ 1 when missed (judged / bound or bound / judged); 0 when met or untargeted. */
  miss: number;
  why: string;
  /** What the target judges. */
  on: 'ratio' | 'value';
}

/** Pairs every row with its target; a row without a target is reported, never judged. */
export function evaluateTargets(rows: Row[], targets: Target[]): Verdict[] {
  return rows.map((r) => {
    const t = targets.find((x) => x.scenario === r.scenario);
    if (!t) return { ...r, target: '-', ok: r.failed === 0, miss: 0, why: '', on: 'ratio' };
    const on = t.on ?? 'ratio';
    const judged = on === 'ratio' ? r.ratio : r.shop;
    let miss = 0;
    if (t.min !== undefined && !(judged >= t.min)) miss = Math.max(miss, t.min / judged);
    if (t.max !== undefined && !(judged <= t.max)) miss = Math.max(miss, judged / t.max);
    if (!Number.isFinite(judged)) miss = Number.POSITIVE_INFINITY;
    const label = on === 'ratio' ? 'ratio' : r.unit;
    const target = [
      t.min === undefined ? '' : `${label} >= ${t.min}`,
      t.max === undefined ? '' : `${label} <= ${t.max}`,
    ]
      .filter(Boolean)
      .join(', ');
    return { ...r, target, ok: miss === 0 && r.failed === 0, miss, why: t.why, on };
  });
}

/** The missed target furthest from its bound (the scenario `--profile` looks at), if any. */
export function worst(verdicts: Verdict[]): Verdict | undefined {
  return verdicts.filter((v) => !v.ok).sort((a, b) => b.miss - a.miss)[0];
}
