import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectionBudget, formatQuantity, quotaReports } from './support/capacity.js';
import { deployableRenders, type Rendered, renderById, renders } from './support/context.js';
import { type K8sObject, NAMESPACE, repoRoot } from './support/renders.js';

const byRender = (list: Rendered[]) => list.map((r) => [r.id, r] as const);

/** Renders that point at a data tier they do not contain (Helm production values, the service charts)
 * are budgeted against the production overlay's data tier, which is what they are documented to use. */
const externalDataTier = (r: Rendered) =>
  r.tool === 'helm' ? [renderById('kustomize:production').objects] : [];

describe('ResourceQuota and HPAs agree: every HPA can reach its maximum', () => {
  const withHpa = renders().filter((r) => r.objects.some((o) => o.kind === 'HorizontalPodAutoscaler'));

  it.each(byRender(withHpa.filter((r) => r.tool === 'kustomize' || r.target === 'shop')))(
    '%s has a ResourceQuota and a LimitRange in the namespace of its HPAs',
    (_id, r) => {
      for (const kind of ['ResourceQuota', 'LimitRange'])
        expect(
          r.objects.some((o) => o.kind === kind && (o.metadata.namespace ?? NAMESPACE) === NAMESPACE),
          kind,
        ).toBe(true);
    },
  );

  it.each(byRender(renders()))(
    '%s: Σ HPA max × requests/limits + data tier + one surge pod per Deployment (or the Jobs, or the tests) fits',
    (_id, r) => {
      const reports = quotaReports(r.objects, NAMESPACE);
      for (const report of reports) expect(report.problems, report.namespace).toEqual([]);
    },
  );

  it('the seed quota (10 CPU requests, 20 CPU limits, 50 pods) stops the production HPAs early', () => {
    const objects = renderById('kustomize:production').objects.map(
      (o): K8sObject =>
        o.kind === 'ResourceQuota'
          ? {
              ...o,
              spec: {
                hard: {
                  'requests.cpu': '10',
                  'requests.memory': '20Gi',
                  'limits.cpu': '20',
                  'limits.memory': '40Gi',
                  pods: '50',
                },
              },
            }
          : o,
    );
    const [report] = quotaReports(objects, NAMESPACE);
    expect(report!.problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'limits.cpu',
      'limits.memory',
      'pods',
      'requests.cpu',
      'requests.memory',
    ]);
    // 86 pods at the maxima (20 + 20 + 30 + 10, and the storefront's 6) and 5 surge pods.
    expect(report!.used.pods).toBe(91);
  });
});

describe('database connections fit at the HPA maxima, hop by hop', () => {
  it.each(byRender(deployableRenders()))('%s', (_id, r) => {
    const budget = connectionBudget(r.objects, NAMESPACE, externalDataTier(r));
    expect(budget.problems).toEqual([]);
    const clients = r.objects.some((o) => o.kind === 'Deployment' && o.metadata.name.endsWith('-service'));
    if (clients) expect(budget.hops.length, 'a service render has hops to budget').toBeGreaterThan(0);
  });

  it('without the pooler (the seed: DB_POOL_SIZE 20 straight to PostgreSQL, max_connections 100) it does not fit', () => {
    const objects = renderById('kustomize:production').objects.map((o): K8sObject => {
      if (o.kind === 'ConfigMap' && o.metadata.name === 'app-config')
        return {
          ...o,
          data: {
            ...(o as unknown as { data: object }).data,
            DB_HOST: 'postgresql.data.svc.cluster.local',
            DB_PORT: '5432',
          },
        };
      if (o.kind === 'StatefulSet' && o.metadata.name === 'postgresql') {
        const copy = structuredClone(o) as K8sObject & {
          spec: { template: { spec: { containers: Array<{ args?: string[] }> } } };
        };
        delete copy.spec.template.spec.containers[0]!.args;
        return copy;
      }
      return o;
    });
    const budget = connectionBudget(objects, NAMESPACE);
    const hop = budget.hops.find((h) => h.name.startsWith('→ postgresql'))!;
    expect(hop.capacity).toBe(100);
    // (20+1 + 20+1 + 30+1 + 10+1) pods × 20 connections, plus the migrations and the reserves.
    expect(hop.total).toBeGreaterThan(84 * 20);
    expect(budget.problems.join()).toMatch(/max_connections\): \d+ > 100/);
  });

  it('a migration Job pointed at the pooler is reported (its advisory lock needs a session)', () => {
    const objects = renderById('kustomize:production').objects.map((o): K8sObject => {
      if (o.kind !== 'Job') return o;
      const copy = structuredClone(o) as K8sObject & {
        spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } } };
      };
      for (const e of copy.spec.template.spec.containers[0]!.env)
        if (e.name === 'DB_HOST') e.value = 'pgbouncer.data.svc.cluster.local';
      return copy;
    });
    expect(connectionBudget(objects, NAMESPACE).problems.join('\n')).toMatch(
      /Job\/user-service-migrate: migrations hold a session-level advisory lock/,
    );
  });

  it('a session-mode pooler does not bound the server connections and is reported', () => {
    const objects = renderById('kustomize:production').objects.map(
      (o): K8sObject =>
        o.kind === 'ConfigMap' && o.metadata.name === 'pgbouncer-config'
          ? {
              ...o,
              data: {
                'pgbouncer.ini': (o as unknown as { data: Record<string, string> }).data[
                  'pgbouncer.ini'
                ]!.replace('pool_mode = transaction', 'pool_mode = session'),
              },
            }
          : o,
    );
    expect(connectionBudget(objects, NAMESPACE).problems.join()).toMatch(/pool_mode session/);
  });
});

/** The figures the READMEs quote are the computed ones (`SHOW_CAPACITY=1` prints them for every render). */
describe('documented figures', () => {
  it('k8s/README.md and helm/README.md quote the quota use and connection budget the suite computes', () => {
    const production = renderById('kustomize:production');
    const [quota] = quotaReports(production.objects, NAMESPACE);
    const gi = (n: number) => `${(n / 2 ** 30).toFixed(1)}Gi`;
    const hops = connectionBudget(production.objects, NAMESPACE).hops;
    const clients = hops.find((h) => h.name.startsWith('clients'))!;
    const server = hops.find((h) => h.name.startsWith('→ postgresql'))!;
    const k8sReadme = readFileSync(path.join(repoRoot, 'k8s/README.md'), 'utf8').replace(/\s+/g, ' ');
    for (const figure of [
      `= ${quota!.used.pods} pods`,
      `${quota!.used['requests.cpu']} CPU / ${gi(quota!.used['requests.memory']!)} requested`,
      `${quota!.used['limits.cpu']} CPU / ${gi(quota!.used['limits.memory']!)} of limits`,
      `= ${clients.total} clients ≤ \`max_client_conn\` ${clients.capacity}`,
      `= ${server.total} ≤ PostgreSQL \`max_connections\` ${server.capacity}`,
    ])
      expect(k8sReadme).toContain(figure);
    const helmDefault = renderById('helm:shop:default');
    const [bundled] = quotaReports(helmDefault.objects, NAMESPACE);
    const helmReadme = readFileSync(path.join(repoRoot, 'helm/README.md'), 'utf8').replace(/\s+/g, ' ');
    expect(helmReadme).toContain(
      `peak is ${bundled!.used.pods} pods, ${Math.round(bundled!.used['requests.cpu']! * 10) / 10} CPU / ${gi(bundled!.used['requests.memory']!)} requested, ${Math.round(bundled!.used['limits.cpu']! * 10) / 10} CPU / ${gi(bundled!.used['limits.memory']!)} of limits`,
    );
    if (process.env.SHOW_CAPACITY)
      for (const r of renders()) {
        for (const q of quotaReports(r.objects, NAMESPACE))
          console.log(
            `${r.id} quota ${q.namespace}: ${Object.keys(q.hard)
              .filter((k) => k in q.used)
              .map((k) => `${k} ${formatQuantity(q.used[k]!)}/${formatQuantity(q.hard[k]!)}`)
              .join(', ')}`,
          );
        if (r.environment === 'base') continue;
        for (const h of connectionBudget(r.objects, NAMESPACE, externalDataTier(r)).hops)
          console.log(
            `${r.id} ${h.name}: ${h.total}/${h.capacity} [${h.demand.map((d) => `${d.who}=${d.connections}`).join('; ')}]`,
          );
      }
  });
});

describe('the capacity functions on small renders', () => {
  const deployment = (name: string, extra: Record<string, unknown> = {}): K8sObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      replicas: 2,
      template: {
        spec: {
          initContainers: [
            {
              name: 'init',
              resources: { requests: { cpu: '2', memory: '64Mi' }, limits: { cpu: '2', memory: '64Mi' } },
            },
          ],
          containers: [{ name: 'app' }],
        },
      },
      ...extra,
    },
  });
  const quota: K8sObject = {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'q', namespace: NAMESPACE },
    spec: { hard: { pods: '4', 'requests.cpu': '10', 'limits.memory': '1Gi' } },
  };
  const range: K8sObject = {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'l', namespace: NAMESPACE },
    spec: {
      limits: [
        {
          type: 'Container',
          default: { cpu: '500m', memory: '512Mi' },
          defaultRequest: { cpu: '100m', memory: '128Mi' },
        },
      ],
    },
  };
  const hpa: K8sObject = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'h', namespace: NAMESPACE },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' }, maxReplicas: 3 },
  };

  it('counts the HPA maximum, 25% surge by default, LimitRange defaults and the larger of init and app containers', () => {
    const [report] = quotaReports([deployment('d'), hpa, quota, range], NAMESPACE);
    // 3 at the maximum + ceil(25% of 3) = 1 surge pod; each pod requests max(2 CPU init, 100m app).
    expect(report!.used.pods).toBe(4);
    expect(report!.used['requests.cpu']).toBe(8);
    expect(report!.used['limits.memory']).toBe(4 * 512 * 2 ** 20);
    expect(report!.problems).toEqual(['limits.memory: 2.00Gi > 1.00Gi']);
  });

  it('a blue-green Rollout surges by a whole second ReplicaSet', () => {
    const rollout = {
      ...deployment('d', { strategy: { blueGreen: { activeService: 'x' } } }),
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
    };
    const [report] = quotaReports(
      [
        rollout,
        { ...hpa, spec: { ...(hpa.spec as object), scaleTargetRef: { kind: 'Rollout', name: 'd' } } },
        quota,
      ],
      NAMESPACE,
    );
    expect(report!.used.pods).toBe(6);
  });
});
