import { describe, expect, it } from 'vitest';
import { drawThinkTime, exponential, parseThinkTime, seededRandom, weightedPick } from '../src/random.js';

describe('traffic shaping', () => {
  it('replays the same sequence for the same seed and a different one for another seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const first = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(first);
    expect(Array.from({ length: 5 }, c)).not.toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('picks journeys in proportion to their weights and never one of weight 0', () => {
    const random = seededRandom(1);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 20_000; i++) counts[weightedPick(random, { a: 3, b: 1, c: 0 })]!++;
    expect(counts.c).toBe(0);
    expect(counts.a! / counts.b!).toBeGreaterThan(2.7);
    expect(counts.a! / counts.b!).toBeLessThan(3.3);
    expect(() => weightedPick(random, { a: 0 })).toThrow(/no positive weight/);
  });

  it('draws exponential inter-arrival times with the requested mean', () => {
    const random = seededRandom(9);
    const n = 20_000;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += exponential(random, 200);
    expect(sum / n).toBeGreaterThan(190);
    expect(sum / n).toBeLessThan(210);
  });

  it('caps exponential think times at their maximum and keeps uniform ones in range', () => {
    const random = seededRandom(3);
    const exp = { distribution: 'exponential', meanMs: 1000, maxMs: 1500 } as const;
    const uni = { distribution: 'uniform', minMs: 10, maxMs: 20 } as const;
    for (let i = 0; i < 2000; i++) {
      expect(drawThinkTime(random, exp)).toBeLessThanOrEqual(1500);
      const u = drawThinkTime(random, uni);
      expect(u).toBeGreaterThanOrEqual(10);
      expect(u).toBeLessThan(20);
    }
    expect(drawThinkTime(random, { distribution: 'none' })).toBe(0);
    expect(drawThinkTime(random, { distribution: 'fixed', ms: 7 })).toBe(7);
  });

  it('parses think-time specs and rejects malformed ones', () => {
    expect(parseThinkTime('exp:500:3000')).toEqual({ distribution: 'exponential', meanMs: 500, maxMs: 3000 });
    expect(parseThinkTime('exp:200')).toEqual({ distribution: 'exponential', meanMs: 200, maxMs: 1000 });
    expect(parseThinkTime('800')).toEqual({ distribution: 'exponential', meanMs: 800, maxMs: 4000 });
    expect(parseThinkTime('uniform:100:900')).toEqual({ distribution: 'uniform', minMs: 100, maxMs: 900 });
    expect(parseThinkTime('fixed:250')).toEqual({ distribution: 'fixed', ms: 250 });
    expect(parseThinkTime('none')).toEqual({ distribution: 'none' });
    expect(parseThinkTime('0')).toEqual({ distribution: 'none' });
    expect(() => parseThinkTime('uniform:9:1')).toThrow(/maximum below minimum/);
    expect(() => parseThinkTime('exp:-1')).toThrow(/mean must be/);
    expect(() => parseThinkTime('sometimes')).toThrow(/must be a number/);
  });
});
