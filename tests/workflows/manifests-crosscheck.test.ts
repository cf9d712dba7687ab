import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import {
  CANONICAL_NAMESPACE,
  chartOf,
  DEPLOYED,
  deploymentOf,
  evaluateTemplate,
  globToRegExp,
  IMAGES,
  loadWorkflow,
  loadYamlDocuments,
  repoRoot,
} from './workflow-files.js';

// These checks compare the workflows with the Kubernetes manifests, written in parallel by the k8s
// side of the project. Until those directories exist there is nothing to compare against.
const overlaysDir = path.join(repoRoot, 'k8s/overlays');
const argocdDir = path.join(repoRoot, 'k8s/argocd');
const helmDir = path.join(repoRoot, 'helm');
const ENVIRONMENTS = ['dev', 'staging', 'production'];
// The cross-checks below need these to exist; a missing one is a failure, never a skip.
describe('manifests the workflows refer to', () => {
  it('has every overlay, the ArgoCD folder and every service and storefront chart', () => {
    for (const e of ENVIRONMENTS)
      expect(existsSync(path.join(overlaysDir, e, 'kustomization.yaml')), e).toBe(true);
    expect(existsSync(argocdDir)).toBe(true);
    for (const s of DEPLOYED)
      expect(existsSync(path.join(helmDir, `${chartOf(s)}/values.yaml`)), s).toBe(true);
  });
});

const images = loadWorkflow('images.yml');
/** What images.yml pushes for `service` when the repository owner is shop-demo. */
function pushedImage(service: string): string {
  return evaluateTemplate(images.jobs.image!.env!.IMAGE!, {
    'needs.plan.outputs.namespace': CANONICAL_NAMESPACE,
    'matrix.service': service,
  });
}
const pushed = IMAGES.map(pushedImage);

type KustomizeImage = { name: string; newName?: string; newTag?: string; digest?: string };
function overlayImages(env: string): KustomizeImage[] {
  const k = parse(readFileSync(path.join(overlaysDir, env, 'kustomization.yaml'), 'utf8')) as {
    images?: KustomizeImage[];
  };
  return k.images ?? [];
}

/** kubectl >= 1.34 as scripts/ensure-helm.sh provides it (PATH, or extracted from the npm layer package). */
function findKubectl(): string | undefined {
  const out = execFileSync('bash', [path.join(repoRoot, 'scripts/ensure-helm.sh')], { encoding: 'utf8' });
  return /^KUBECTL=(.+)$/m.exec(out)?.[1];
}

describe('image names: workflows vs Kustomize overlays', () => {
  it('pushes ghcr.io/shop-demo/shop-<svc> (and shop-storefront) for the canonical repository', () => {
    expect(pushed).toEqual(IMAGES.map((s) => `ghcr.io/shop-demo/shop-${s}`));
  });

  it.each(ENVIRONMENTS)('the %s overlay has an images: entry for exactly the pushed images', (env) => {
    const entries = overlayImages(env);
    expect(entries.map((i) => i.name).sort()).toEqual([...pushed].sort());
    for (const entry of entries) {
      if (entry.newName !== undefined) expect(pushed).toContain(entry.newName);
    }
  });
});

describe('image names: workflows vs Helm values', () => {
  it('the load generator of the shop chart and of k8s/components/loadgen is the pushed shop-loadgen', () => {
    const values = parse(readFileSync(path.join(helmDir, 'shop/values.yaml'), 'utf8')) as {
      loadgen?: { image?: string };
    };
    expect(values.loadgen?.image?.replace(/:[^:/]+$/, '')).toBe(pushedImage('loadgen'));
    const component = readFileSync(path.join(repoRoot, 'k8s/components/loadgen/loadgen.yaml'), 'utf8');
    expect(component).toContain(`image: ${pushedImage('loadgen')}:`);
  });

  it.each(DEPLOYED)('the values.yaml of the %s chart has the pushed image as image.repository', (svc) => {
    const values = parse(readFileSync(path.join(helmDir, `${chartOf(svc)}/values.yaml`), 'utf8')) as {
      image?: { repository?: string };
    };
    expect(values.image?.repository).toBe(pushedImage(svc));
  });
});

describe('promotion targets what ArgoCD watches (needs k8s/argocd)', () => {
  const appSets = loadYamlDocuments(argocdDir).filter(({ doc }) => doc.kind === 'ApplicationSet');
  const watched = appSets.flatMap(({ doc }) => {
    const generators = ((doc.spec as { generators?: unknown[] })?.generators ?? []) as Array<
      Record<string, unknown>
    >;
    const flat = generators.flatMap((g) => {
      // matrix/merge generators nest their children
      const nested = (g.matrix ?? g.merge) as { generators?: Array<Record<string, unknown>> } | undefined;
      return nested?.generators ?? [g];
    });
    return flat.flatMap((g) => {
      const dirs = (g.git as { directories?: Array<{ path: string; exclude?: boolean }> } | undefined)
        ?.directories;
      return (dirs ?? []).filter((d) => !d.exclude).map((d) => globToRegExp(d.path));
    });
  });
  const isWatched = (dir: string) => watched.some((re) => re.test(dir));

  it('finds an ApplicationSet with a git directory generator', () => {
    expect(watched.length).toBeGreaterThan(0);
  });

  it('the dev promotion of images.yml edits an overlay the ApplicationSet syncs', () => {
    const overlay = images.jobs['promote-dev']!.env!.OVERLAY!;
    expect(isWatched(overlay)).toBe(true);
    expect(existsSync(path.join(repoRoot, overlay, 'kustomization.yaml'))).toBe(true);
  });

  it('every environment promote.yml can choose is an overlay the ApplicationSet syncs', () => {
    const promote = loadWorkflow('promote.yml');
    const template = promote.jobs['pull-request']!.env!.OVERLAY!;
    const inputs = (promote.on.workflow_dispatch as { inputs: { environment: { options: string[] } } })
      .inputs;
    for (const env of inputs.environment.options) {
      const overlay = evaluateTemplate(template, { 'inputs.environment': env });
      expect(isWatched(overlay), overlay).toBe(true);
      expect(existsSync(path.join(repoRoot, overlay, 'kustomization.yaml')), overlay).toBe(true);
    }
  });
});

describe('a promoted overlay renders the new images', () => {
  let work: string | undefined;
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('after the edit `kustomize edit set image` makes, every Deployment runs ghcr.io/<fork>/shop-<image>:<sha>', () => {
    const kubectl = findKubectl();
    expect(kubectl, 'scripts/ensure-helm.sh found no kubectl').toBeDefined();
    work = mkdtempSync(path.join(tmpdir(), 'shop-promote-'));
    cpSync(path.join(repoRoot, 'k8s'), path.join(work, 'k8s'), { recursive: true });
    const file = path.join(work, 'k8s/overlays/dev/kustomization.yaml');
    const kustomization = parse(readFileSync(file, 'utf8')) as { images?: KustomizeImage[] };
    const sha = 'a'.repeat(40);
    // Exactly what set-overlay-images.sh asks kustomize for: <canonical>=ghcr.io/<ns>/shop-<svc>:<tag>.
    kustomization.images = IMAGES.map((svc) => ({
      name: `ghcr.io/${CANONICAL_NAMESPACE}/shop-${svc}`,
      newName: `ghcr.io/my-fork/shop-${svc}`,
      newTag: sha,
    }));
    writeFileSync(file, stringify(kustomization));
    const rendered = execFileSync(kubectl!, ['kustomize', path.dirname(file)], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const deployments = parseAllDocuments(rendered)
      .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string }; spec?: unknown })
      .filter((d) => d?.kind === 'Deployment');
    for (const svc of DEPLOYED) {
      const dep = deployments.find((d) => d.metadata?.name === deploymentOf(svc)) as
        | { spec: { template: { spec: { containers: Array<{ image: string }> } } } }
        | undefined;
      expect(dep, `${deploymentOf(svc)} Deployment`).toBeDefined();
      expect(dep!.spec.template.spec.containers.map((c) => c.image)).toContain(
        `ghcr.io/my-fork/shop-${svc}:${sha}`,
      );
    }
    expect(rendered).not.toContain(`ghcr.io/${CANONICAL_NAMESPACE}/shop-`);
  });
});
