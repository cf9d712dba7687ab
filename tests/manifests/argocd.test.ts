import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AppSetSpec,
  type AppSpec,
  argocdDir,
  argocdObjects,
  byKind,
  generateApplications,
  goTemplate,
  type ProjectSpec,
} from './support/argocd.js';
import { renders, tools } from './support/context.js';
import { StrictFieldChecker, schemaErrors } from './support/k8s-schema.js';
import { type K8sObject, objectId, parseObjects, repoRoot, runTool } from './support/renders.js';

const REPO_URL = 'https://github.com/shop-demo/shop.git';
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'StorageClass',
  'ClusterSecretStore',
  'IngressClass',
]);

let strict: StrictFieldChecker;
beforeAll(() => {
  strict = new StrictFieldChecker([
    ...argocdObjects,
    { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' },
  ]);
});

describe('ArgoCD (k8s/argocd)', () => {
  const appSet = byKind('ApplicationSet')[0] as K8sObject & { spec: AppSetSpec };
  const project = byKind('AppProject')[0] as K8sObject & { spec: ProjectSpec };
  const apps = () => generateApplications(appSet);

  it('holds an AppProject, an ApplicationSet and the app-of-apps Application, all schema-valid and strict', async () => {
    expect(argocdObjects.map(objectId).sort()).toEqual([
      'AppProject/argocd/ecommerce',
      'Application/argocd/ecommerce-root',
      'ApplicationSet/argocd/ecommerce-appset',
    ]);
    for (const o of argocdObjects)
      expect([...(await schemaErrors(o)), ...strict.unknownFields(o)], objectId(o)).toEqual([]);
    // `kubectl apply -f k8s/argocd/` applies every file: a kustomization.yaml there would break it.
    expect(existsSync(path.join(argocdDir, 'kustomization.yaml'))).toBe(false);
  });

  it('the ApplicationSet uses a git directory generator over k8s/overlays/* and yields one Application per environment', async () => {
    expect(appSet.spec.generators[0]!.git!.directories).toEqual([{ path: 'k8s/overlays/*' }]);
    const generated = apps();
    expect(generated.map((a) => a.metadata.name)).toEqual(['shop-dev', 'shop-production', 'shop-staging']);
    for (const app of generated)
      expect([...(await schemaErrors(app)), ...strict.unknownFields(app)], app.metadata.name).toEqual([]);
  });

  it('every generated Application path exists and builds with kustomize', async () => {
    for (const app of apps()) {
      const dir = path.join(repoRoot, app.spec.source.path);
      expect(existsSync(path.join(dir, 'kustomization.yaml')), app.spec.source.path).toBe(true);
      const env = path.posix.basename(app.spec.source.path);
      const rendered = renders().find((r) => r.tool === 'kustomize' && r.target === env);
      // Every overlay is rendered by the global setup; build any other directory here.
      const objects =
        rendered?.objects ?? parseObjects(await runTool(tools().kubectl, ['kustomize', dir]), dir);
      expect(objects.length, app.spec.source.path).toBeGreaterThan(0);
    }
  });

  it('dev and staging sync automatically with prune and self-heal; production is synced by hand', () => {
    const policy = Object.fromEntries(apps().map((a) => [a.metadata.name, a.spec.syncPolicy?.automated]));
    expect(policy['shop-dev']).toMatchObject({ prune: true, selfHeal: true });
    expect(policy['shop-staging']).toMatchObject({ prune: true, selfHeal: true });
    expect(policy['shop-production']).toBeUndefined();
  });

  it('the AppProject admits every Application: its repository, cluster, namespaces and cluster-scoped kinds', () => {
    expect(project.spec.sourceRepos).toEqual([REPO_URL]);
    expect(appSet.spec.generators[0]!.git!.repoURL).toBe(REPO_URL);
    for (const app of apps()) {
      expect(app.spec.project).toBe(project.metadata.name);
      expect(project.spec.sourceRepos).toContain(app.spec.source.repoURL);
      const env = path.posix.basename(app.spec.source.path);
      const objects = renders().find((r) => r.tool === 'kustomize' && r.target === env)!.objects;
      const namespaces = new Set([
        app.spec.destination.namespace,
        ...objects.flatMap((o) => (o.metadata.namespace ? [o.metadata.namespace] : [])),
      ]);
      for (const namespace of namespaces) {
        const allowed = project.spec.destinations.some(
          (d) => d.name === app.spec.destination.name && d.namespace === namespace,
        );
        expect(allowed, `${app.metadata.name} -> ${app.spec.destination.name}/${namespace}`).toBe(true);
      }
      for (const o of objects.filter((x) => !x.metadata.namespace)) {
        const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '';
        expect(project.spec.clusterResourceWhitelist, `${env}: ${objectId(o)}`).toContainEqual({
          group,
          kind: o.kind,
        });
      }
    }
  });

  it('every namespaced object in the overlays names its namespace (nothing lands in the destination default by accident)', () => {
    for (const r of renders().filter((x) => x.tool === 'kustomize')) {
      const unnamed = r.objects
        .filter((o) => !o.metadata.namespace && !CLUSTER_SCOPED.has(o.kind))
        .map(objectId);
      expect(unnamed, r.id).toEqual([]);
    }
  });

  it('the app-of-apps Application manages k8s/argocd from the same repository', () => {
    const root = byKind('Application')[0] as K8sObject & { spec: AppSpec };
    expect(root.spec.source).toMatchObject({ repoURL: REPO_URL, path: 'k8s/argocd', targetRevision: 'main' });
    expect(existsSync(path.join(repoRoot, root.spec.source.path))).toBe(true);
    expect(root.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'argocd' });
  });

  it('the template emulation refuses syntax it does not understand', () => {
    expect(() => goTemplate('{{ .path.segments }}', { path: 'k8s/overlays/dev', basename: 'dev' })).toThrow(
      /unsupported template syntax/,
    );
    expect(
      goTemplate('{{- if ne .path.basename "production" }}auto{{- end }}', { path: 'x', basename: 'dev' }),
    ).toBe('auto');
    expect(
      goTemplate('{{- if ne .path.basename "production" }}auto{{- end }}', {
        path: 'x',
        basename: 'production',
      }),
    ).toBe('');
  });
});
