// `.ci/run` removes the container suites' stacks an interrupted earlier run left behind
// (scripts/remove-leftover-test-stacks.sh) before it starts the suites: a stale stack would hold
// CPU and memory while the next run measures, restarts and drains its own.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE, ensureEngine, repoRoot, run } from './docker.js';

const engine = ensureEngine();
if (!engine.available) console.warn(`[leftover-stacks] SKIPPED: no Docker engine — ${engine.reason}`);
const docker = engine.available ? engine.docker : 'docker';
const script = path.join(repoRoot, 'scripts/remove-leftover-test-stacks.sh');

const projectLabel = (project: string) => `com.docker.compose.project=${project}`;
const containersOf = (project: string) =>
  run(docker, ['ps', '-aq', '--filter', `label=${projectLabel(project)}`]).trim();
const networksOf = (project: string) =>
  run(docker, ['network', 'ls', '-q', '--filter', `label=${projectLabel(project)}`]).trim();

describe.skipIf(!engine.available)('leftover test stacks', () => {
  const hex = randomBytes(3).toString('hex');
  // A left-over suite stack and a stack of the same family whose name the pattern does not match.
  const stale = `shopleft${hex}`;
  const kept = `shopleft${hex}keep`;

  afterAll(() => {
    for (const project of [stale, kept]) {
      const ids = containersOf(project);
      if (ids) run(docker, ['rm', '-fv', ...ids.split('\n')]);
      const nets = networksOf(project);
      if (nets) run(docker, ['network', 'rm', ...nets.split('\n')]);
    }
  });

  it('removes the containers and networks of a matching project and nothing else', () => {
    for (const project of [stale, kept]) {
      run(docker, ['network', 'create', '--label', projectLabel(project), `${project}_default`]);
      run(docker, [
        'run',
        '-d',
        '--label',
        projectLabel(project),
        '--network',
        `${project}_default`,
        BASE_IMAGE,
        'sleep',
        '300',
      ]);
    }
    const output = run('bash', [script], {
      env: { ...process.env, DOCKER: docker, SHOP_TEST_STACKS: '^shopleft[0-9a-f]{6}$' },
    });
    expect(output).toContain(`removing leftover test stack ${stale}`);
    expect(containersOf(stale)).toBe('');
    expect(networksOf(stale)).toBe('');
    expect(containersOf(kept)).not.toBe('');
    expect(networksOf(kept)).not.toBe('');
  });

  it('by default matches exactly the project names the container suites give their stacks', () => {
    const pattern = /default_pattern='([^']+)'/.exec(readFileSync(script, 'utf8'))?.[1];
    expect(pattern).toBeDefined();
    const prefixes = readdirSync(import.meta.dirname)
      .filter((f) => f.endsWith('.test.ts'))
      .flatMap((f) => [
        ...readFileSync(path.join(import.meta.dirname, f), 'utf8').matchAll(
          /project = `(shop[a-z]+)\$\{randomBytes\(3\)/g,
        ),
      ])
      .map((m) => m[1]!);
    expect(prefixes.sort()).toEqual(['shopct', 'shopload', 'shopops', 'shopsf']);
    const re = new RegExp(pattern!);
    for (const prefix of prefixes) expect(re.test(`${prefix}${randomBytes(3).toString('hex')}`)).toBe(true);
    expect(re.test('shop')).toBe(false);
    expect(re.test('shopct-mine')).toBe(false);
  });
});

it('.ci/run removes the leftover stacks before it starts the container suites', () => {
  const ci = readFileSync(path.join(repoRoot, '.ci/run'), 'utf8');
  // The commands as lines of the script (the header comment names them too).
  const cleanup = ci.search(/^\s*bash scripts\/remove-leftover-test-stacks\.sh$/m);
  const suites = ci.search(/^\s*npm run test:containers$/m);
  expect(cleanup).toBeGreaterThan(0);
  expect(suites).toBeGreaterThan(cleanup);
});
