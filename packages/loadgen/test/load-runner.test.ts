import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { LoadSetupError, runLoad } from '../src/load-runner.js';
import { type LoadOptions, tolerateRetryAfter503 } from '../src/options.js';
import { summaryTable } from '../src/report.js';
import {
  type CatalogServer,
  type CatalogServerOptions,
  startCatalogServer,
} from './support/catalog-server.js';

const exec = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let server: CatalogServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function load(serverOptions: CatalogServerOptions, options: Partial<LoadOptions>) {
  server = await startCatalogServer(serverOptions);
  return runLoad({
    target: server.url,
    arrivalRate: 200,
    maxJourneys: 10,
    durationMs: 20_000,
    mix: { browse: 1, search: 1 },
    thinkTime: { distribution: 'none' },
    seed: 1,
    ...options,
  });
}

describe('runLoad', () => {
  it('runs browse and search journeys to completion and times every step', async () => {
    const result = await load({}, {});
    expect(result).toMatchObject({ passed: true, stoppedBy: 'maxJourneys' });
    expect(result.journeys).toMatchObject({ started: 10, completed: 10, failed: 0 });
    expect(Object.keys(result.steps)).toEqual(
      expect.arrayContaining([
        'setup.catalog',
        'browse.home',
        'browse.product',
        'search.query',
        'search.next-page',
      ]),
    );
    expect(result.totals.requests).toBe(server!.requests);
    expect(result.totals.statusCounts).toEqual({ '200': server!.requests });
  });

  it('counts 5xx answers as errors: the run fails on the default budget of 0 and passes within a larger one', async () => {
    const failed = await load({ productStatus: 500 }, { mix: { browse: 1 } });
    expect(failed.passed).toBe(false);
    expect(failed.totals.errors).toBe(10);
    expect(failed.steps['browse.product']!.statusCounts).toEqual({ '500': 10 });
    expect(failed.steps['browse.product']!.errorCounts).toEqual({ '500': 10 });
    expect(failed.totals.errorCounts).toEqual({ '500': 10 });
    expect(failed.journeys.failed).toBe(10);
    expect(failed.errorSamples[0]).toMatchObject({ step: 'browse.product', status: '500' });
    expect(failed.errorSamples[0]!.detail).toMatch(/GET \/api\/v1\/products\/\d+: boom/);
    expect(summaryTable(failed)).toMatch(/FAILED: 10 errors exceed the budget of 0/);
    await server!.close();
    server = undefined;
    const tolerated = await load({ productStatus: 500 }, { mix: { browse: 1 }, errorBudget: 10 });
    expect(tolerated.passed).toBe(true);
    expect(summaryTable(tolerated)).toMatch(/PASSED: 10 errors within the budget of 10/);
  });

  it('retries a 503 with Retry-After that the caller tolerates, counting it as expected rather than as an error', async () => {
    const result = await load(
      { unavailableFirst: 2 },
      { mix: { browse: 1 }, maxJourneys: 4, classify: tolerateRetryAfter503 },
    );
    expect(result.totals.errors).toBe(0);
    expect(result.totals.expected).toBe(2);
    expect(result.steps['browse.product']!.statusCounts['503']).toBe(2);
    expect(result.totals.errorCounts).toEqual({});
    expect(result.journeys.completed).toBe(4);
  });

  it('is an open model: journeys keep arriving on schedule while earlier ones still wait for slow answers', async () => {
    const result = await load({ delayMs: 150 }, { maxJourneys: 12 });
    expect(result.journeys.completed).toBe(12);
    // A closed loop with one user would never have more than one request open.
    expect(server!.maxConcurrent).toBeGreaterThanOrEqual(4);
  });

  it('drops arrivals beyond maxInFlight and counts each as an error', async () => {
    const result = await load({ delayMs: 100 }, { maxInFlight: 2, maxJourneys: 12 });
    expect(result.journeys.dropped).toBeGreaterThan(0);
    expect(result.journeys.started + result.journeys.dropped).toBe(12);
    expect(result.steps['arrivals.dropped']!.count).toBe(result.journeys.dropped);
    expect(result.totals.errors).toBe(result.journeys.dropped);
    expect(result.totals.errorCounts).toEqual({ dropped: result.journeys.dropped });
    expect(result.passed).toBe(false);
  });

  it('stops at once when the caller aborts: running journeys are interrupted, not errors', async () => {
    const stop = new AbortController();
    const result = await load(
      { delayMs: 100 },
      {
        arrivalRate: 50,
        maxJourneys: 1000,
        signal: stop.signal,
        progressIntervalMs: 50,
        onProgress: (s) => {
          if (s.journeys.started >= 3) stop.abort();
        },
      },
    );
    expect(result.stoppedBy).toBe('signal');
    expect(result.journeys.started).toBeLessThan(1000);
    expect(result.journeys.interrupted).toBeGreaterThan(0);
    expect(result.totals.errors).toBe(0);
  });

  it('refuses a target with an empty catalog and an unreachable one, with the failed request as a sample', async () => {
    await expect(load({ products: 0 }, {})).rejects.toThrow(/catalog is empty/);
    await server!.close();
    const unreachable = server!.url;
    server = undefined;
    const err = await runLoad({
      target: unreachable,
      arrivalRate: 1,
      maxJourneys: 1,
      mix: { browse: 1 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LoadSetupError);
    expect((err as LoadSetupError).errorSamples[0]).toMatchObject({
      step: 'setup.catalog',
      status: 'network',
    });
  });
});

describe('CLI exit codes', () => {
  it('exits 2 on a bad option and 3 when the target cannot be used', async () => {
    const bad = await exec(process.execPath, [CLI, '--rate', 'fast']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((bad as { code: number }).code).toBe(2);
    expect((bad as { stderr: string }).stderr).toMatch(/--rate: "fast" is not a number/);
    server = await startCatalogServer({ products: 0 });
    const empty = await exec(process.execPath, [
      CLI,
      '--target',
      server.url,
      '--journeys',
      '1',
      '--progress',
      'off',
    ]).catch((e: { code: number; stderr: string }) => e);
    expect((empty as { code: number }).code).toBe(3);
    expect((empty as { stderr: string }).stderr).toMatch(/the target cannot be used: the catalog is empty/);
  });

  it('exits 0 with --help', async () => {
    const { stdout } = await exec(process.execPath, [CLI, '--help']);
    expect(stdout).toMatch(/Usage: shop-loadgen/);
  });
});
