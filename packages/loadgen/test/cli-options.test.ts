import { describe, expect, it } from 'vitest';
import { DEV_ADMIN, DEV_SERVICES, parseCli, parseDuration, parseWeights } from '../src/cli-options.js';

describe('CLI flags and environment', () => {
  it('parses durations with units, bare seconds meaning seconds', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5')).toBe(1500);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
  });

  it('parses name=weight lists and rejects negative or missing weights', () => {
    expect(parseWeights('browse=4, checkout=1', '--mix')).toEqual({ browse: 4, checkout: 1 });
    expect(() => parseWeights('browse', '--mix')).toThrow(/name=weight/);
    expect(() => parseWeights('browse=-1', '--mix')).toThrow(/name=weight/);
  });

  it('takes every knob from the environment, and flags win over it', () => {
    const env = {
      LOAD_TARGET: 'http://gateway:8080',
      LOAD_RATE: '12',
      LOAD_DURATION: '45s',
      LOAD_JOURNEYS: '300',
      LOAD_MIX: 'browse=1,checkout=2',
      LOAD_USERS: '7',
      LOAD_THINK: 'uniform:10:20',
      LOAD_ERROR_BUDGET: '3',
      LOAD_SEED: '99',
      LOAD_PAYMENT_METHODS: 'tok_success=9,tok_decline=1',
    };
    const fromEnv = parseCli([], env);
    expect(fromEnv.autoTarget).toBe(false);
    expect(fromEnv.options).toMatchObject({
      target: 'http://gateway:8080',
      arrivalRate: 12,
      durationMs: 45_000,
      maxJourneys: 300,
      mix: { browse: 1, checkout: 2 },
      users: 7,
      thinkTime: { distribution: 'uniform', minMs: 10, maxMs: 20 },
      errorBudget: 3,
      seed: 99,
      paymentMethods: { tok_success: 9, tok_decline: 1 },
    });
    const flags = parseCli(['--rate', '2', '--error-budget', '0', '--target', 'http://other:1'], env);
    expect(flags.options).toMatchObject({ target: 'http://other:1', arrivalRate: 2, errorBudget: 0 });
  });

  it('bounds a run by 30 s when neither duration nor journeys is given, and by journeys alone when only that is', () => {
    expect(parseCli([], {}).options.durationMs).toBe(30_000);
    const onlyCount = parseCli(['--journeys', '200'], {}).options;
    expect(onlyCount.maxJourneys).toBe(200);
    expect(onlyCount.durationMs).toBeUndefined();
  });

  it('--dev targets the npm run dev ports and per-service URLs override single services', () => {
    const s = parseCli(['--dev', '--order-url', 'http://127.0.0.1:9999'], {});
    expect(s.options.services).toEqual({ ...DEV_SERVICES, order: 'http://127.0.0.1:9999' });
    expect(s.autoTarget).toBe(false);
    expect(parseCli([], {}).autoTarget).toBe(true);
  });

  it('uses the dev-only admin for restock on loopback only; elsewhere restock is skipped with a notice', () => {
    expect(parseCli(['--target', 'http://127.0.0.1:8080'], {}).options.admin).toEqual(DEV_ADMIN);
    const remote = parseCli(['--target', 'http://gateway:8080'], {});
    expect(remote.options.admin).toBeUndefined();
    expect(remote.options.mix?.restock).toBe(0);
    expect(remote.notices.join()).toMatch(/restock journeys skipped/);
    const withEnv = parseCli(['--target', 'http://gateway:8080'], {
      ADMIN_USERNAME: 'root',
      ADMIN_PASSWORD: 'pw',
    });
    expect(withEnv.options.admin).toEqual({ username: 'root', password: 'pw' });
    expect(withEnv.options.mix?.restock).toBeGreaterThan(0);
  });

  it('rejects an unknown journey, an unknown flag and a bad progress mode', () => {
    expect(() => parseCli(['--mix', 'shoplift=1'], {})).toThrow(/unknown journey "shoplift"/);
    expect(() => parseCli(['--frobnicate'], {})).toThrow(/Unknown option/);
    expect(() => parseCli(['--progress', 'loud'], {})).toThrow(/not one of auto, tty, line, off/);
  });
});
