// Seedable randomness: the same seed gives the same arrivals, journey mix and think times, so a run that
// found a problem can be replayed with the same traffic shape.

/** A uniform [0, 1) source. */
export type Random = () => number;

/** mulberry32: tiny, fast and good enough for traffic shaping (not for anything secret). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An exponentially distributed value with the given mean (inter-arrival times of a Poisson process). */
export function exponential(random: Random, mean: number): number {
  // 1 - u is in (0, 1], so the logarithm is finite.
  return -Math.log(1 - random()) * mean;
}

/** Picks a key with probability proportional to its weight; weights ≤ 0 are never picked. */
export function weightedPick<K extends string>(random: Random, weights: Readonly<Record<K, number>>): K {
  const entries = (Object.entries(weights) as [K, number][]).filter(([, w]) => w > 0);
  if (entries.length === 0) throw new Error('weightedPick: no positive weight');
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let x = random() * total;
  for (const [key, weight] of entries) {
    x -= weight;
    if (x < 0) return key;
  }
  return entries[entries.length - 1]![0];
}

/** How long a shopper pauses between two steps of a journey. */
export type ThinkTime =
  | { distribution: 'none' }
  | { distribution: 'fixed'; ms: number }
  | { distribution: 'uniform'; minMs: number; maxMs: number }
  /** Exponential with `meanMs`, cut at `maxMs` so one unlucky draw cannot hold a journey for minutes. */
  | { distribution: 'exponential'; meanMs: number; maxMs: number };

/** One think-time draw in milliseconds. */
export function drawThinkTime(random: Random, think: ThinkTime): number {
  switch (think.distribution) {
    case 'none':
      return 0;
    case 'fixed':
      return think.ms;
    case 'uniform':
      return think.minMs + random() * (think.maxMs - think.minMs);
    case 'exponential':
      return Math.min(exponential(random, think.meanMs), think.maxMs);
  }
}

/** Parses `exp:500:3000`, `uniform:100:900`, `fixed:250`, `none`, or a bare mean in ms (exponential, max 5×). */
export function parseThinkTime(text: string): ThinkTime {
  const [kind, a, b] = text.trim().split(':');
  const num = (v: string | undefined, what: string) => {
    const n = Number(v);
    if (v === undefined || v === '' || !Number.isFinite(n) || n < 0)
      throw new Error(`think time "${text}": ${what} must be a number of milliseconds ≥ 0`);
    return n;
  };
  if (kind === 'none') return { distribution: 'none' };
  if (kind === 'fixed') return { distribution: 'fixed', ms: num(a, 'the duration') };
  if (kind === 'uniform') {
    const minMs = num(a, 'the minimum');
    const maxMs = num(b, 'the maximum');
    if (maxMs < minMs) throw new Error(`think time "${text}": maximum below minimum`);
    return { distribution: 'uniform', minMs, maxMs };
  }
  if (kind === 'exp' || kind === 'exponential') {
    const meanMs = num(a, 'the mean');
    return {
      distribution: 'exponential',
      meanMs,
      maxMs: b === undefined ? meanMs * 5 : num(b, 'the maximum'),
    };
  }
  const meanMs = num(kind, 'the mean');
  return meanMs === 0 ? { distribution: 'none' } : { distribution: 'exponential', meanMs, maxMs: meanMs * 5 };
}
