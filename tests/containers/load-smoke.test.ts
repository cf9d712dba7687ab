// The load-generator smoke gate on the compose stack, as a user runs it:
//   docker compose --profile load up   (service `loadgen`, image from the root Dockerfile's `loadgen` target)
// ≥ 200 shopper journeys of every kind through the gateway with 0 errors — Online Boutique's PR gate.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { LoadResult } from '@shop/loadgen';
import { getFreePort } from '@shop/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildImage,
  ensureEngine,
  inspectContainer,
  projectContainers,
  run,
  SERVICES,
  waitFor,
} from './docker.js';

const engine = ensureEngine();
if (!engine.available) console.warn(`[load-smoke] SKIPPED: no Docker engine — ${engine.reason}`);
const docker = engine.available ? engine.docker : 'docker';
const composeCmd = engine.available ? engine.compose : ['docker-compose'];

const TAG = `loadsmoke-${randomBytes(4).toString('hex')}`;
const JOURNEYS = 200;

describe.skipIf(!engine.available)('load generator smoke on the compose stack (profile load)', () => {
  const project = `shopload${randomBytes(3).toString('hex')}`;
  const built: string[] = [];
  let env: NodeJS.ProcessEnv = {};
  let exitCode = -1;
  let result: LoadResult;
  let summary = '';
  const compose = (...args: string[]) =>
    run(composeCmd[0]!, [...composeCmd.slice(1), '-p', project, '-f', 'docker-compose.yml', ...args], {
      env,
      timeout: 900_000,
    });

  beforeAll(async () => {
    // The same builds as the container suite (BuildKit reuses its stages), the storefront the gateway
    // serves at / (compose's depends_on), plus the loadgen target.
    const labels = { revision: 'loadsmoke', version: '0.0.0-loadsmoke' };
    for (const image of [...SERVICES, 'storefront', 'loadgen'] as const)
      built.push(buildImage(docker, image, TAG, labels));

    env = {
      ...process.env,
      SHOP_TAG: TAG,
      GATEWAY_PORT: String(await getFreePort()),
      COMPOSE_HTTP_TIMEOUT: '300',
      // Bounded in count and time; results as JSON on stdout, the table on stderr.
      LOAD_RATE: '10',
      LOAD_JOURNEYS: String(JOURNEYS),
      LOAD_DURATION: '120s',
      LOAD_THINK: 'exp:200:1000',
      LOAD_USERS: '10',
      LOAD_ERROR_BUDGET: '0',
      LOAD_JSON: '-',
    };
    compose('--profile', 'load', 'up', '-d', '--no-build');
    const loadgen = await waitFor(
      'the loadgen container to finish',
      async () => {
        const c = (await projectContainers(project)).find(
          (x) => x.Labels['com.docker.compose.service'] === 'loadgen',
        );
        if (!c) return undefined;
        const state = await inspectContainer(c.Id);
        return state.State.Status === 'exited' ? { id: c.Id, code: state.State.ExitCode } : undefined;
      },
      { timeoutMs: 600_000, intervalMs: 1000 },
    );
    exitCode = loadgen.code;
    // docker logs keeps the container's streams apart: JSON results on stdout, progress and table on stderr.
    const logs = spawnSync(docker, ['logs', loadgen.id], { encoding: 'utf8', maxBuffer: 64 << 20 });
    summary = logs.stderr;
    result = JSON.parse(logs.stdout) as LoadResult;
  });

  afterAll(() => {
    try {
      compose('--profile', 'load', 'down', '-v', '--remove-orphans', '--timeout', '10');
    } finally {
      if (built.length > 0) run(docker, ['rmi', ...built]);
    }
  });

  it(`runs ${JOURNEYS} journeys of every kind through the gateway with 0 errors and exits 0`, () => {
    console.log(`[load-smoke] loadgen summary (docker logs, stderr):\n${summary}`);
    expect(exitCode, summary.slice(-4000)).toBe(0);
    expect(result.passed).toBe(true);
    expect(result.settings.target).toBe('http://gateway:8080');
    expect(result.journeys.started).toBe(JOURNEYS);
    expect(result.journeys.completed).toBe(JOURNEYS);
    expect(result.totals.errors).toBe(0);
    for (const journey of ['browse', 'search', 'signup', 'checkout', 'cancel', 'restock'])
      expect(result.journeys.byJourney[journey]?.completed, journey).toBeGreaterThan(0);
    expect(Object.keys(result.totals.statusCounts).every((s) => /^[1234]\d\d$/.test(s))).toBe(true);
  });

  it('every order it placed reached its final state: checkouts PAID, cancellations REFUNDED', () => {
    expect(result.orders.length).toBeGreaterThan(0);
    expect(result.orders.every((o) => o.final)).toBe(true);
    expect(new Set(result.orders.filter((o) => o.journey === 'checkout').map((o) => o.status))).toEqual(
      new Set(['PAID']),
    );
    expect(new Set(result.orders.filter((o) => o.journey === 'cancel').map((o) => o.status))).toEqual(
      new Set(['REFUNDED']),
    );
  });

  it('prints a progress line and the per-step summary table in its logs', () => {
    expect(summary).toMatch(/\[loadgen\] target: gateway http:\/\/gateway:8080/);
    expect(summary).toMatch(/j\/s .* req\/s \| journeys \d+ started/);
    expect(summary).toMatch(/│\s*checkout\.order\s*│/);
    expect(summary).toMatch(/PASSED: 0 errors within the budget of 0/);
  });
});
