import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGES, loadWorkflow, repoRoot, SERVICES } from './workflow-files.js';

const affectedScript = path.join(repoRoot, '.github/scripts/affected-services.sh');
const overlayScript = path.join(repoRoot, '.github/scripts/set-overlay-images.sh');

function runBash(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; input?: string } = {},
): { status: number; stdout: string; stderr: string } {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
  const r = spawnSync('bash', args, {
    cwd: opts.cwd ?? repoRoot,
    env: { ...env, ...opts.env },
    input: opts.input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('image namespace step (forks push to their own GHCR namespace)', () => {
  const images = loadWorkflow('images.yml');
  const script = images.jobs.plan!.steps!.find((s) => s.id === 'namespace')!.run!;

  function namespaceFor(value: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'shop-ns-'));
    try {
      const output = path.join(dir, 'out');
      writeFileSync(output, '');
      const r = runBash(['-c', script], { env: { IMAGE_NAMESPACE: value, GITHUB_OUTPUT: output } });
      expect(r.status).toBe(0);
      return readFileSync(output, 'utf8').trim();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('lower-cases a mixed-case repository owner, as GHCR requires', () => {
    expect(namespaceFor('Shop-Demo')).toBe('namespace=shop-demo');
  });

  it('keeps an explicit IMAGE_NAMESPACE repository variable', () => {
    expect(namespaceFor('my-fork')).toBe('namespace=my-fork');
  });

  it('resolves to the namespace of the committed manifests for the canonical repository', () => {
    expect(namespaceFor('shop-demo')).toBe('namespace=shop-demo');
  });
});

describe('affected-services.sh', () => {
  let repo: string;
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=ci@example.invalid', '-c', 'user.name=ci', ...args], {
      cwd: repo,
      encoding: 'utf8',
    }).trim();
  const write = (file: string, content: string) => {
    mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    writeFileSync(path.join(repo, file), content);
  };
  const commit = (message: string) => {
    git('add', '-A');
    git('commit', '-q', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  const affected = (env: Record<string, string>) => {
    const r = runBash([affectedScript], { cwd: repo, env: { SERVICES: IMAGES.join(' '), ...env } });
    if (r.status !== 0) throw new Error(`affected-services.sh failed: ${r.stderr}`);
    const line = r.stdout.split('\n').find((l) => l.startsWith('services='));
    return JSON.parse(line!.slice('services='.length)) as string[];
  };

  beforeAll(() => {
    // A miniature copy of the monorepo's shape: the kit, one package only order depends on, four services
    // and the storefront (no workspace dependency).
    repo = mkdtempSync(path.join(tmpdir(), 'shop-affected-'));
    git('init', '-q', '-b', 'main');
    write(
      'package.json',
      JSON.stringify({
        name: 'shop',
        private: true,
        packageManager: 'npm@11.19.1',
        workspaces: ['packages/*', 'services/*'],
        devDependencies: { turbo: '^2.11.11' },
      }),
    );
    write('turbo.json', '{}');
    write('.gitignore', 'node_modules\n');
    write(
      'packages/service-kit/package.json',
      JSON.stringify({ name: '@shop/service-kit', version: '0.1.0' }),
    );
    write('packages/events/package.json', JSON.stringify({ name: '@shop/events', version: '0.1.0' }));
    for (const svc of SERVICES) {
      const deps: Record<string, string> = { '@shop/service-kit': '*' };
      if (svc === 'order') deps['@shop/events'] = '*';
      write(
        `services/${svc}/package.json`,
        JSON.stringify({ name: `@shop/${svc}-service`, dependencies: deps }),
      );
      write(`services/${svc}/src/main.ts`, 'export {};\n');
    }
    write('services/storefront/package.json', JSON.stringify({ name: '@shop/storefront', version: '0.1.0' }));
    write('services/storefront/src/main.tsx', 'export {};\n');
    write('packages/loadgen/package.json', JSON.stringify({ name: '@shop/loadgen', version: '0.1.0' }));
    write('packages/loadgen/src/cli.ts', 'export {};\n');
    // The real turbo, as the workflow's plan job would use it after checkout.
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(repo, 'node_modules'));
    commit('initial');
  });

  afterAll(() => {
    rmSync(repo, { recursive: true, force: true });
  });

  it('builds only the service whose code changed since the previous push', () => {
    const before = git('rev-parse', 'HEAD');
    write('services/product/src/main.ts', 'export const changed = 1;\n');
    commit('product change');
    expect(affected({ EVENT: 'push', REF_TYPE: 'branch', BEFORE: before })).toEqual(['product']);
  });

  it('builds only the storefront when the storefront changed', () => {
    const before = git('rev-parse', 'HEAD');
    write('services/storefront/src/main.tsx', 'export const changed = 1;\n');
    commit('storefront change');
    expect(affected({ EVENT: 'push', REF_TYPE: 'branch', BEFORE: before })).toEqual(['storefront']);
  });

  it('builds only the loadgen image when the load generator changed', () => {
    const before = git('rev-parse', 'HEAD');
    write('packages/loadgen/src/cli.ts', 'export const changed = 1;\n');
    commit('loadgen change');
    expect(affected({ EVENT: 'push', REF_TYPE: 'branch', BEFORE: before })).toEqual(['loadgen']);
  });

  it('builds every service (not the storefront, which does not use it) when the shared kit changed', () => {
    const before = git('rev-parse', 'HEAD');
    write('packages/service-kit/index.ts', 'export {};\n');
    commit('kit change');
    expect(affected({ EVENT: 'push', REF_TYPE: 'branch', BEFORE: before })).toEqual([...SERVICES]);
  });

  it('builds the dependents of a workspace package and nothing else', () => {
    const before = git('rev-parse', 'HEAD');
    write('packages/events/index.ts', 'export {};\n');
    commit('events change');
    expect(affected({ EVENT: 'push', REF_TYPE: 'branch', BEFORE: before })).toEqual(['order']);
  });

  it('builds nothing when no service or its dependencies changed', () => {
    const before = git('rev-parse', 'HEAD');
    write('docs/notes.md', 'hello\n');
    commit('docs');
    expect(affected({ EVENT: 'push', REF_TYPE: 'branch', BEFORE: before })).toEqual([]);
  });

  it('builds everything when the lockfile changed', () => {
    const before = git('rev-parse', 'HEAD');
    write('package-lock.json', '{"lockfileVersion":3}\n');
    commit('lockfile');
    expect(affected({ EVENT: 'push', REF_TYPE: 'branch', BEFORE: before })).toEqual([...IMAGES]);
  });

  it('builds everything when the previous commit is unknown (new branch or force push)', () => {
    expect(affected({ EVENT: 'push', REF_TYPE: 'branch', BEFORE: '0'.repeat(40) })).toEqual([...IMAGES]);
    expect(affected({ EVENT: 'push', REF_TYPE: 'branch', BEFORE: 'f'.repeat(40) })).toEqual([...IMAGES]);
  });

  it('builds everything for a v* tag and for a manual run without a selection', () => {
    expect(affected({ EVENT: 'push', REF_TYPE: 'tag', BEFORE: '' })).toEqual([...IMAGES]);
    expect(affected({ EVENT: 'workflow_dispatch', REF_TYPE: 'branch' })).toEqual([...IMAGES]);
  });

  it('builds exactly the services requested on a manual run and rejects unknown ones', () => {
    expect(affected({ EVENT: 'workflow_dispatch', REQUESTED: 'payment user' })).toEqual(['payment', 'user']);
    const r = runBash([affectedScript], {
      cwd: repo,
      env: { EVENT: 'workflow_dispatch', REQUESTED: 'gateway' },
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown service 'gateway'/);
  });
});

describe('set-overlay-images.sh input validation', () => {
  let overlay: string;
  beforeAll(() => {
    overlay = mkdtempSync(path.join(tmpdir(), 'shop-overlay-'));
    writeFileSync(
      path.join(overlay, 'kustomization.yaml'),
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n',
    );
  });
  afterAll(() => rmSync(overlay, { recursive: true, force: true }));

  const run = (...args: string[]) => runBash([overlayScript, ...args]);

  it('rejects a tag that is not a valid image tag (manual input reaches a shell)', () => {
    const r = run(overlay, 'shop-demo', 'main;rm -rf /', 'user');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/invalid image tag/);
  });

  it('rejects an upper-case or malformed namespace', () => {
    expect(run(overlay, 'Shop-Demo', 'abc', 'user').stderr).toMatch(/invalid image namespace/);
    expect(run(overlay, 'a/b', 'abc', 'user').stderr).toMatch(/invalid image namespace/);
  });

  it('rejects an unknown service and a directory without kustomization.yaml', () => {
    expect(run(overlay, 'shop-demo', 'abc', 'gateway').stderr).toMatch(/unknown service 'gateway'/);
    expect(run(path.join(overlay, 'missing'), 'shop-demo', 'abc', 'user').stderr).toMatch(
      /no kustomization\.yaml/,
    );
  });

  it('prints usage when arguments are missing', () => {
    const r = run(overlay, 'shop-demo');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/usage:/);
  });
});
