import { describe, expect, it } from 'vitest';
import { cpuMsFromStat, interleave, median, percentile, spread } from './stats.ts';
import { evaluateTargets, type Row, worst } from './targets.ts';

const row = (scenario: string, ratio: number, shop = ratio, failed = 0): Row => ({
  scenario,
  unit: 'req/s',
  shop,
  baseline: shop / ratio,
  ratio,
  spread: 0,
  detail: '',
  failed,
});

describe('evaluateTargets', () => {
  it('passes a ratio inside its bounds and misses one outside them', () => {
    const [inside, below, above] = evaluateTargets(
      [row('a', 0.5), row('b', 0.1), row('c', 3)],
      [
        { scenario: 'a', min: 0.4, max: 0.6, why: '' },
        { scenario: 'b', min: 0.2, why: '' },
        { scenario: 'c', max: 2, why: '' },
      ],
    );
    expect(inside!.ok).toBe(true);
    expect(inside!.miss).toBe(0);
    expect(below!.ok).toBe(false);
    expect(below!.miss).toBeCloseTo(2);
    expect(above!.ok).toBe(false);
    expect(above!.miss).toBeCloseTo(1.5);
  });

  it('judges the value itself when the target says so (latency, CPU-ms, MiB)', () => {
    const [fast, slow] = evaluateTargets(
      [row('p50', 0.1, 150), row('p99', 0.1, 1500)],
      [
        { scenario: 'p50', on: 'value', max: 200, why: '' },
        { scenario: 'p99', on: 'value', max: 1000, why: '' },
      ],
    );
    expect(fast!.ok).toBe(true);
    expect(slow!.ok).toBe(false);
    expect(slow!.target).toBe('req/s <= 1000');
  });

  it('misses on any failed request, or a ratio that could not be measured', () => {
    const [failed, nan] = evaluateTargets(
      [row('a', 0.5, 0.5, 1), row('b', Number.NaN)],
      [
        { scenario: 'a', min: 0.1, why: '' },
        { scenario: 'b', min: 0.1, why: '' },
      ],
    );
    expect(failed!.ok).toBe(false);
    expect(nan!.ok).toBe(false);
  });

  it('reports a row without a target without judging it, and names the worst miss', () => {
    const verdicts = evaluateTargets(
      [row('x', 0.01), row('b', 0.1), row('c', 0.05)],
      [
        { scenario: 'b', min: 0.2, why: '' },
        { scenario: 'c', min: 0.2, why: '' },
      ],
    );
    expect(verdicts[0]!.target).toBe('-');
    expect(verdicts[0]!.ok).toBe(true);
    expect(worst(verdicts)!.scenario).toBe('c');
  });
});

describe('stats', () => {
  it('takes medians and spreads of rounds', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(spread([90, 100, 110])).toBeCloseTo(0.2);
    expect(spread([5])).toBe(0);
  });

  it('takes nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
  });

  it('interleaves variants, reversing every other round', () => {
    expect(interleave(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c']);
    expect(interleave(['a', 'b', 'c'], 1)).toEqual(['c', 'b', 'a']);
  });

  it('reads utime + stime from /proc/<pid>/stat, even with a command name holding spaces', () => {
    const stat =
      '1234 (node main (x)) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 500 1000000 5000 18446744073709551615';
    expect(cpuMsFromStat(stat)).toBe(3000);
  });
});
