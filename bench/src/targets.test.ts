import { describe, expect, it } from 'vitest';
import { evaluateTargets, type Measurement } from './targets.ts';

const m = (scenario: string, ratio: number, failed = 0): Measurement => ({
  scenario,
  value: ratio,
  baseline: 1,
  ratio,
  detail: '',
  failed,
});

describe('evaluateTargets', () => {
  it('passes a ratio inside its bounds and misses one outside them', () => {
    const [inside, below, above] = evaluateTargets(
      [m('a', 0.5), m('b', 0.1), m('c', 3)],
      [
        { scenario: 'a', min: 0.4, max: 0.6, why: '' },
        { scenario: 'b', min: 0.2, why: '' },
        { scenario: 'c', max: 2, why: '' },
      ],
    );
    expect(inside).toMatchObject({ ok: true, target: '>= 0.4 <= 0.6' });
    expect(below).toMatchObject({ ok: false, target: '>= 0.2' });
    expect(above).toMatchObject({ ok: false, target: '<= 2' });
  });

  it('misses a scenario with failed requests even when its ratio is fine', () => {
    const [v] = evaluateTargets([m('a', 1, 3)], [{ scenario: 'a', min: 0.5, why: '' }]);
    expect(v!.ok).toBe(false);
  });

  it('reports a scenario without a target and judges it on failures only', () => {
    const [ok, failed] = evaluateTargets([m('x', 0.001), m('y', 1, 1)], []);
    expect(ok).toMatchObject({ ok: true, target: '-' });
    expect(failed!.ok).toBe(false);
  });
});
