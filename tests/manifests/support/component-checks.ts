import { parseDurationMs } from '@shop/service-kit';
import { isCoreService, policyPeers } from './consistency.js';
import { containerEnv, groupOf, podSpecOf, serviceHosts } from './k8s-refs.js';
import { kitHttpMetrics, parsePromQL } from './promql.js';
import type { K8sObject } from './renders.js';
import { grpcCallers, serviceCallers } from './service-calls.js';
import type { Container, PodSpec } from './workloads.js';

/**
 * What each optional component must keep true, as functions over a render (empty = holds). The
 * `reference` is the same overlay rendered without components, for "replaces X with the same Y" checks.
 */

const nsOf = (o: K8sObject) => o.metadata.namespace ?? 'microservices';
const byKind = (objects: K8sObject[], kind: string, group?: string) =>
  objects.filter((o) => o.kind === kind && (group === undefined || groupOf(o.apiVersion) === group));
const named = (objects: K8sObject[], kind: string, name: string, group?: string) =>
  byKind(objects, kind, group).find((o) => o.metadata.name === name);
export const SERVICES = ['user-service', 'product-service', 'order-service', 'payment-service'];

function appConfig(objects: K8sObject[]): Record<string, string> {
  return (named(objects, 'ConfigMap', 'app-config') as unknown as { data: Record<string, string> }).data;
}

// ---------------------------------------------------------------------------------------------------
// Argo Rollouts (canary, blue-green)

interface RolloutSpec {
  workloadRef?: { apiVersion: string; kind: string; name: string };
  strategy: {
    canary?: {
      steps?: Array<{ setWeight?: number; pause?: unknown }>;
      analysis?: { templates: Array<{ templateName: string }>; args?: Array<{ name: string }> };
    };
    blueGreen?: {
      activeService: string;
      previewService: string;
      prePromotionAnalysis?: { templates: Array<{ templateName: string }>; args?: Array<{ name: string }> };
      postPromotionAnalysis?: { templates: Array<{ templateName: string }>; args?: Array<{ name: string }> };
    };
  };
}

/** The analyses a Rollout starts: each template exists and gets every argument it has no value for. */
function analysisProblems(
  objects: K8sObject[],
  rollout: string,
  analysis: { templates: Array<{ templateName: string }>; args?: Array<{ name: string }> } | undefined,
): string[] {
  if (!analysis) return [`${rollout}: no analysis`];
  const problems: string[] = [];
  for (const { templateName } of analysis.templates) {
    const template = named(objects, 'AnalysisTemplate', templateName, 'argoproj.io');
    if (!template) {
      problems.push(`${rollout}: no AnalysisTemplate ${templateName}`);
      continue;
    }
    const spec = template.spec as { args?: Array<{ name: string; value?: string }> };
    for (const arg of spec.args ?? [])
      if (arg.value === undefined && !(analysis.args ?? []).some((a) => a.name === arg.name))
        problems.push(`${rollout}: ${templateName} needs argument ${arg.name}`);
  }
  return problems;
}

/** Each Rollout runs an existing Deployment, its HPA scales it, its analyses are complete. */
export function rolloutProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const name of SERVICES) {
    const rollout = named(objects, 'Rollout', name, 'argoproj.io');
    if (!rollout) {
      problems.push(`no Rollout ${name}`);
      continue;
    }
    const spec = rollout.spec as RolloutSpec;
    const ref = spec.workloadRef;
    if (!ref || !named(objects, ref.kind, ref.name))
      problems.push(`${name}: workloadRef to a missing workload`);
    const hpa = named(objects, 'HorizontalPodAutoscaler', `${name}-hpa`);
    const target = (hpa?.spec as { scaleTargetRef?: { kind: string; name: string } } | undefined)
      ?.scaleTargetRef;
    if (target?.kind !== 'Rollout' || target.name !== name)
      problems.push(`${name}: its HPA does not scale the Rollout`);
    if (spec.strategy.canary) {
      const weights = (spec.strategy.canary.steps ?? [])
        .filter((s) => s.setWeight !== undefined)
        .map((s) => s.setWeight);
      if (weights.join() !== '10,50') problems.push(`${name}: canary weights ${weights}`);
      const steps = spec.strategy.canary.steps ?? [];
      steps.forEach((s, i) => {
        if (s.setWeight !== undefined && !steps[i + 1]?.pause)
          problems.push(`${name}: no pause after ${s.setWeight} %`);
      });
      problems.push(...analysisProblems(objects, name, spec.strategy.canary.analysis));
    }
    const blueGreen = spec.strategy.blueGreen;
    if (blueGreen) {
      for (const svc of [blueGreen.activeService, blueGreen.previewService]) {
        const s = byKind(objects, 'Service').find((o) => isCoreService(o) && o.metadata.name === svc);
        if (!s) problems.push(`${name}: no Service ${svc}`);
      }
      problems.push(...analysisProblems(objects, name, blueGreen.prePromotionAnalysis));
      problems.push(...analysisProblems(objects, name, blueGreen.postPromotionAnalysis));
    }
  }
  return problems;
}

/** kube-state-metrics series (kube-prometheus-stack) the analyses may use, with their labels. */
const KUBE_STATE_METRICS: Record<string, string[]> = {
  kube_pod_status_ready: ['namespace', 'pod', 'condition'],
};

/**
 * The analyses' PromQL asks for metrics the kit exports (or Prometheus' `up`), by labels the scrape
 * produces: the kit's labels, the target labels, and the pod-template hash the ServiceMonitor relabels;
 * or for kube-state-metrics series by their own labels.
 */
export function analysisQueryProblems(objects: K8sObject[]): string[] {
  const kit = kitHttpMetrics();
  const monitor = named(objects, 'ServiceMonitor', 'microservices-monitor') as
    | (K8sObject & { spec: { endpoints: Array<{ relabelings?: Array<{ targetLabel?: string }> }> } })
    | undefined;
  const relabeled = (monitor?.spec.endpoints ?? []).flatMap((e) =>
    (e.relabelings ?? []).map((r) => r.targetLabel),
  );
  const labels = [...kit.labels, 'namespace', 'pod', 'app', 'instance', 'job', 'service', 'le', ...relabeled];
  const problems: string[] = [];
  for (const template of byKind(objects, 'AnalysisTemplate', 'argoproj.io'))
    for (const metric of (
      template.spec as { metrics: Array<{ name: string; provider: { prometheus?: { query: string } } }> }
    ).metrics) {
      const query = metric.provider.prometheus?.query;
      if (!query) continue;
      const { selectors } = parsePromQL(query.replace(/\{\{[^}]+\}\}/g, 'x'));
      for (const s of selectors) {
        const kubeState = KUBE_STATE_METRICS[s.metric];
        if (kubeState) {
          for (const l of s.labels)
            if (!kubeState.includes(l))
              problems.push(`${template.metadata.name}/${metric.name}: ${s.metric} has no label ${l}`);
          continue;
        }
        const base = s.metric.replace(/_(bucket|sum|count)$/, '');
        if (!(kit.names.includes(s.metric) || kit.names.includes(base) || s.metric === 'up'))
          problems.push(`${template.metadata.name}/${metric.name}: unknown metric ${s.metric}`);
        for (const l of s.labels)
          if (!labels.includes(l))
            problems.push(`${template.metadata.name}/${metric.name}: label ${l} is not scraped`);
      }
    }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Istio

interface AuthorizationRule {
  from?: Array<{ source: { namespaces?: string[]; principals?: string[] } }>;
  to?: Array<{ operation: { ports?: string[] } }>;
}

/**
 * The mesh agrees with the rest: every pod of `microservices` is injected (Jobs opted out), mTLS is
 * STRICT, each service has a DestinationRule and a VirtualService for its Service, retries happen in
 * one layer only (the kit's client: SERVICE_RETRY > 0, mesh attempts 0), the mesh timeout is a
 * backstop above the client's SERVICE_TIMEOUT, and each AuthorizationPolicy allows exactly the callers
 * and namespaces its NetworkPolicy allows.
 */
export function meshProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const ns = named(objects, 'Namespace', 'microservices');
  if (ns?.metadata.labels?.['istio-injection'] !== 'enabled') problems.push('microservices is not injected');
  for (const job of byKind(objects, 'Job'))
    if (
      (job.spec as { template: { metadata?: { labels?: Record<string, string> } } }).template.metadata
        ?.labels?.['sidecar.istio.io/inject'] !== 'false'
    )
      problems.push(`Job ${job.metadata.name} would keep running with its sidecar`);
  const peer = byKind(objects, 'PeerAuthentication', 'security.istio.io').find(
    (p) => nsOf(p) === 'microservices',
  );
  if ((peer?.spec as { mtls?: { mode?: string } } | undefined)?.mtls?.mode !== 'STRICT')
    problems.push('mTLS is not STRICT');
  const config = appConfig(objects);
  const clientTimeout = parseDurationMs(config.SERVICE_TIMEOUT ?? '10s') ?? 10_000;
  const clientRetries = Number(config.SERVICE_RETRY ?? 3);
  const callers = serviceCallers();
  for (const svc of SERVICES) {
    const service = byKind(objects, 'Service').find((o) => isCoreService(o) && o.metadata.name === svc);
    if (!service) continue;
    const host = `${svc}.${nsOf(service)}.svc.cluster.local`;
    const servicePorts = (service.spec as { ports: Array<{ name: string; port: number }> }).ports;
    const port = servicePorts[0]!.port;
    const grpcPort = servicePorts.find((p) => p.name === 'grpc')?.port;
    const rule = byKind(objects, 'DestinationRule', 'networking.istio.io').find(
      (d) => (d.spec as { host: string }).host === host,
    );
    if (!rule) problems.push(`${svc}: no DestinationRule`);
    else {
      const policy = (
        rule.spec as {
          trafficPolicy?: {
            outlierDetection?: unknown;
            connectionPool?: unknown;
            loadBalancer?: { simple?: string };
          };
        }
      ).trafficPolicy;
      if (!policy?.outlierDetection || !policy.connectionPool) problems.push(`${svc}: no circuit breaker`);
      if (!['LEAST_REQUEST', 'LEAST_CONN'].includes(policy?.loadBalancer?.simple ?? ''))
        problems.push(`${svc}: load balancing`);
    }
    const vs = byKind(objects, 'VirtualService', 'networking.istio.io').find((v) =>
      (v.spec as { hosts: string[] }).hosts.includes(host),
    );
    if (!vs) problems.push(`${svc}: no VirtualService`);
    else
      for (const route of (
        vs.spec as {
          http: Array<{
            match?: Array<{ port?: number }>;
            retries?: { attempts?: number };
            timeout?: string;
            route: Array<{ destination: { host: string; port?: { number: number } } }>;
          }>;
        }
      ).http) {
        const meshRetries = route.retries?.attempts ?? 2; // Istio's default policy retries twice
        if (meshRetries > 0 && clientRetries > 0)
          problems.push(
            `${svc}: retries in two layers (mesh ${meshRetries}, client SERVICE_RETRY ${clientRetries})`,
          );
        if (meshRetries === 0 && clientRetries === 0) problems.push(`${svc}: no layer retries`);
        const timeout = route.timeout ? parseDurationMs(route.timeout) : undefined;
        if (timeout === undefined || timeout <= clientTimeout)
          problems.push(
            `${svc}: mesh timeout ${route.timeout} is not above the client's ${clientTimeout} ms`,
          );
        // A route matching a port (gRPC on its own port) stays on it; the others go to the HTTP port.
        const want = route.match?.[0]?.port ?? port;
        if (!servicePorts.some((p) => p.port === want)) problems.push(`${svc}: matches port ${want}`);
        for (const r of route.route)
          if (r.destination.host !== host || (r.destination.port && r.destination.port.number !== want))
            problems.push(`${svc}: routes to ${r.destination.host}:${r.destination.port?.number}`);
      }
    // Without a route of its own the catch-all would send gRPC to the HTTP port.
    if (vs && grpcPort !== undefined) {
      const routes = (vs.spec as { http: Array<{ match?: Array<{ port?: number }> }> }).http;
      if (!routes.some((r) => r.match?.some((m) => m.port === grpcPort)))
        problems.push(`${svc}: no VirtualService route for the gRPC port ${grpcPort}`);
    }
    // AuthorizationPolicy vs NetworkPolicy: same callers (ServiceAccount = app name), same namespaces.
    const ap = byKind(objects, 'AuthorizationPolicy', 'security.istio.io').find(
      (a) => a.metadata.name === svc,
    );
    const np = byKind(objects, 'NetworkPolicy').find(
      (n) => n.metadata.name === svc && nsOf(n) === 'microservices',
    );
    if (!ap || !np) {
      problems.push(`${svc}: AuthorizationPolicy and NetworkPolicy both needed`);
      continue;
    }
    const rules = (ap.spec as { rules: AuthorizationRule[] }).rules;
    // The callers a set of rules admits (deduplicated), by ServiceAccount.
    const callersOf = (selected: AuthorizationRule[]) =>
      [
        ...new Set(
          selected
            .flatMap((r) => r.from ?? [])
            .flatMap((f) => f.source.principals ?? [])
            .map((p) => /\/sa\/([^/]+)$/.exec(p)?.[1])
            .filter((sa): sa is string => !!sa && sa !== svc),
        ),
      ].sort();
    const onPort = (n: number) =>
      rules.filter((r) => (r.to ?? []).some((t) => (t.operation.ports ?? []).includes(String(n))));
    const principals = callersOf(onPort(port));
    const namespaces = rules
      .flatMap((r) => r.from ?? [])
      .flatMap((f) => f.source.namespaces ?? [])
      .sort();
    const npNamespaces = (
      (
        np.spec as {
          ingress: Array<{
            from?: Array<{
              namespaceSelector?: { matchLabels?: Record<string, string> };
              podSelector?: unknown;
            }>;
          }>;
        }
      ).ingress ?? []
    )
      .flatMap((r) => r.from ?? [])
      .filter((f) => f.namespaceSelector && !f.podSelector)
      .map((f) => f.namespaceSelector!.matchLabels?.['kubernetes.io/metadata.name'])
      .filter((n): n is string => !!n)
      .sort();
    if (principals.join() !== policyPeers(np, 'from', 'http').join())
      problems.push(
        `${svc}: mesh callers ${principals} != network callers ${policyPeers(np, 'from', 'http')}`,
      );
    // The gRPC port: the same callers in both layers, and exactly those whose code calls it.
    const grpcPrincipals = grpcPort === undefined ? [] : callersOf(onPort(grpcPort));
    if (grpcPrincipals.join() !== policyPeers(np, 'from', 'grpc').join())
      problems.push(
        `${svc}: mesh gRPC callers ${grpcPrincipals} != network ${policyPeers(np, 'from', 'grpc')}`,
      );
    if (grpcPrincipals.join() !== [...grpcCallers()[svc]!].sort().join())
      problems.push(`${svc}: mesh gRPC callers ${grpcPrincipals} != code ${grpcCallers()[svc]}`);
    if (principals.join() !== [...callers[svc]!].sort().join())
      problems.push(`${svc}: mesh callers ${principals} != code ${callers[svc]}`);
    if (namespaces.join() !== npNamespaces.join())
      problems.push(`${svc}: mesh namespaces ${namespaces} != ${npNamespaces}`);
    const ports = rules.flatMap((r) => r.to ?? []).flatMap((t) => t.operation.ports ?? []);
    if (!ports.every((p) => servicePorts.some((sp) => sp.port === Number(p))))
      problems.push(`${svc}: AuthorizationPolicy ports ${ports}`);
  }
  const allowNothing = byKind(objects, 'AuthorizationPolicy', 'security.istio.io').find(
    (a) => nsOf(a) === 'microservices' && Object.keys((a.spec as object) ?? {}).length === 0,
  );
  if (!allowNothing) problems.push('no allow-nothing AuthorizationPolicy in microservices');
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// VerticalPodAutoscaler

/**
 * A VPA that applies its recommendations (Auto, Recreate, InPlaceOrRecreate, Initial) must not control
 * a resource an HPA of the same workload scales on by utilization: changing the request moves the
 * HPA's signal and the two fight. Recommendation mode (Off) is always fine.
 */
export function vpaHpaConflicts(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const vpa of byKind(objects, 'VerticalPodAutoscaler', 'autoscaling.k8s.io')) {
    const spec = vpa.spec as {
      targetRef: { kind: string; name: string };
      updatePolicy?: { updateMode?: string };
      resourcePolicy?: { containerPolicies?: Array<{ controlledResources?: string[]; mode?: string }> };
    };
    if (!named(objects, spec.targetRef.kind, spec.targetRef.name))
      problems.push(`${vpa.metadata.name}: no target ${spec.targetRef.name}`);
    const mode = spec.updatePolicy?.updateMode ?? 'Auto';
    if (mode === 'Off') continue;
    const controlled = new Set(
      (spec.resourcePolicy?.containerPolicies ?? [{}])
        .filter((p) => p.mode !== 'Off')
        .flatMap((p) => p.controlledResources ?? ['cpu', 'memory']),
    );
    // The HPA of the same pods: scaling the workload itself, or the Rollout that runs its template.
    const hpas = byKind(objects, 'HorizontalPodAutoscaler').filter((h) => {
      const t = (h.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
      return t.name === spec.targetRef.name && nsOf(h) === nsOf(vpa);
    });
    for (const hpa of hpas)
      for (const m of (hpa.spec as { metrics?: Array<{ type: string; resource?: { name: string } }> })
        .metrics ?? [])
        if (m.type === 'Resource' && m.resource && controlled.has(m.resource.name))
          problems.push(
            `${vpa.metadata.name}: updateMode ${mode} changes ${m.resource.name} requests that ${hpa.metadata.name} scales on`,
          );
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Knative

type Env = NonNullable<Container['env']>;
const envMap = (env: Env | undefined) => Object.fromEntries((env ?? []).map((e) => [e.name, e]));

/**
 * The Knative Service runs what the Deployment it replaces ran: image, env (but SHUTDOWN_DELAY_MS, which
 * takes over the preStop sleep Knative does not allow), envFrom, probe paths and timings, resources;
 * it ends its drain inside the revision timeout; its address is PAYMENT_SERVICE_URL; the Deployment,
 * its HPA, PDB and Service are gone.
 */
export function knativeProblems(
  objects: K8sObject[],
  reference: K8sObject[],
  name = 'payment-service',
): string[] {
  const problems: string[] = [];
  const ksvc = named(objects, 'Service', name, 'serving.knative.dev');
  const deployment = named(reference, 'Deployment', name);
  if (!ksvc || !deployment) return [`no Knative Service ${name} or no Deployment ${name} to compare with`];
  for (const [kind, n] of [
    ['Deployment', name],
    ['HorizontalPodAutoscaler', `${name}-hpa`],
    ['PodDisruptionBudget', `${name}-pdb`],
  ] as const)
    if (named(objects, kind, n)) problems.push(`${kind} ${n} is still there`);
  if (byKind(objects, 'Service').some((o) => isCoreService(o) && o.metadata.name === name))
    problems.push(`the core Service ${name} would clash with Knative's`);
  const k = podSpecOf(ksvc)!.containers[0]!;
  const d = podSpecOf(deployment)!.containers.find((c) => c.name === name)!;
  if (k.image !== d.image) problems.push(`image ${k.image} != ${d.image}`);
  if (JSON.stringify(k.envFrom) !== JSON.stringify(d.envFrom)) problems.push('envFrom differs');
  const ke = envMap(k.env);
  const de = envMap(d.env);
  for (const key of new Set([...Object.keys(ke), ...Object.keys(de)])) {
    if (key === 'SHUTDOWN_DELAY_MS') continue;
    if (JSON.stringify(ke[key]) !== JSON.stringify(de[key])) problems.push(`env ${key} differs`);
  }
  const preStop = d.lifecycle?.preStop?.sleep?.seconds ?? 0;
  if (Number(ke.SHUTDOWN_DELAY_MS?.value) !== preStop * 1000)
    problems.push(
      `SHUTDOWN_DELAY_MS ${ke.SHUTDOWN_DELAY_MS?.value} does not replace the ${preStop} s preStop sleep`,
    );
  const timing = (p: Container['livenessProbe']) =>
    JSON.stringify({ ...p, httpGet: { path: p?.httpGet?.path } });
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const)
    if (timing(k[probe]) !== timing(d[probe])) problems.push(`${probe} differs`);
  const spec = ksvc.spec as { template: { spec: PodSpec & { timeoutSeconds?: number } } };
  const budget = Number(ke.SHUTDOWN_DELAY_MS?.value) + Number(ke.SHUTDOWN_TIMEOUT_MS?.value);
  if (!(budget < (spec.template.spec.timeoutSeconds ?? 300) * 1000))
    problems.push(
      `drain ${budget} ms does not end inside timeoutSeconds ${spec.template.spec.timeoutSeconds}`,
    );
  const annotations =
    (ksvc.spec as { template: { metadata?: { annotations?: Record<string, string> } } }).template.metadata
      ?.annotations ?? {};
  if (!(Number(annotations['autoscaling.knative.dev/min-scale']) >= 1))
    problems.push('min-scale must keep a pod: the outbox relay runs in every pod');
  if (!annotations['autoscaling.knative.dev/max-scale'])
    problems.push('no max-scale: the quota and connection budget need a bound');
  if (!annotations['autoscaling.knative.dev/target']) problems.push('no concurrency target');
  const url = appConfig(objects).PAYMENT_SERVICE_URL ?? '';
  const host = serviceHosts(url)[0];
  if (host?.name !== name || new URL(url).port !== '')
    problems.push(`PAYMENT_SERVICE_URL ${url} is not Knative's address (port 80)`);
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// APISIX

/**
 * The gateway has the blueprint's numbers, every route of the plain Ingress it replaces is an
 * ApisixRoute rule to the same backend, the edge plugins are on every rule, TLS covers the Ingress'
 * hosts and CORS allows its origins; no Ingress is left.
 */
export function gatewayProblems(objects: K8sObject[], reference: K8sObject[]): string[] {
  const problems: string[] = [];
  const gw = named(objects, 'Deployment', 'api-gateway') as
    | (K8sObject & { spec: { replicas: number; template: { spec: PodSpec } } })
    | undefined;
  if (!gw || nsOf(gw) !== 'gateway') return ['no api-gateway Deployment in gateway'];
  const c = gw.spec.template.spec.containers[0]!;
  if (gw.spec.replicas !== 3) problems.push(`replicas ${gw.spec.replicas}`);
  const ports = (c.ports ?? []).map((p) => p.containerPort);
  for (const p of [9080, 9443, 9090]) if (!ports.includes(p)) problems.push(`no container port ${p}`);
  if (gw.spec.template.spec.terminationGracePeriodSeconds !== 60) problems.push('grace period is not 60 s');
  if (c.lifecycle?.preStop?.sleep?.seconds !== 15) problems.push('preStop is not 15 s');
  if (!c.livenessProbe || !c.readinessProbe) problems.push('no probes');
  if (byKind(objects, 'Ingress').length > 0) problems.push('the plain Ingress is still there');
  const ingress = named(reference, 'Ingress', 'ecommerce-ingress') as
    | (K8sObject & {
        spec: {
          tls: Array<{ hosts: string[]; secretName: string }>;
          rules: Array<{
            http: {
              paths: Array<{
                path: string;
                backend: { service: { name: string; port: { number: number } } };
              }>;
            };
          }>;
        };
      })
    | undefined;
  if (!ingress) return [...problems, 'no Ingress in the reference render'];
  type Http = {
    name: string;
    match: { paths: string[] };
    backends: Array<{ serviceName: string; servicePort: number }>;
    plugin_config_name?: string;
  };
  const rules = byKind(objects, 'ApisixRoute', 'apisix.apache.org').flatMap(
    (r) => (r.spec as { http: Http[] }).http,
  );
  for (const p of ingress.spec.rules.flatMap((r) => r.http.paths)) {
    const covered = rules.find(
      (r) =>
        r.match.paths.includes(p.path) &&
        r.backends.some(
          (b) => b.serviceName === p.backend.service.name && b.servicePort === p.backend.service.port.number,
        ),
    );
    if (!covered)
      problems.push(`Ingress path ${p.path} has no ApisixRoute rule to ${p.backend.service.name}`);
  }
  const plugins = named(objects, 'ApisixPluginConfig', 'shop-edge', 'apisix.apache.org') as
    | (K8sObject & {
        spec: { plugins: Array<{ name: string; enable: boolean; config: Record<string, unknown> }> };
      })
    | undefined;
  const enabled = (plugins?.spec.plugins ?? [])
    .filter((p) => p.enable)
    .map((p) => p.name)
    .sort();
  if (enabled.join() !== 'cors,limit-count,limit-req') problems.push(`edge plugins ${enabled}`);
  for (const r of rules)
    if (r.plugin_config_name !== 'shop-edge') problems.push(`rule ${r.name} without the edge plugins`);
  const origins = ingress.metadata.annotations?.['k8s.apisix.apache.org/cors-allow-origin'];
  const cors = plugins?.spec.plugins.find((p) => p.name === 'cors')?.config.allow_origins;
  if (cors !== origins) problems.push(`CORS origins ${cors} != the Ingress' ${origins}`);
  const tls = byKind(objects, 'ApisixTls', 'apisix.apache.org')[0]?.spec as
    | { hosts: string[]; secret: { name: string } }
    | undefined;
  if (JSON.stringify(tls?.hosts) !== JSON.stringify(ingress.spec.tls[0]!.hosts))
    problems.push(`TLS hosts ${tls?.hosts}`);
  if (tls?.secret.name !== ingress.spec.tls[0]!.secretName)
    problems.push('TLS secret differs from the Ingress');
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// HA data tier

/**
 * PostgreSQL is a 3-instance CloudNativePG Cluster behind a transaction-mode Pooler, which is the
 * services' DB_HOST; migrations go to `<cluster>-rw`; the single StatefulSets are gone; REDIS_SENTINELS
 * names a Service port reaching the Sentinels of a 3-pod StatefulSet.
 */
export function haDataProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const clusters = byKind(objects, 'Cluster', 'postgresql.cnpg.io');
  const cluster = clusters[0] as (K8sObject & { spec: { instances: number } }) | undefined;
  if (cluster?.spec.instances !== 3) problems.push('no 3-instance CloudNativePG Cluster');
  const pooler = byKind(objects, 'Pooler', 'postgresql.cnpg.io')[0] as
    | (K8sObject & { spec: { type?: string; pgbouncer: { poolMode: string }; cluster: { name: string } } })
    | undefined;
  if (pooler?.spec.pgbouncer.poolMode !== 'transaction' || (pooler.spec.type ?? 'rw') !== 'rw')
    problems.push('no transaction-mode rw Pooler');
  if (byKind(objects, 'PodMonitor').filter((p) => nsOf(p) === 'data').length < 2)
    problems.push('no PodMonitors for the instances and the Pooler');
  for (const gone of ['postgresql', 'redis'])
    if (named(objects, 'StatefulSet', gone)) problems.push(`StatefulSet ${gone} is still there`);
  if (named(objects, 'Deployment', 'pgbouncer')) problems.push('the base PgBouncer is still there');
  const config = appConfig(objects);
  if (pooler && serviceHosts(config.DB_HOST ?? '')[0]?.name !== pooler.metadata.name)
    problems.push(`DB_HOST ${config.DB_HOST} is not the Pooler`);
  for (const job of byKind(objects, 'Job').filter(
    (j) => j.metadata.labels?.['app.kubernetes.io/component'] === 'migration',
  )) {
    const env = containerEnv(podSpecOf(job)!.containers[0]!, nsOf(job), objects);
    if (cluster && serviceHosts(env.DB_HOST ?? '')[0]?.name !== `${cluster.metadata.name}-rw`)
      problems.push(`Job ${job.metadata.name}: DB_HOST ${env.DB_HOST} is not the primary`);
  }
  const sentinels = (config.REDIS_SENTINELS ?? '').split(',').filter(Boolean);
  if (sentinels.length === 0) problems.push('no REDIS_SENTINELS');
  for (const entry of sentinels) {
    const [hostname, port] = entry.split(':');
    const host = serviceHosts(hostname ?? '')[0];
    const service = byKind(objects, 'Service').find(
      (s) => isCoreService(s) && s.metadata.name === host?.name && nsOf(s) === host?.namespace,
    );
    const servicePort = (
      service?.spec as { ports: Array<{ port: number; targetPort?: string }> } | undefined
    )?.ports.find((p) => p.port === Number(port));
    if (!servicePort) {
      problems.push(`REDIS_SENTINELS ${entry} is no Service port`);
      continue;
    }
    const sts = byKind(objects, 'StatefulSet').find(
      (s) =>
        nsOf(s) === host!.namespace &&
        podSpecOf(s)!.containers.some((c) =>
          (c.ports ?? []).some((p) => p.name === servicePort.targetPort && p.containerPort === 26379),
        ),
    ) as (K8sObject & { spec: { replicas: number } }) | undefined;
    if (sts?.spec.replicas !== 3) problems.push(`${entry} does not reach the Sentinels of 3 Redis pods`);
  }
  return problems;
}
