import { groupOf, podSpecOf } from './k8s-refs.js';
import type { K8sObject } from './renders.js';
import type { Container, PodSpec } from './workloads.js';

/**
 * A render as the cluster runs it: what the operators and admission webhooks of the optional
 * components make of the objects we write. The quota, the connection budget and the checks that follow
 * pods use this view; schema validation and the apply-order model use the render itself.
 *
 * - Argo Rollouts: a Rollout with `workloadRef` runs the Deployment's pod template; the Deployment is
 *   scaled to zero by the controller (`scaleDown` other than `never`).
 * - Knative Serving: a Service becomes a revision Deployment (`<name>-00001-deployment`) with the
 *   queue-proxy container, scaled between min-scale and max-scale like an HPA, and the ExternalName
 *   Service `<name>` (port 80) its callers address.
 * - Istio: pods in a namespace labelled `istio-injection=enabled` (and not opted out) get the
 *   istio-proxy container and, with the CNI plugin, the istio-validation init container, sized by the
 *   `sidecar.istio.io/proxy*` annotations (Istio's defaults otherwise).
 * - CloudNativePG: a Cluster becomes instances running PostgreSQL with its `max_connections` and the
 *   built-in exporter, and the Services `<name>-rw/-ro/-r`; a Pooler becomes PgBouncer with the
 *   pgbouncer.ini the operator writes from its spec, its exporter and the Service `<name>`.
 */
export function asRun(objects: K8sObject[], defaultNamespace = 'microservices'): K8sObject[] {
  const ns = (o: K8sObject) => o.metadata.namespace ?? defaultNamespace;
  const out: K8sObject[] = [];
  const scaledDown = new Set<string>();
  for (const o of objects) {
    if (o.kind === 'Rollout' && groupOf(o.apiVersion) === 'argoproj.io') {
      const spec = o.spec as { workloadRef?: { kind: string; name: string; scaleDown?: string } };
      const ref = spec.workloadRef;
      if (ref) {
        const target = objects.find(
          (d) => d.kind === ref.kind && d.metadata.name === ref.name && ns(d) === ns(o),
        ) as (K8sObject & { spec: { template: unknown; selector: unknown } }) | undefined;
        if (target) {
          if ((ref.scaleDown ?? 'never') !== 'never') scaledDown.add(`${ns(o)}/${ref.kind}/${ref.name}`);
          out.push({
            ...o,
            spec: { ...(o.spec as object), template: structuredClone(target.spec.template) },
          });
          continue;
        }
      }
    }
    if (o.kind === 'Service' && groupOf(o.apiVersion) === 'serving.knative.dev') {
      out.push(...knativeService(o, ns(o)));
      continue;
    }
    if (groupOf(o.apiVersion) === 'postgresql.cnpg.io' && o.kind === 'Cluster') {
      out.push(o, ...cnpgCluster(o, ns(o)));
      continue;
    }
    if (groupOf(o.apiVersion) === 'postgresql.cnpg.io' && o.kind === 'Pooler') {
      out.push(o, ...cnpgPooler(o, ns(o), objects));
      continue;
    }
    out.push(o);
  }
  const injected = new Set(
    objects
      .filter((o) => o.kind === 'Namespace' && o.metadata.labels?.['istio-injection'] === 'enabled')
      .map((o) => o.metadata.name),
  );
  return out.map((o) => {
    let result = o;
    if (scaledDown.has(`${ns(o)}/${o.kind}/${o.metadata.name}`))
      result = { ...result, spec: { ...(result.spec as object), replicas: 0 } };
    if (injected.has(ns(o)) && podSpecOf(o) && o.kind !== 'Pod') result = withIstioProxy(result);
    return result;
  });
}

function withIstioProxy(o: K8sObject): K8sObject {
  const copy = structuredClone(o) as K8sObject & {
    spec: {
      template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } };
    };
  };
  const meta = copy.spec.template.metadata ?? {};
  if (meta.labels?.['sidecar.istio.io/inject'] === 'false') return o;
  const a = meta.annotations ?? {};
  // Istio's defaults (global.proxy.resources) where the pod does not say.
  const resources = {
    requests: {
      cpu: a['sidecar.istio.io/proxyCPU'] ?? '100m',
      memory: a['sidecar.istio.io/proxyMemory'] ?? '128Mi',
    },
    limits: {
      cpu: a['sidecar.istio.io/proxyCPULimit'] ?? '2',
      memory: a['sidecar.istio.io/proxyMemoryLimit'] ?? '1Gi',
    },
  };
  const spec = podSpecOf(copy)!;
  spec.containers.push({ name: 'istio-proxy', image: 'istio/proxyv2', resources });
  spec.initContainers = [
    ...(spec.initContainers ?? []),
    { name: 'istio-validation', image: 'istio/proxyv2', resources },
  ];
  return copy;
}

function knativeService(o: K8sObject, namespace: string): K8sObject[] {
  const template = structuredClone(
    (o.spec as { template: { metadata?: Record<string, unknown>; spec: PodSpec } }).template,
  );
  const annotations = (template.metadata?.annotations ?? {}) as Record<string, string>;
  const min = Number(annotations['autoscaling.knative.dev/min-scale'] ?? 0);
  const max = Number(annotations['autoscaling.knative.dev/max-scale'] ?? 0);
  const revision = `${o.metadata.name}-00001`;
  const labels = {
    ...((template.metadata?.labels ?? {}) as Record<string, string>),
    'serving.knative.dev/service': o.metadata.name,
    'serving.knative.dev/revision': revision,
  };
  const queue = (key: string) => annotations[`queue.sidecar.serving.knative.dev/${key}`];
  const queueProxy: Container = {
    name: 'queue-proxy',
    image: 'knative/queue',
    resources: {
      requests: {
        ...(queue('cpu-resource-request') ? { cpu: queue('cpu-resource-request')! } : { cpu: '25m' }),
        ...(queue('memory-resource-request') ? { memory: queue('memory-resource-request')! } : {}),
      },
      limits: {
        ...(queue('cpu-resource-limit') ? { cpu: queue('cpu-resource-limit')! } : {}),
        ...(queue('memory-resource-limit') ? { memory: queue('memory-resource-limit')! } : {}),
      },
    },
  };
  template.spec.containers.push(queueProxy);
  const deployment: K8sObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `${revision}-deployment`, namespace, labels },
    spec: {
      replicas: Math.max(min, 1),
      selector: { matchLabels: { 'serving.knative.dev/revision': revision } },
      // A new revision comes up at (at least) min-scale next to the old one before traffic moves.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: Math.max(min, 1), maxUnavailable: 0 } },
      template: { ...template, metadata: { ...template.metadata, labels } },
    },
  };
  const autoscaler: K8sObject = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: `${revision}-kpa`, namespace },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `${revision}-deployment` },
      minReplicas: Math.max(min, 1),
      // Unbounded when max-scale is absent: the budget then cannot hold, which is the point.
      maxReplicas: max || 1000,
    },
  };
  const service: K8sObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: o.metadata.name, namespace, labels: o.metadata.labels ?? {} },
    spec: {
      type: 'ExternalName',
      externalName: 'kourier-internal.kourier-system.svc.cluster.local',
      ports: [{ name: 'http', port: 80 }],
    },
  };
  return [deployment, autoscaler, service];
}

function cnpgCluster(o: K8sObject, namespace: string): K8sObject[] {
  const spec = o.spec as {
    instances: number;
    postgresql?: { parameters?: Record<string, string> };
    resources?: Container['resources'];
  };
  const parameters = spec.postgresql?.parameters ?? {};
  const labels = { 'cnpg.io/cluster': o.metadata.name };
  const args = ['postgres'];
  // CloudNativePG's defaults: max_connections 100, superuser_reserved_connections 3.
  args.push('-c', `max_connections=${parameters.max_connections ?? '100'}`);
  args.push('-c', `superuser_reserved_connections=${parameters.superuser_reserved_connections ?? '3'}`);
  const instances: K8sObject = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: o.metadata.name, namespace, labels },
    spec: {
      replicas: spec.instances,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            { name: 'postgresql', image: 'cloudnative-pg/postgresql', args, resources: spec.resources },
            // The instance manager's built-in exporter: one local connection.
            {
              name: 'metrics-exporter',
              env: [{ name: 'DATA_SOURCE_URI', value: '127.0.0.1:5432/postgres' }],
            },
          ],
        },
      },
    },
  };
  const service = (suffix: string): K8sObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `${o.metadata.name}-${suffix}`, namespace },
    spec: { selector: labels, ports: [{ name: 'postgres', port: 5432, targetPort: 5432 }] },
  });
  return [instances, service('rw'), service('ro'), service('r')];
}

function cnpgPooler(o: K8sObject, namespace: string, objects: K8sObject[]): K8sObject[] {
  const spec = o.spec as {
    cluster: { name: string };
    instances?: number;
    type?: string;
    pgbouncer?: { poolMode?: string; parameters?: Record<string, string> };
  };
  const labels = { 'cnpg.io/poolerName': o.metadata.name };
  const target = `${spec.cluster.name}-${spec.type ?? 'rw'}.${namespace}.svc.cluster.local`;
  const ini = [
    '[databases]',
    `* = host=${target} port=5432`,
    '',
    '[pgbouncer]',
    'listen_port = 5432',
    `pool_mode = ${spec.pgbouncer?.poolMode ?? 'session'}`,
    ...Object.entries(spec.pgbouncer?.parameters ?? {}).map(([k, v]) => `${k} = ${v}`),
  ].join('\n');
  void objects;
  const config: K8sObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${o.metadata.name}-config`, namespace },
    data: { 'pgbouncer.ini': ini },
  };
  const deployment: K8sObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: o.metadata.name, namespace, labels },
    spec: {
      replicas: spec.instances ?? 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            { name: 'pgbouncer', command: ['pgbouncer', '/controller/configs/pgbouncer.ini'] },
            // The instance manager's exporter reads SHOW STATS from the admin console.
            { name: 'metrics-exporter', args: ['postgres://127.0.0.1:5432/pgbouncer?sslmode=disable'] },
          ],
          volumes: [{ name: 'config', configMap: { name: `${o.metadata.name}-config` } }],
        },
      },
    },
  };
  const service: K8sObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: o.metadata.name, namespace },
    spec: { selector: labels, ports: [{ name: 'pgbouncer', port: 5432, targetPort: 5432 }] },
  };
  return [config, deployment, service];
}
