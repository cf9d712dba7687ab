import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkApplyOrder, describeViolation, type Mode, plan } from './support/apply-order.js';
import { applicationSetTargets } from './support/argocd.js';
import { deployableRenders, renders } from './support/context.js';
import { prerequisitesOf } from './support/prerequisites.js';
import { type K8sObject, NAMESPACE, parseObjects } from './support/renders.js';

const modes = (tool: string): Mode[] =>
  tool === 'kustomize' ? ['argocd'] : ['helm-install', 'helm-upgrade'];

const cases = deployableRenders().flatMap((r) => modes(r.tool).map((mode) => [r.id, mode, r] as const));

describe('a first sync / install / upgrade never needs something a later step creates', () => {
  it.each(cases)('%s replayed as %s', (_id, mode, r) => {
    const { violations } = checkApplyOrder(r.objects, mode, {
      defaultNamespace: NAMESPACE,
      prerequisites: prerequisitesOf(r),
    });
    expect(violations.map(describeViolation)).toEqual([]);
  });

  it('every Application the ApplicationSet generates syncs its overlay in one pass', () => {
    const apps = applicationSetTargets();
    expect(apps.length).toBeGreaterThan(0);
    for (const app of apps) {
      const source = (app.spec as { source: { path: string } }).source.path;
      const r = renders().find((x) => x.tool === 'kustomize' && `k8s/overlays/${x.target}` === source);
      expect(r, `${app.metadata.name}: ${source} is rendered`).toBeDefined();
      const { violations } = checkApplyOrder(r!.objects, 'argocd', {
        defaultNamespace: NAMESPACE,
        prerequisites: prerequisitesOf(r!),
      });
      expect(violations.map(describeViolation), app.metadata.name).toEqual([]);
    }
  });
});

const fixture = (name: string) =>
  parseObjects(readFileSync(path.join(import.meta.dirname, 'fixtures/apply-order', name), 'utf8'), name);
const check = (objects: K8sObject[], mode: Mode, prerequisites = {}) =>
  checkApplyOrder(objects, mode, { defaultNamespace: NAMESPACE, prerequisites }).violations.map(
    describeViolation,
  );
const annotate = (o: K8sObject, annotations: Record<string, string>): K8sObject => ({
  ...o,
  metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, ...annotations } },
});

describe('the model reports the three defects of the first manifests (fixtures)', () => {
  it('ArgoCD: a Sync hook at wave -1 running as a ServiceAccount of wave 0', () => {
    const objects = fixture('argocd-job-before-serviceaccount.yaml');
    expect(check(objects, 'argocd')).toEqual([
      'Job/microservices/order-service-migrate [Sync wave -1] needs ServiceAccount/microservices/order-service via serviceAccountName, created at Sync wave 0',
    ]);
    // Fixed: the ServiceAccount one wave earlier.
    const fixed = objects.map((o) =>
      o.kind === 'ServiceAccount' ? annotate(o, { 'argocd.argoproj.io/sync-wave': '-2' }) : o,
    );
    expect(check(fixed, 'argocd')).toEqual([]);
  });

  it('ArgoCD: a StatefulSet at wave -2 claiming a StorageClass of wave 0', () => {
    const objects = fixture('argocd-statefulset-before-storageclass.yaml');
    expect(check(objects, 'argocd')).toEqual([
      'StatefulSet/data/postgresql [Sync wave -2] needs StorageClass/fast-ssd via storageClassName (claim postgresql-data), created at Sync wave 0',
    ]);
    const fixed = objects.map((o) =>
      o.kind === 'StorageClass' ? annotate(o, { 'argocd.argoproj.io/sync-wave': '-3' }) : o,
    );
    expect(check(fixed, 'argocd')).toEqual([]);
  });

  it('Helm: a pre-install hook running as a ServiceAccount the release creates', () => {
    const objects = fixture('helm-pre-install-hook-release-serviceaccount.yaml');
    const pre = { namespaces: [NAMESPACE] };
    expect(check(objects, 'helm-install', pre)).toEqual([
      'Job/microservices/order-service-migrate [pre-install hook Job/order-service-migrate] needs ServiceAccount/microservices/order-service via serviceAccountName, created at release',
    ]);
    // On upgrade the previous revision's ServiceAccount exists: only a first install hangs.
    expect(check(objects, 'helm-upgrade', pre)).toEqual([]);
    // Fixed: the ServiceAccount is a hook of the same events with a lower weight.
    const fixed = objects.map((o) =>
      o.kind === 'ServiceAccount'
        ? annotate(o, {
            'helm.sh/hook': 'pre-install,pre-upgrade',
            'helm.sh/hook-weight': '-10',
            'helm.sh/hook-delete-policy': 'before-hook-creation',
          })
        : o,
    );
    expect(check(fixed, 'helm-install', pre)).toEqual([]);
  });
});

const ns = (name: string, wave?: string): K8sObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, ...(wave ? { annotations: { 'argocd.argoproj.io/sync-wave': wave } } : {}) },
});
const pod = (
  name: string,
  spec: Record<string, unknown>,
  annotations: Record<string, string> = {},
): K8sObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NAMESPACE, annotations },
  spec: { containers: [{ name: 'c', image: 'x:1' }], ...spec },
});

describe('dependency rules', () => {
  it('orders ArgoCD tasks by phase, wave, kind, name and bubbles a late Namespace up to its first user', () => {
    const objects: K8sObject[] = [
      pod('p', {}, { 'argocd.argoproj.io/hook': 'PostSync' }),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: NAMESPACE } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'a', namespace: NAMESPACE } },
      ns(NAMESPACE, '5'),
    ];
    const { steps } = plan(objects, 'argocd', NAMESPACE);
    expect(steps.map((s) => [s.label, s.objects.map((o) => `${o.kind}/${o.metadata.name}`)])).toEqual([
      ['Sync wave 0', [`Namespace/${NAMESPACE}`, 'ServiceAccount/a', 'ConfigMap/b']],
      ['PostSync wave 0', ['Pod/p']],
    ]);
    expect(check(objects, 'argocd')).toEqual([]);
  });

  it('runs Helm hooks by weight, each on its own, then the release, post hooks and tests', () => {
    const hook = (name: string, event: string, weight: string): K8sObject =>
      pod(name, {}, { 'helm.sh/hook': event, 'helm.sh/hook-weight': weight });
    const objects = [
      hook('t', 'test', '0'),
      hook('post', 'post-install', '0'),
      hook('late', 'pre-install', '5'),
      hook('early', 'pre-install', '-5'),
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: NAMESPACE } },
    ];
    expect(plan(objects, 'helm-install', NAMESPACE).steps.map((s) => s.label)).toEqual([
      'pre-install hook Pod/early',
      'pre-install hook Pod/late',
      'release',
      'post-install hook Pod/post',
      'helm test Pod/t',
    ]);
  });

  it('a hook deleted on success (hook-succeeded) is gone for the hooks after it', () => {
    const sa: K8sObject = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: 'm',
        namespace: NAMESPACE,
        annotations: {
          'helm.sh/hook': 'pre-install',
          'helm.sh/hook-weight': '-10',
          'helm.sh/hook-delete-policy': 'hook-succeeded',
        },
      },
    };
    const job = pod('job', { serviceAccountName: 'm' }, { 'helm.sh/hook': 'pre-install' });
    expect(check([sa, job], 'helm-install', { namespaces: [NAMESPACE] })).toEqual([
      'Pod/microservices/job [pre-install hook Pod/job] needs ServiceAccount/microservices/m via serviceAccountName, created at pre-install hook ServiceAccount/m, deleted after it succeeded (hook-succeeded)',
    ]);
  });

  it('reads ConfigMaps and Secrets from env, envFrom, volumes, projected volumes and imagePullSecrets', () => {
    const p = pod('p', {
      imagePullSecrets: [{ name: 'registry' }],
      containers: [
        {
          name: 'c',
          image: 'x:1',
          env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'env-cm', key: 'a' } } }],
          envFrom: [
            { secretRef: { name: 'env-secret' } },
            { configMapRef: { name: 'maybe', optional: true } },
          ],
        },
      ],
      volumes: [
        { name: 'v', secret: { secretName: 'vol-secret' } },
        { name: 'p', projected: { sources: [{ configMap: { name: 'proj-cm' } }] } },
      ],
    });
    expect(
      check([p], 'argocd', { namespaces: [NAMESPACE] }).map((v) => v.split(' via ')[0]!.split(' needs ')[1]),
    ).toEqual([
      'ConfigMap/microservices/env-cm',
      'Secret/microservices/env-secret',
      'Secret/microservices/vol-secret',
      'ConfigMap/microservices/proj-cm',
      'Secret/microservices/registry',
    ]);
  });

  it('a custom resource needs its CRD: from the render, or from a declared operator', () => {
    const monitor: K8sObject = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'm', namespace: NAMESPACE },
    };
    expect(check([monitor], 'argocd', { namespaces: [NAMESPACE] })).toEqual([
      'ServiceMonitor/microservices/m [Sync wave 0] needs CRD monitoring.coreos.com/ServiceMonitor via crd, created by nothing',
    ]);
    expect(
      check([monitor], 'argocd', {
        namespaces: [NAMESPACE],
        crds: { 'monitoring.coreos.com/ServiceMonitor': 'kube-prometheus-stack' },
      }),
    ).toEqual([]);
    const crd: K8sObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'servicemonitors.monitoring.coreos.com' },
      spec: { group: 'monitoring.coreos.com', names: { kind: 'ServiceMonitor' } },
    };
    expect(check([monitor, crd], 'argocd', { namespaces: [NAMESPACE] })).toEqual([]);
  });

  it('a bare Pod needs its PriorityClass and ServiceAccount when it is created (admission)', () => {
    const p = pod('p', { priorityClassName: 'shop-critical', serviceAccountName: 'runner' });
    expect(check([p], 'argocd', { namespaces: [NAMESPACE] })).toEqual([
      'Pod/microservices/p [Sync wave 0] needs ServiceAccount/microservices/runner via serviceAccountName, created by nothing',
      'Pod/microservices/p [Sync wave 0] needs PriorityClass/shop-critical via priorityClassName, created by nothing',
    ]);
  });

  it("a Job needs the Service it calls and that Service's pods, no later than its own step", () => {
    const job: K8sObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'migrate',
        namespace: NAMESPACE,
        annotations: { 'argocd.argoproj.io/sync-wave': '-1' },
      },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'c',
                image: 'x:1',
                env: [{ name: 'DB_HOST', value: 'postgresql.data.svc.cluster.local' }],
              },
            ],
          },
        },
      },
    };
    const service: K8sObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'postgresql',
        namespace: 'data',
        annotations: { 'argocd.argoproj.io/sync-wave': '-2' },
      },
      spec: { selector: { app: 'postgresql' } },
    };
    const sts: K8sObject = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'postgresql', namespace: 'data' },
      spec: {
        template: {
          metadata: { labels: { app: 'postgresql' } },
          spec: { containers: [{ name: 'pg', image: 'postgres:16' }] },
        },
      },
    };
    const pre = { namespaces: [NAMESPACE, 'data'] };
    expect(check([job, service, sts], 'argocd', pre)).toEqual([
      'Job/microservices/migrate [Sync wave -1] needs ready pods of Service/data/postgresql (StatefulSet/postgresql) via calls service (c.env.DB_HOST), created at Sync wave 0',
    ]);
    expect(
      check([job, service, annotate(sts, { 'argocd.argoproj.io/sync-wave': '-2' })], 'argocd', pre),
    ).toEqual([]);
  });

  it('Secrets an operator produces count from the step of their source object (ExternalSecret, cert-manager)', () => {
    const external: K8sObject = {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'db', namespace: NAMESPACE, annotations: { 'argocd.argoproj.io/sync-wave': '1' } },
      spec: {
        secretStoreRef: { kind: 'ClusterSecretStore', name: 'store' },
        target: { name: 'db-credentials' },
      },
    };
    const reader = pod('reader', {
      containers: [{ name: 'c', image: 'x:1', envFrom: [{ secretRef: { name: 'db-credentials' } }] }],
    });
    const pre = {
      namespaces: [NAMESPACE],
      crds: { 'external-secrets.io/ExternalSecret': 'external-secrets' },
      objects: { 'ClusterSecretStore/store': 'test' },
    };
    expect(check([external, reader], 'argocd', pre)).toEqual([
      'Pod/microservices/reader [Sync wave 0] needs Secret/microservices/db-credentials via secret (c.envFrom), created at Sync wave 1',
    ]);
    const ingress: K8sObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: 'i',
        namespace: NAMESPACE,
        annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' },
      },
      spec: { tls: [{ secretName: 'tls' }] },
    };
    expect(check([ingress], 'argocd', pre)).toEqual([]);
    const { annotations: _dropped, ...metadata } = ingress.metadata;
    expect(check([{ ...ingress, metadata }], 'argocd', pre)).toEqual([
      'Ingress/microservices/i [Sync wave 0] needs Secret/microservices/tls via ingress tls secret, created by nothing',
    ]);
  });
});

describe('custom resources of the prerequisite operators', () => {
  const overlays = deployableRenders().filter((r) => r.tool === 'kustomize');
  it.each(overlays.map((r) => [r.id, r] as const))(
    '%s: each carries SkipDryRunOnMissingResource (a missing operator fails those objects, not the whole dry run)',
    (_id, r) => {
      const crds = prerequisitesOf(r).crds ?? {};
      const custom = r.objects.filter((o) => `${o.apiVersion.split('/')[0]}/${o.kind}` in crds);
      expect(custom.length).toBeGreaterThan(0);
      for (const o of custom)
        expect(
          o.metadata.annotations?.['argocd.argoproj.io/sync-options'],
          `${o.kind}/${o.metadata.name}`,
        ).toMatch(/SkipDryRunOnMissingResource=true/);
    },
  );
});
