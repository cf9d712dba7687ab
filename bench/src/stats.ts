// Pure helpers of the bench: medians and spread over interleaved rounds. No I/O here (unit-tested).

/** Median of the finite values (NaN when there are none). */
export function median(values: number[]): number {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}

/** Spread of the rounds around their median: (max − min) / median, 0 for a single round. */
export function spread(values: number[]): number {
  const xs = values.filter(Number.isFinite);
  const m = median(xs);
  if (xs.length < 2 || !m) return 0;
  return (Math.max(...xs) - Math.min(...xs)) / Math.abs(m);
}

/** Percentile (nearest rank) of a sample, p in [0, 100]. */
export function percentile(values: number[], p: number): number {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const rank = Math.min(xs.length, Math.max(1, Math.ceil((p / 100) * xs.length)));
  return xs[rank - 1]!;
}

/** Round-robin order for round `round`: even rounds run the variants as given, odd rounds reversed. */
export function interleave<T>(variants: T[], round: number): T[] {
  return round % 2 === 0 ? [...variants] : [...variants].reverse();
}

/** CPU-ms from two /proc/<pid>/stat samples (utime + stime in clock ticks, 100 Hz on Linux). */
export function cpuMsFromStat(stat: string, ticksPerSecond = 100): number {
  // The command name (field 2) may contain spaces and parentheses: fields count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / ticksPerSecond;
}
