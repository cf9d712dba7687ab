// The opt-in load generator for a cluster: the Kustomize component (on the dev overlay, fixtures/loadgen-dev)
// and the umbrella chart's `loadgen.enabled` value render valid, restricted, bounded objects that reach
// exactly the four services, and nothing of it renders unless asked for.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { renders as allRenders, tools } from './support/context.js';
import { StrictFieldChecker, schemaErrors } from './support/k8s-schema.js';
import { podSecurityViolations } from './support/pod-security.js';
import { helmTemplateArgs, type K8sObject, objectId, parseObjects, runTool } from './support/renders.js';
import { workloads } from './support/workloads.js';

const SERVICES = ['user-service', 'product-service', 'order-service', 'payment-service'];
const isLoadgen = (o: K8sObject) =>
  o.metadata.name.includes('loadgen') || o.metadata.labels?.['app.kubernetes.io/name'] === 'loadgen';

interface Render {
  id: string;
  objects: K8sObject[];
}
let rendered: Render[] = [];

beforeAll(async () => {
  const { helm, kubectl } = tools();
  const kustomize = await runTool(kubectl, [
    'kustomize',
    path.join(import.meta.dirname, 'fixtures/loadgen-dev'),
  ]);
  const chart = await runTool(helm, helmTemplateArgs('shop', [], ['--set', 'loadgen.enabled=true']));
  rendered = [
    { id: 'kustomize dev + components/loadgen', objects: parseObjects(kustomize, 'loadgen-dev') },
    { id: 'helm shop --set loadgen.enabled=true', objects: parseObjects(chart, 'shop+loadgen') },
  ];
});

describe.each([
  { index: 0, name: 'the dev overlay with components/loadgen' },
  { index: 1, name: 'the shop chart with loadgen.enabled=true' },
])('loadgen from $name', ({ index }) => {
  const r = () => rendered[index]!;
  const loadgen = () => r().objects.filter(isLoadgen);
  const job = () => workloads(loadgen()).find((w) => w.object.kind === 'Job')!;

  it('renders a ServiceAccount, a Job and two NetworkPolicies, each valid against the Kubernetes 1.34 schema', async () => {
    expect(
      loadgen()
        .map((o) => o.kind)
        .sort(),
    ).toEqual(['Job', 'NetworkPolicy', 'NetworkPolicy', 'ServiceAccount']);
    const strict = new StrictFieldChecker(loadgen().map((o) => ({ apiVersion: o.apiVersion, kind: o.kind })));
    const problems: string[] = [];
    for (const o of loadgen())
      for (const p of [...(await schemaErrors(o)), ...strict.unknownFields(o)])
        problems.push(`${objectId(o)}: ${p}`);
    expect(problems).toEqual([]);
  });

  it('runs the loadgen image once, bounded in time, under the restricted Pod Security profile', () => {
    const w = job();
    const spec = w.object.spec as { backoffLimit: number; activeDeadlineSeconds: number };
    expect(spec.backoffLimit).toBe(0);
    expect(spec.activeDeadlineSeconds).toBeGreaterThan(0);
    expect(spec.activeDeadlineSeconds).toBeLessThanOrEqual(900);
    expect(w.spec.containers[0]!.image).toMatch(/^ghcr\.io\/shop-demo\/shop-loadgen:/);
    expect(podSecurityViolations(w.spec)).toEqual([]);
    expect(w.spec.serviceAccountName).toBe('loadgen');
    expect(r().objects.some((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'loadgen')).toBe(true);
  });

  it('targets the four Services of the render on their ports, with a bounded duration and an error budget', () => {
    const env = Object.fromEntries(
      (job().spec.containers[0]!.env ?? []).map((e) => [e.name, (e as { value?: string }).value]),
    );
    for (const svc of SERVICES) {
      const url = new URL(env[`LOAD_${svc.replace('-service', '').toUpperCase()}_URL`]!);
      const service = r().objects.find((o) => o.kind === 'Service' && o.metadata.name === svc) as
        | (K8sObject & { spec: { ports: Array<{ port: number }> } })
        | undefined;
      expect(url.hostname.split('.')[0], svc).toBe(svc);
      expect(
        service?.spec.ports.map((p) => p.port),
        svc,
      ).toContain(Number(url.port));
    }
    expect(env.LOAD_DURATION).toMatch(/^\d+(ms|s|m)$/);
    expect(env.LOAD_ERROR_BUDGET).toBe('0');
  });

  it('may call only the four services and DNS, and the services admit it on their http port', () => {
    const policies = loadgen().filter((o) => o.kind === 'NetworkPolicy') as Array<
      K8sObject & {
        spec: {
          podSelector: {
            matchLabels?: Record<string, string>;
            matchExpressions?: Array<{ values: string[] }>;
          };
          egress?: Array<{ to: Array<Record<string, unknown>>; ports: Array<{ port: string | number }> }>;
          ingress?: Array<{ from: Array<{ podSelector?: { matchLabels?: Record<string, string> } }> }>;
        };
      }
    >;
    const own = policies.find(
      (p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === 'loadgen',
    )!;
    expect(own.spec.ingress ?? []).toEqual([]);
    expect(own.spec.egress!.map((e) => e.ports.map((p) => p.port))).toEqual([['http'], [53, 53]]);
    expect(JSON.stringify(own.spec.egress![0]!.to)).toContain(JSON.stringify(SERVICES));
    const admit = policies.find((p) => p !== own)!;
    expect(admit.spec.podSelector.matchExpressions![0]!.values).toEqual(SERVICES);
    expect(admit.spec.ingress![0]!.from[0]!.podSelector?.matchLabels).toEqual({
      'app.kubernetes.io/name': 'loadgen',
    });
  });
});

describe('opt-in only', () => {
  it('no overlay and no chart renders the load generator by default', () => {
    const found = allRenders().flatMap((r) =>
      r.objects.filter(isLoadgen).map((o) => `${r.id} ${objectId(o)}`),
    );
    expect(found).toEqual([]);
  });

  it('the Helm Job is a `helm test` hook and the Kustomize Job an ArgoCD PostSync hook', () => {
    const [kustomize, chart] = rendered.map((r) => r.objects.find((o) => o.kind === 'Job' && isLoadgen(o))!);
    expect(kustomize!.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'PostSync' });
    expect(chart!.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'test' });
  });
});
