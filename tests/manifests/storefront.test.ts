// The storefront deployable (helm/storefront, its place in the shop umbrella and k8s/base/services/storefront)
// held to what the services are held to, plus what is particular to it: static files, no config or
// Secrets, a NetworkPolicy that lets only the ingress controller in and nothing out, the Ingress `/`.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { combinationRenders, find, type Rendered, renderById, renders, tools } from './support/context.js';
import {
  helmDir,
  helmTemplateArgs,
  type K8sObject,
  NAMESPACE,
  parseObjects,
  runTool,
} from './support/renders.js';
import type { Container, PodSpec } from './support/workloads.js';

const NAME = 'storefront';
const IMAGE = 'ghcr.io/shop-demo/shop-storefront';

interface DeploymentSpec {
  replicas: number;
  selector: { matchLabels: Record<string, string> };
  strategy: unknown;
  template: {
    metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
    spec: PodSpec;
  };
}
type Deployment = K8sObject & { spec: DeploymentSpec };

/** Every render that deploys the storefront: its own chart, the umbrella, the Kustomize base and overlays. */
const withStorefront = () =>
  renders().filter((r) => r.target === NAME || r.target === 'shop' || r.tool === 'kustomize');
const byId = (list: Rendered[]) => list.map((r) => [r.id, r] as const);
const deploymentOf = (r: Rendered) => find<Deployment>(r.objects, 'Deployment', NAME);
const containerOf = (d: Deployment): Container =>
  d.spec.template.spec.containers.find((c) => c.name === NAME)!;

/** The spec with the image tag removed (tags are release inputs; see parity.test.ts). */
const comparable = (o: K8sObject | undefined) =>
  o &&
  JSON.parse(JSON.stringify(o.spec), (key, value) =>
    key === 'image' && typeof value === 'string' ? value.replace(/:[^:/@]+$/, '') : value,
  );

describe('storefront Deployment', () => {
  it.each(byId(withStorefront()))(
    '%s: nginx on :8080 with probes, resources, rollout and a short drain',
    (_id, r) => {
      const d = deploymentOf(r);
      expect(d, 'Deployment storefront').toBeDefined();
      const c = containerOf(d!);
      expect(c.image).toMatch(new RegExp(`^${IMAGE}:[\\w.-]+$`));
      expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
      expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(c.startupProbe).toBeUndefined();
      // Static files: no configuration, no Secret, no database.
      expect(c.env ?? []).toEqual([]);
      expect(c.envFrom ?? []).toEqual([]);
      expect(c.resources?.requests).toBeDefined();
      expect(c.resources?.limits).toBeDefined();
      const grace = d!.spec.template.spec.terminationGracePeriodSeconds!;
      expect(c.lifecycle?.preStop).toEqual({ sleep: { seconds: expect.any(Number) } });
      expect(c.lifecycle!.preStop!.sleep!.seconds).toBeLessThan(grace);
      expect(d!.spec.strategy).toEqual({
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
      });
      expect(d!.spec.template.metadata.labels).toMatchObject({
        app: NAME,
        'app.kubernetes.io/name': NAME,
        'app.kubernetes.io/component': 'web',
      });
      // nginx exports no Prometheus metrics: nothing may claim it does.
      expect(d!.spec.template.metadata.annotations?.['prometheus.io/scrape']).toBeUndefined();
      expect(d!.spec.replicas).toBe(r.environment === 'dev' ? 1 : 2);
    },
  );

  it.each(byId(withStorefront()))('%s: an HPA on CPU and a PDB that never blocks a drain', (_id, r) => {
    const hpa = find<K8sObject & { spec: { minReplicas: number; maxReplicas: number; metrics: unknown[] } }>(
      r.objects,
      'HorizontalPodAutoscaler',
      `${NAME}-hpa`,
    );
    expect(hpa).toBeDefined();
    expect(hpa!.spec.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      },
    ]);
    const pdb = find<K8sObject & { spec: Record<string, unknown> }>(
      r.objects,
      'PodDisruptionBudget',
      `${NAME}-pdb`,
    );
    expect(pdb).toBeDefined();
    expect(pdb!.spec.selector).toEqual({ matchLabels: { app: NAME } });
    if (r.environment === 'dev') expect(pdb!.spec).toMatchObject({ maxUnavailable: 1 });
    else expect(pdb!.spec).toMatchObject({ minAvailable: 1 });
  });
});

describe('Helm and Kustomize deploy the same storefront', () => {
  const pairs: Array<[string, string]> = [
    ['helm:storefront:default', 'kustomize:base'],
    ['helm:storefront:production', 'kustomize:production'],
    ['helm:shop:default', 'kustomize:base'],
    ['helm:shop:production', 'kustomize:production'],
  ];
  const cases = pairs.flatMap(([h, k]) =>
    (
      [
        ['Deployment', NAME],
        ['HorizontalPodAutoscaler', `${NAME}-hpa`],
        ['PodDisruptionBudget', `${NAME}-pdb`],
        ['Service', NAME],
      ] as const
    ).map(([kind, name]) => [h, k, kind, name] as const),
  );
  it.each(cases)('%s vs %s: %s %s', (helmId, kustomizeId, kind, name) => {
    const a = find(renderById(helmId).objects, kind, name);
    const b = find(renderById(kustomizeId).objects, kind, name);
    expect(a, helmId).toBeDefined();
    expect(b, kustomizeId).toBeDefined();
    expect(comparable(a)).toEqual(comparable(b));
  });
});

describe('storefront NetworkPolicy: in from the ingress controller only, out to nothing', () => {
  type Peer = { namespaceSelector?: { matchLabels?: Record<string, string> }; podSelector?: unknown };
  type Policy = K8sObject & {
    spec: {
      podSelector: { matchLabels?: Record<string, string> };
      policyTypes: string[];
      ingress?: Array<{ from?: Peer[]; ports?: unknown[] }>;
      egress?: unknown[];
    };
  };
  it.each(byId(withStorefront()))('%s', (_id, r) => {
    const policy = find<Policy>(r.objects, 'NetworkPolicy', NAME);
    expect(policy, 'NetworkPolicy storefront').toBeDefined();
    expect(policy!.spec.podSelector).toEqual({ matchLabels: { app: NAME } });
    expect([...policy!.spec.policyTypes].sort()).toEqual(['Egress', 'Ingress']);
    expect(policy!.spec.egress).toEqual([]);
    const namespaces = (policy!.spec.ingress ?? []).flatMap((rule) =>
      (rule.from ?? []).flatMap((p) => (p.namespaceSelector ? [p.namespaceSelector.matchLabels] : [])),
    );
    expect(namespaces).toEqual([{ 'kubernetes.io/metadata.name': 'gateway' }]);
    for (const rule of policy!.spec.ingress ?? [])
      expect(rule.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
    // Pods of the storefront are selected by no other policy that could open more.
    const others = r.objects.filter(
      (o): o is Policy =>
        o.kind === 'NetworkPolicy' &&
        o.metadata.name !== NAME &&
        (o as Policy).spec.podSelector.matchLabels?.app === NAME,
    );
    expect(others.map((o) => o.metadata.name)).toEqual([]);
  });
});

describe('Ingress: `/` is the storefront, /api/v1/* stay with the services', () => {
  type Ingress = K8sObject & {
    spec: {
      rules: Array<{
        http: {
          paths: Array<{
            path: string;
            pathType: string;
            backend: { service: { name: string; port: { number: number } } };
          }>;
        };
      }>;
    };
  };
  const withIngress = () => renders().filter((r) => r.objects.some((o) => o.kind === 'Ingress'));
  it.each(byId(withIngress()))('%s', (_id, r) => {
    const ingress = find<Ingress>(r.objects, 'Ingress', 'ecommerce-ingress')!;
    const paths = ingress.spec.rules.flatMap((rule) => rule.http.paths);
    const root = paths.filter((p) => p.path === '/');
    expect(root).toEqual([
      { path: '/', pathType: 'Prefix', backend: { service: { name: NAME, port: { number: 8080 } } } },
    ]);
    const service = find<K8sObject & { spec: { ports: Array<{ port: number }> } }>(
      r.objects,
      'Service',
      NAME,
    )!;
    expect(service.metadata.namespace ?? NAMESPACE).toBe(ingress.metadata.namespace ?? NAMESPACE);
    expect(service.spec.ports.map((p) => p.port)).toContain(8080);
    // Prefix matching takes the longest match: the API prefixes still win over `/`.
    for (const api of ['/api/v1/users', '/api/v1/products', '/api/v1/orders', '/api/v1/payments']) {
      expect(paths.find((p) => p.path === api)?.backend.service.name).toMatch(/-service$/);
    }
  });
});

describe('the storefront keeps working with the optional components', () => {
  type AuthorizationPolicy = K8sObject & {
    spec: {
      selector?: { matchLabels?: Record<string, string> };
      rules?: Array<{
        from?: Array<{ source: { namespaces?: string[] } }>;
        to?: Array<{ operation: { ports?: string[] } }>;
      }>;
    };
  };
  // Helm's global.istio.enabled is compared with these renders object by object (parity.test.ts).
  const meshed = () => combinationRenders().filter((r) => r.components.includes('istio'));
  it.each(meshed().map((r) => [r.id, r] as const))(
    '%s: in the mesh, an AuthorizationPolicy admits the ingress controller (allow-nothing would refuse every page)',
    (_id, r) => {
      const d = find<Deployment>(r.objects, 'Deployment', NAME);
      expect(d?.spec.template.metadata.labels['sidecar.istio.io/inject']).toBe('true');
      const policy = r.objects.find(
        (o): o is AuthorizationPolicy =>
          o.kind === 'AuthorizationPolicy' &&
          (o as AuthorizationPolicy).spec.selector?.matchLabels?.app === NAME,
      );
      expect(policy, 'AuthorizationPolicy for the storefront').toBeDefined();
      const fromGateway = policy!.spec.rules?.find((rule) =>
        rule.from?.some((f) => f.source.namespaces?.includes('gateway')),
      );
      expect(fromGateway?.to).toEqual([{ operation: { ports: ['8080'] } }]);
    },
  );

  it('there are mesh renders to check', () => {
    expect(meshed().length).toBeGreaterThan(0);
  });

  it.each(
    combinationRenders()
      .filter((r) => r.components.includes('apisix'))
      .map((r) => [r.id, r] as const),
  )('%s: the API gateway routes every other path to the storefront, below the API routes', (_id, r) => {
    type Http = {
      name: string;
      priority?: number;
      match: { paths: string[] };
      backends: Array<{ serviceName: string }>;
    };
    const rules = r.objects
      .filter((o) => o.kind === 'ApisixRoute')
      .flatMap((o) => (o.spec as { http: Http[] }).http);
    const storefront = rules.find((rule) => rule.backends.some((b) => b.serviceName === NAME));
    expect(storefront?.match.paths).toEqual(['/', '/*']);
    for (const rule of rules.filter((x) => x !== storefront))
      expect(rule.priority ?? 0, rule.name).toBeGreaterThan(storefront!.priority ?? 0);
  });
});

describe('helm/storefront', () => {
  const helm = (args: string[]) => runTool(tools().helm, args);

  it('has a helm test that asks the Service for /readyz, allowed by its own test-time NetworkPolicy', () => {
    for (const id of ['helm:storefront:default', 'helm:shop:default']) {
      const objects = renderById(id).objects;
      const pod = find<K8sObject & { spec: PodSpec }>(objects, 'Pod', `${NAME}-test-readyz`);
      expect(pod, id).toBeDefined();
      expect(pod!.metadata.annotations?.['helm.sh/hook']).toBe('test');
      expect(pod!.spec.containers[0]!.command).toEqual([
        'curl',
        '-fsS',
        '--max-time',
        '5',
        `http://${NAME}.${NAMESPACE}.svc.cluster.local:8080/readyz`,
      ]);
      const policy = find(objects, 'NetworkPolicy', `${NAME}-test`);
      expect(policy?.metadata.annotations).toMatchObject({
        'helm.sh/hook': 'test',
        'helm.sh/hook-weight': '-1',
      });
    }
  });

  it('the umbrella chart can leave the storefront out (no objects, no `/` route)', async () => {
    const out = await helm(helmTemplateArgs('shop', [], ['--set', 'storefront.enabled=false']));
    const objects = parseObjects(out, 'shop without storefront');
    expect(objects.filter((o) => o.metadata.name.startsWith(NAME))).toEqual([]);
    const ingress = find<
      K8sObject & { spec: { rules: Array<{ http: { paths: Array<{ path: string }> } }> } }
    >(objects, 'Ingress', 'ecommerce-ingress')!;
    expect(ingress.spec.rules[0]!.http.paths.map((p) => p.path)).not.toContain('/');
  });

  it('renders its NOTES, and the umbrella names the storefront URL', async () => {
    const own = await helm(['install', NAME, path.join(helmDir, NAME), '-n', NAMESPACE, '--dry-run=client']);
    expect(own).toMatch(/storefront ghcr\.io\/shop-demo\/shop-storefront:0\.1\.0 is installed/);
    const shop = await helm([
      'install',
      'shop',
      path.join(helmDir, 'shop'),
      '-n',
      NAMESPACE,
      '--dry-run=client',
    ]);
    expect(shop).toMatch(/Storefront \(the web shop\): https:\/\/api\.example\.com\//);
  });

  it('refuses values its schema does not know, like the service charts', async () => {
    const error = await helm(helmTemplateArgs(NAME, [], ['--set', 'replicaCont=3'])).catch(
      (e: Error) => e.message,
    );
    expect(error).toMatch(/additional properties 'replicaCont' not allowed/);
  });
});
