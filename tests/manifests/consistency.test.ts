import { describe, expect, it } from 'vitest';
import {
  containerProblems,
  monitorProblems,
  podSecurityProblems,
  probePortProblems,
  serviceAccountTokenProblems,
  serviceSelectionProblems,
  serviceUrlProblems,
} from './support/consistency.js';
import { blueprintRenders, find, type Rendered, renders } from './support/context.js';
import { BLUEPRINT, SERVICE_NAMES } from './support/design-table.js';
import { kitHttpMetrics, parsePromQL, shopMetrics } from './support/promql.js';
import type { K8sObject } from './support/renders.js';
import { grpcCallers, grpcCalls, serviceCallers, serviceCalls } from './support/service-calls.js';
import {
  type Container,
  quantity,
  resolveIntOrPercent,
  selects,
  type Workload,
  workloads,
} from './support/workloads.js';

type Selector = Parameters<typeof selects>[0];
const byRender = (list: Rendered[]) => list.map((r) => [r.id, r] as const);
const ns = (o: K8sObject) => o.metadata.namespace ?? 'microservices';

interface DeploymentSpec {
  replicas: number;
  selector: Selector;
  template: { metadata: { labels: Record<string, string> }; spec: Workload['spec'] };
}
const deployments = (r: Rendered) =>
  r.objects.filter((o) => o.kind === 'Deployment') as Array<K8sObject & { spec: DeploymentSpec }>;
const serviceDeployments = (r: Rendered) =>
  deployments(r).filter((d) => SERVICE_NAMES.includes(d.metadata.name));
const mainContainer = (d: { metadata: { name: string }; spec: DeploymentSpec }): Container =>
  d.spec.template.spec.containers.find((c) => c.name === d.metadata.name) ??
  d.spec.template.spec.containers[0]!;

/** Pods a selector picks in a namespace (serving workloads only: Deployment/StatefulSet/DaemonSet). */
function selectedWorkloads(r: Rendered, namespace: string, selector: Selector): Workload[] {
  return workloads(r.objects).filter((w) => w.namespace === namespace && selects(selector, w.labels));
}

describe('DESIGN §5 table holds exactly (Helm defaults and production, Kustomize base and production)', () => {
  const cases = blueprintRenders().flatMap((r) =>
    SERVICE_NAMES.filter((svc) => r.target === 'shop' || r.target === svc || r.tool === 'kustomize').map(
      (svc) => [r.id, svc, r] as const,
    ),
  );

  it.each(cases)('%s: %s', (_id, svc, r) => {
    const want = BLUEPRINT[svc]!;
    const d = find<K8sObject & { spec: DeploymentSpec }>(r.objects, 'Deployment', svc);
    expect(d, `Deployment ${svc}`).toBeDefined();
    const spec = d!.spec;
    const c = mainContainer(d!);
    expect(spec.replicas).toBe(want.replicas);
    const res = c.resources!;
    expect(quantity(res.requests?.cpu)).toBeCloseTo(quantity(want.requests.cpu));
    expect(quantity(res.requests?.memory)).toBe(quantity(want.requests.memory));
    expect(quantity(res.limits?.cpu)).toBeCloseTo(quantity(want.limits.cpu));
    expect(quantity(res.limits?.memory)).toBe(quantity(want.limits.memory));
    const timings = (p: Container['livenessProbe']) => [
      p?.initialDelaySeconds ?? 0,
      p?.periodSeconds ?? 10,
      p?.timeoutSeconds ?? 1,
      p?.failureThreshold ?? 3,
    ];
    expect(timings(c.livenessProbe)).toEqual(want.liveness);
    expect(timings(c.readinessProbe)).toEqual(want.readiness);
    if (want.startup) {
      expect(c.startupProbe?.periodSeconds).toBe(want.startup.periodSeconds);
      expect(c.startupProbe?.failureThreshold).toBe(want.startup.failureThreshold);
    } else {
      expect(c.startupProbe).toBeUndefined();
    }
    expect(c.lifecycle?.preStop).toEqual({ sleep: { seconds: want.preStopSleepSeconds } });
    expect(spec.template.spec.terminationGracePeriodSeconds).toBe(want.terminationGracePeriodSeconds);
    expect((spec as unknown as { strategy: unknown }).strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    expect(spec.template.spec as unknown).toMatchObject({
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: { labelSelector: spec.selector, topologyKey: 'kubernetes.io/hostname' },
            },
          ],
        },
      },
    });
    expect((spec.template.metadata as { annotations?: Record<string, string> }).annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(want.port),
      'prometheus.io/path': '/metrics',
    });
    // Seed 001 gives the user service a second port, `grpc` 9090 (its internal API and gRPC health).
    expect(c.ports).toEqual([
      { name: 'http', containerPort: want.port, protocol: 'TCP' },
      ...(want.grpcPort ? [{ name: 'grpc', containerPort: want.grpcPort, protocol: 'TCP' }] : []),
    ]);
    const svcPorts = find<K8sObject & { spec: { ports: unknown[] } }>(r.objects, 'Service', svc)!.spec.ports;
    expect(svcPorts).toEqual([
      { name: 'http', port: want.port, targetPort: 'http', protocol: 'TCP' },
      ...(want.grpcPort ? [{ name: 'grpc', port: want.grpcPort, targetPort: 'grpc', protocol: 'TCP' }] : []),
    ]);
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
    expect(env.GRPC_PORT).toBe(want.grpcPort ? String(want.grpcPort) : undefined);

    const hpa = find<K8sObject & { spec: Record<string, unknown> }>(
      r.objects,
      'HorizontalPodAutoscaler',
      `${svc}-hpa`,
    );
    expect(hpa, `HPA ${svc}-hpa`).toBeDefined();
    expect(hpa!.apiVersion).toBe('autoscaling/v2');
    expect(hpa!.spec.minReplicas).toBe(want.hpa.min);
    expect(hpa!.spec.maxReplicas).toBe(want.hpa.max);
    expect(hpa!.spec.metrics).toEqual(want.hpa.metrics);
    expect(hpa!.spec.behavior).toEqual(want.hpa.behavior);

    const pdb = find<K8sObject & { spec: Record<string, unknown> }>(
      r.objects,
      'PodDisruptionBudget',
      `${svc}-pdb`,
    );
    expect(pdb, `PDB ${svc}-pdb`).toBeDefined();
    expect(pdb!.apiVersion).toBe('policy/v1');
    expect(pdb!.spec.minAvailable).toEqual(want.pdb.minAvailable);
    expect(pdb!.spec.maxUnavailable).toEqual(want.pdb.maxUnavailable);
  });
});

describe('Services, probes and ServiceMonitors point at real pods and ports', () => {
  it.each(byRender(renders()))(
    '%s: every Service selects serving pods and targets a named container port',
    (_id, r) => {
      expect(serviceSelectionProblems(r.objects)).toEqual([]);
      // Helm's service charts address the umbrella's or the overlays' Services they do not render.
      if (r.tool === 'kustomize' || r.target === 'shop') expect(serviceUrlProblems(r.objects)).toEqual([]);
    },
  );

  it.each(byRender(renders()))(
    '%s: probe ports name container ports; service probes use /healthz and /readyz',
    (_id, r) => {
      const problems = probePortProblems(r.objects);
      for (const d of serviceDeployments(r)) {
        const c = mainContainer(d);
        expect(c.livenessProbe?.httpGet?.path, d.metadata.name).toBe('/healthz');
        expect(c.readinessProbe?.httpGet?.path, d.metadata.name).toBe('/readyz');
        if (c.startupProbe) expect(c.startupProbe.httpGet?.path, d.metadata.name).toBe('/healthz');
      }
      expect(problems).toEqual([]);
    },
  );

  it.each(byRender(renders()))(
    '%s: ServiceMonitor endpoints name a port of a selected Service that reaches a container port',
    (_id, r) => {
      const monitors = r.objects.filter((o) => o.kind === 'ServiceMonitor');
      const problems = monitorProblems(r.objects);
      // The four services are scraped on their http port in every render that contains them.
      for (const d of serviceDeployments(r)) {
        const service = find(r.objects, 'Service', d.metadata.name)!;
        const scraped = monitors.some((sm) => {
          const spec = sm.spec as {
            selector: Selector;
            namespaceSelector?: { matchNames?: string[] };
            endpoints: Array<{ port: string }>;
          };
          return (
            (spec.namespaceSelector?.matchNames ?? [ns(sm)]).includes(ns(service)) &&
            selects(spec.selector, service.metadata.labels ?? {}) &&
            spec.endpoints.some((e) => e.port === 'http')
          );
        });
        expect(scraped, `${d.metadata.name} is scraped`).toBe(true);
      }
      expect(problems).toEqual([]);
    },
  );
});

describe('HPAs and PDBs', () => {
  it.each(byRender(renders()))('%s: HPA and PDB targets exist and select the service pods', (_id, r) => {
    for (const hpa of r.objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
      const spec = hpa.spec as {
        scaleTargetRef: { apiVersion: string; kind: string; name: string };
        minReplicas: number;
        maxReplicas: number;
      };
      const target = r.objects.find(
        (o) =>
          o.kind === spec.scaleTargetRef.kind &&
          o.metadata.name === spec.scaleTargetRef.name &&
          ns(o) === ns(hpa),
      );
      expect(target, `${hpa.metadata.name} -> ${spec.scaleTargetRef.name}`).toBeDefined();
      expect(target!.apiVersion).toBe(spec.scaleTargetRef.apiVersion);
      expect(spec.minReplicas).toBeLessThanOrEqual(spec.maxReplicas);
    }
    for (const pdb of r.objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
      const selected = selectedWorkloads(r, ns(pdb), (pdb.spec as { selector: Selector }).selector);
      expect(
        selected.map((w) => `${w.object.kind}/${w.object.metadata.name}`),
        pdb.metadata.name,
      ).toEqual([`Deployment/${pdb.metadata.name.replace(/-pdb$/, '')}`]);
    }
    for (const d of serviceDeployments(r)) {
      expect(
        find(r.objects, 'HorizontalPodAutoscaler', `${d.metadata.name}-hpa`),
        d.metadata.name,
      ).toBeDefined();
      expect(find(r.objects, 'PodDisruptionBudget', `${d.metadata.name}-pdb`), d.metadata.name).toBeDefined();
      expect(selects(d.spec.selector, d.spec.template.metadata.labels)).toBe(true);
    }
  });

  it.each(byRender(renders()))(
    '%s: no PDB blocks every eviction at the default replica count or the HPA minimum',
    (_id, r) => {
      for (const pdb of r.objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
        const spec = pdb.spec as { minAvailable?: number | string; maxUnavailable?: number | string };
        const workload = selectedWorkloads(r, ns(pdb), (pdb.spec as { selector: Selector }).selector)[0]!;
        const hpa = r.objects.find(
          (o) =>
            o.kind === 'HorizontalPodAutoscaler' &&
            (o.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name ===
              workload.object.metadata.name,
        );
        const counts = [
          workload.replicas ?? 1,
          ...(hpa ? [(hpa.spec as { minReplicas: number }).minReplicas] : []),
        ];
        for (const replicas of counts) {
          const allowed =
            spec.minAvailable !== undefined
              ? replicas - resolveIntOrPercent(spec.minAvailable, replicas)
              : resolveIntOrPercent(spec.maxUnavailable!, replicas);
          expect(allowed, `${pdb.metadata.name} at ${replicas} replicas`).toBeGreaterThanOrEqual(1);
        }
      }
    },
  );
});

describe('containers and pod security', () => {
  it.each(byRender(renders()))(
    '%s: every container has requests and limits and a pinned, non-latest image',
    (_id, r) => {
      expect(containerProblems(r.objects)).toEqual([]);
    },
  );

  it.each(byRender(renders()))(
    '%s: every pod meets Pod Security restricted (and UID >= 10000, read-only root, /tmp emptyDir)',
    (_id, r) => {
      // Only the log collector may mount host paths, and only outside restricted namespaces.
      expect(podSecurityProblems(r.objects)).toEqual([]);
    },
  );

  it.each(byRender(renders()))('%s: no pod gets a service-account token it does not need', (_id, r) => {
    expect(serviceAccountTokenProblems(r.objects)).toEqual([]);
  });

  it.each(byRender(renders()))(
    '%s: the four services stop with the native preStop sleep and a shorter app deadline',
    (_id, r) => {
      for (const d of serviceDeployments(r)) {
        const c = mainContainer(d);
        expect(c.lifecycle?.preStop?.sleep?.seconds, d.metadata.name).toBeGreaterThan(0);
        expect(c.lifecycle?.preStop?.exec).toBeUndefined();
        const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
        const grace = d.spec.template.spec.terminationGracePeriodSeconds! * 1000;
        const budget =
          Number(env.SHUTDOWN_DELAY_MS) +
          Number(env.SHUTDOWN_TIMEOUT_MS) +
          c.lifecycle!.preStop!.sleep!.seconds * 1000;
        expect(budget, `${d.metadata.name}: preStop + drain must end before SIGKILL`).toBeLessThan(grace);
      }
    },
  );
});

describe('config and Secrets', () => {
  const sensitive = renders().filter((r) => ['staging', 'production'].includes(r.environment));
  it.each(byRender(sensitive))('%s: contains no plaintext Secret', (_id, r) => {
    expect(r.objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)).toEqual([]);
  });

  // That every Secret and ConfigMap a pod reads exists in time (render, operator or prerequisite) is
  // the apply-order model's job (apply-order.test.ts).

  it.each(byRender(renders().filter((r) => r.tool === 'kustomize')))(
    '%s: app-config has the seed 2.2 keys',
    (_id, r) => {
      const cm = find<K8sObject & { data: Record<string, string> }>(r.objects, 'ConfigMap', 'app-config');
      expect(Object.keys(cm!.data)).toEqual(
        expect.arrayContaining([
          'DB_HOST',
          'DB_PORT',
          'DB_NAME',
          'DB_POOL_SIZE',
          'DB_CONNECTION_TIMEOUT',
          'REDIS_HOST',
          'REDIS_PORT',
          'REDIS_DB',
          'REDIS_POOL_SIZE',
          'LOG_LEVEL',
          'LOG_FORMAT',
          'SERVICE_TIMEOUT',
          'SERVICE_RETRY',
        ]),
      );
      // Through the data tier's PgBouncer (the migration Jobs go to postgresql.data directly).
      expect(cm!.data).toMatchObject({
        DB_HOST: 'pgbouncer.data.svc.cluster.local',
        DB_PORT: '6432',
        REDIS_HOST: 'redis.data.svc.cluster.local',
        SERVICE_TIMEOUT: '10s',
      });
    },
  );
});

describe('migrations', () => {
  it.each(byRender(renders()))(
    '%s: one migration Job per service runs node dist/migrate.js from the service image',
    (_id, r) => {
      for (const d of serviceDeployments(r)) {
        const job = find<K8sObject & { spec: { template: { spec: Workload['spec'] } } }>(
          r.objects,
          'Job',
          `${d.metadata.name}-migrate`,
        );
        expect(job, `${d.metadata.name}-migrate`).toBeDefined();
        const c = job!.spec.template.spec.containers[0]!;
        expect(c.command).toEqual(['node', 'dist/migrate.js']);
        expect(c.image).toBe(mainContainer(d).image);
        if (r.tool === 'helm') {
          const hook = job!.metadata.annotations?.['helm.sh/hook'];
          expect(hook).toMatch(/pre-upgrade/);
          if (r.environment === 'production') expect(hook).toBe('pre-install,pre-upgrade');
        }
      }
    },
  );

  it.each(byRender(renders().filter((r) => r.tool === 'kustomize')))(
    '%s: ArgoCD waves put config and data stores before the migrations, migrations before the services',
    (_id, r) => {
      const wave = (o: K8sObject) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);
      for (const job of r.objects.filter((o) => o.kind === 'Job')) {
        expect(job.metadata.annotations?.['argocd.argoproj.io/hook']).toBe('Sync');
        for (const d of serviceDeployments(r)) expect(wave(job)).toBeLessThan(wave(d));
        const providers = r.objects.filter(
          (o) =>
            ['ConfigMap', 'Secret', 'ExternalSecret', 'StatefulSet'].includes(o.kind) &&
            [
              'app-config',
              'db-credentials',
              'redis-credentials',
              'internal-api',
              'postgresql',
              'redis',
            ].includes(o.metadata.name),
        );
        for (const p of providers) expect(wave(p), `${p.kind}/${p.metadata.name}`).toBeLessThan(wave(job));
      }
    },
  );
});

describe('namespaces and network policies (Kustomize; quotas: capacity.test.ts)', () => {
  const kustomize = renders().filter((r) => r.tool === 'kustomize');

  it.each(byRender(kustomize))(
    '%s: the four namespaces exist; microservices and data enforce restricted',
    (_id, r) => {
      const names = r.objects
        .filter((o) => o.kind === 'Namespace')
        .map((o) => o.metadata.name)
        .sort();
      expect(names).toEqual(['data', 'gateway', 'microservices', 'monitoring']);
      for (const n of ['microservices', 'data'])
        expect(find(r.objects, 'Namespace', n)!.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe(
          'restricted',
        );
    },
  );

  it.each(byRender(kustomize))(
    '%s: microservices and data are default-deny; each service opens exactly the calls its code makes',
    (_id, r) => {
      const policies = r.objects.filter((o) => o.kind === 'NetworkPolicy');
      for (const n of ['microservices', 'data']) {
        const deny = policies.find(
          (p) => ns(p) === n && Object.keys((p.spec as { podSelector: object }).podSelector).length === 0,
        );
        expect(deny, `default deny in ${n}`).toBeDefined();
        expect((deny!.spec as { policyTypes: string[] }).policyTypes.sort()).toEqual(['Egress', 'Ingress']);
        expect((deny!.spec as { ingress?: unknown }).ingress).toBeUndefined();
      }
      // The calls the code makes (services/*/src/config.ts), nothing more.
      const calls = serviceCalls();
      const callers = serviceCallers();
      const peers = Object.fromEntries(
        Object.keys(calls).map((svc) => [svc, { from: callers[svc]!, to: calls[svc]! }]),
      );
      for (const [svc, want] of Object.entries(peers)) {
        const p = policies.find((x) => x.metadata.name === svc && ns(x) === 'microservices')!;
        type Rule = {
          from?: Array<{ podSelector?: { matchLabels?: Record<string, string> } }>;
          to?: Array<{ podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: unknown }>;
          ports?: Array<{ port?: unknown }>;
        };
        const spec = p.spec as { ingress: Rule[]; egress: Rule[] };
        const apps = (
          peersOf: Array<{
            podSelector?: { matchLabels?: Record<string, string> };
            namespaceSelector?: unknown;
          }> = [],
        ) =>
          peersOf
            .filter((x) => !x.namespaceSelector)
            .map((x) => x.podSelector?.matchLabels?.app)
            .filter((a): a is string => Boolean(a) && a !== svc);
        const on = (rules: Rule[], port: string) =>
          rules.filter((rule) => (rule.ports ?? []).some((p) => p.port === port));
        expect(
          on(spec.ingress, 'http')
            .flatMap((rule) => apps(rule.from))
            .sort(),
          `${svc} callers`,
        ).toEqual([...want.from].sort());
        expect(
          on(spec.egress, 'http')
            .flatMap((rule) => apps(rule.to))
            .sort(),
          `${svc} callees`,
        ).toEqual([...want.to].sort());
        // The gRPC port (user-service's 9090): exactly the services whose code calls it.
        expect(
          on(spec.ingress, 'grpc')
            .flatMap((rule) => apps(rule.from))
            .sort(),
          `${svc} gRPC`,
        ).toEqual(grpcCallers()[svc]);
        expect(
          on(spec.egress, 'grpc')
            .flatMap((rule) => apps(rule.to))
            .sort(),
          `${svc} gRPC out`,
        ).toEqual(grpcCalls()[svc]);
        // Every rule names its ports: nothing is opened on all ports by accident.
        for (const rule of [...spec.ingress, ...spec.egress])
          expect(rule.ports?.length, `${svc}: a rule without ports`).toBeGreaterThan(0);
        const dns = spec.egress.some(
          (rule) => JSON.stringify(rule).includes('kube-dns') && JSON.stringify(rule).includes('"port":53'),
        );
        expect(dns, `${svc} DNS`).toBe(true);
      }
    },
  );
});

describe('ingress', () => {
  const withIngress = renders().filter((r) => r.objects.some((o) => o.kind === 'Ingress'));
  it.each(byRender(withIngress))(
    '%s: TLS, /api/v1/* routes to the four Services, CORS and the rate limit',
    (_id, r) => {
      const ing = find<
        K8sObject & {
          spec: {
            tls: Array<{ hosts: string[]; secretName: string }>;
            rules: Array<{
              host: string;
              http: {
                paths: Array<{
                  path: string;
                  pathType: string;
                  backend: { service: { name: string; port: { number: number } } };
                }>;
              };
            }>;
          };
        }
      >(r.objects, 'Ingress', 'ecommerce-ingress')!;
      expect(ing.apiVersion).toBe('networking.k8s.io/v1');
      expect(ing.spec.tls[0]!.hosts).toEqual([ing.spec.rules[0]!.host]);
      const routes = Object.fromEntries(ing.spec.rules[0]!.http.paths.map((p) => [p.path, p]));
      for (const [prefix, svc] of Object.entries({
        '/api/v1/users': 'user-service',
        '/api/v1/products': 'product-service',
        '/api/v1/orders': 'order-service',
        '/api/v1/payments': 'payment-service',
        '/api/v1/categories': 'product-service',
        '/.well-known/jwks.json': 'user-service',
      })) {
        const route = routes[prefix];
        expect(route, prefix).toBeDefined();
        expect(route!.pathType).toBe(prefix.startsWith('/.well-known/') ? 'Exact' : 'Prefix');
        expect(route!.backend.service.name).toBe(svc);
        const service = find<K8sObject & { spec: { ports: Array<{ port: number }> } }>(
          r.objects,
          'Service',
          svc,
        )!;
        expect(ns(service)).toBe(ns(ing));
        expect(service.spec.ports.map((p) => p.port)).toContain(route!.backend.service.port.number);
      }
      const a = ing.metadata.annotations!;
      expect(a['k8s.apisix.apache.org/enable-cors']).toBe('true');
      expect(a['k8s.apisix.apache.org/cors-allow-headers']).toMatch(/Idempotency-Key/);
      const pluginConfig = find<
        K8sObject & { spec: { plugins: Array<{ name: string; config: Record<string, unknown> }> } }
      >(r.objects, 'ApisixPluginConfig', a['k8s.apisix.apache.org/plugin-config-name']!);
      expect(pluginConfig?.spec.plugins.find((p) => p.name === 'limit-count')?.config).toEqual({
        count: 1000,
        time_window: 1,
        rejected_code: 429,
        key: 'remote_addr',
      });
    },
  );
});

describe('alerts, dashboard and the adapter rule use what the service kit exports', () => {
  const kit = kitHttpMetrics();
  // The other metrics the kit and the services define (cache, fault flags, process memory).
  const services = shopMetrics();
  const targetLabels = ['namespace', 'pod', 'app', 'instance', 'job', 'service', 'le'];
  const infraMetrics = [
    'up',
    'kube_pod_container_status_restarts_total',
    'kube_horizontalpodautoscaler_status_current_replicas',
    'kube_horizontalpodautoscaler_spec_max_replicas',
    'kube_deployment_status_replicas_available',
  ];

  function checkExpression(expr: string): string[] {
    const problems: string[] = [];
    const { selectors, groupBy } = parsePromQL(expr);
    const known = [...kit.labels, ...targetLabels, 'deployment'];
    for (const s of selectors) {
      const base = s.metric.replace(/_(bucket|sum|count)$/, '');
      const own = services.get(s.metric);
      if (kit.names.includes(s.metric) || kit.names.includes(base)) {
        for (const l of s.labels)
          if (![...kit.labels, ...targetLabels].includes(l))
            problems.push(`${s.metric}: label ${l} is not exported`);
      } else if (own) {
        for (const l of s.labels)
          if (![...own, ...targetLabels].includes(l))
            problems.push(`${s.metric}: label ${l} is not exported`);
        known.push(...own);
      } else if (!infraMetrics.includes(s.metric)) problems.push(`unknown metric ${s.metric}`);
    }
    for (const l of groupBy) if (!known.includes(l)) problems.push(`by (${l}) is not a known label`);
    return problems;
  }

  it('the kit exports http_requests_total and http_request_duration_seconds with method, route, status', () => {
    expect(kit.names).toEqual(
      expect.arrayContaining(['http_requests_total', 'http_request_duration_seconds']),
    );
    expect(kit.labels).toEqual(['method', 'route', 'status']);
  });

  it('the expression checker rejects a label the kit does not export', () => {
    expect(checkExpression('sum(rate(http_requests_total{code=~"5.."}[5m])) by (app)')).toEqual([
      'http_requests_total: label code is not exported',
    ]);
    expect(checkExpression('sum(rate(product_cache_requests_total{outcome="hit"}[5m])) by (reason)')).toEqual(
      ['product_cache_requests_total: label outcome is not exported', 'by (reason) is not a known label'],
    );
    expect(checkExpression('max(shop_fault_flags) by (flag)')).toEqual([
      'unknown metric shop_fault_flags',
      'by (flag) is not a known label',
    ]);
  });

  const base = () => renders().find((r) => r.id === 'kustomize:base')!;

  it('the five seed alerts exist and query exported metrics and labels', () => {
    const rule = find<
      K8sObject & {
        spec: {
          groups: Array<{
            rules: Array<{ alert: string; expr: string; for: string; labels: { severity: string } }>;
          }>;
        };
      }
    >(base().objects, 'PrometheusRule', 'ecommerce-alerts')!;
    const rules = rule.spec.groups.flatMap((g) => g.rules);
    expect(rules.map((x) => [x.alert, x.for, x.labels.severity])).toEqual([
      ['ServiceDown', '2m', 'critical'],
      ['HighErrorRate', '5m', 'warning'],
      ['HighLatencyP99', '5m', 'warning'],
      ['PodRestarting', '5m', 'warning'],
      ['HPAAtMaxReplicas', '15m', 'warning'],
    ]);
    expect(rules.find((x) => x.alert === 'HighErrorRate')!.expr).toMatch(/> 0\.05\s*$/);
    expect(rules.find((x) => x.alert === 'HighLatencyP99')!.expr).toMatch(
      /histogram_quantile\(0\.99,.*> 1\s*$/s,
    );
    expect(rules.find((x) => x.alert === 'PodRestarting')!.expr).toMatch(/\[1h\]\) > 3$/);
    expect(rules.flatMap((x) => checkExpression(x.expr))).toEqual([]);
  });

  it('the Grafana dashboard ConfigMap is loadable and its panels query exported metrics', () => {
    const cm = find<K8sObject & { data: Record<string, string> }>(
      base().objects,
      'ConfigMap',
      'ecommerce-grafana-dashboards',
    )!;
    expect(cm.metadata.namespace).toBe('monitoring');
    expect(cm.metadata.labels?.grafana_dashboard).toBe('1');
    const dashboard = JSON.parse(cm.data['microservices-overview.json']!) as {
      title: string;
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    // The seed's four panels (7.2), then memory, fault flags and cache hit ratios.
    expect(dashboard.panels.map((p) => p.title)).toEqual([
      'Requests per second',
      'p99 latency',
      'Error rate (5xx %)',
      'Available replicas',
      'Memory (RSS per pod)',
      'Fault flags on',
      'Cache hit ratio',
    ]);
    expect(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => checkExpression(t.expr)))).toEqual([]);
  });

  it('Prometheus Adapter produces the metric the order HPA scales on, from the kit histogram', () => {
    const cm = find<K8sObject & { data: Record<string, string> }>(
      base().objects,
      'ConfigMap',
      'prometheus-adapter-rules',
    )!;
    const config = cm.data['config.yaml']!;
    expect(config).toMatch(/seriesQuery: 'http_request_duration_seconds_bucket\{/);
    expect(config).toMatch(/as: "http_request_duration_seconds_p99"/);
    expect(config).toMatch(/histogram_quantile\(0\.99,/);
    const hpa = find<
      K8sObject & { spec: { metrics: Array<{ type: string; pods?: { metric: { name: string } } }> } }
    >(base().objects, 'HorizontalPodAutoscaler', 'order-service-hpa')!;
    expect(hpa.spec.metrics.find((m) => m.type === 'Pods')?.pods?.metric.name).toBe(
      'http_request_duration_seconds_p99',
    );
  });
});

describe('the table of real calls', () => {
  it('is read from the code: order calls user, product and payment; product and payment call user; nobody calls order', () => {
    expect(serviceCalls()).toEqual({
      'user-service': [],
      'product-service': ['user-service'],
      'order-service': ['payment-service', 'product-service', 'user-service'],
      'payment-service': ['user-service'],
    });
    expect(serviceCallers()['order-service']).toEqual([]);
  });

  it('gRPC too: the order service calls the user service over gRPC (USER_GRPC_URL), nobody else calls gRPC', () => {
    expect(grpcCalls()).toEqual({
      'user-service': [],
      'product-service': [],
      'order-service': ['user-service'],
      'payment-service': [],
    });
    expect(grpcCallers()['user-service']).toEqual(['order-service']);
  });
});
