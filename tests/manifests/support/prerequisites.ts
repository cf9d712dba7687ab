import type { Prerequisites } from './apply-order.js';
import type { RenderSpec } from './renders.js';

/**
 * What a first sync or a first `helm install` expects to find on the cluster, in install order. This is
 * the list k8s/README.md and helm/README.md document (a test keeps them in step); the apply-order
 * model treats exactly these as pre-existing, so an undocumented prerequisite fails the suite.
 */
export interface Operator {
  name: string;
  /** What it brings: CRDs (`group/Kind`), namespaces, objects (`Kind/ns/name`). */
  crds: string[];
  namespaces?: string[];
  objects?: string[];
  /** Only these environments need it (all when absent). */
  environments?: string[];
  /** Only renders with one of these optional components (k8s/components) need it. */
  components?: string[];
}

export const OPERATORS: Operator[] = [
  {
    name: 'kube-prometheus-stack',
    crds: [
      'monitoring.coreos.com/ServiceMonitor',
      'monitoring.coreos.com/PrometheusRule',
      'monitoring.coreos.com/PodMonitor',
    ],
    namespaces: ['monitoring'],
  },
  { name: 'prometheus-adapter', crds: [] },
  { name: 'metrics-server', crds: [] },
  {
    name: 'apisix',
    crds: [
      'apisix.apache.org/ApisixPluginConfig',
      'apisix.apache.org/ApisixRoute',
      'apisix.apache.org/ApisixUpstream',
      'apisix.apache.org/ApisixTls',
    ],
    namespaces: ['gateway'],
  },
  {
    name: 'eck-operator',
    crds: ['elasticsearch.k8s.elastic.co/Elasticsearch'],
    // The Elasticsearch `logs` in monitoring (k8s/README.md) that Fluent Bit ships to: ECK creates its
    // Service, the password of the `elastic` user and the CA of its HTTP certificate.
    objects: [
      'Service/monitoring/logs-es-http',
      'Secret/monitoring/logs-es-elastic-user',
      'Secret/monitoring/logs-es-http-certs-public',
    ],
  },
  {
    name: 'cert-manager',
    crds: ['cert-manager.io/Certificate', 'cert-manager.io/ClusterIssuer', 'cert-manager.io/Issuer'],
    environments: ['staging', 'production'],
  },
  {
    name: 'external-secrets',
    crds: [
      'external-secrets.io/ExternalSecret',
      'external-secrets.io/ClusterSecretStore',
      'external-secrets.io/SecretStore',
    ],
    environments: ['staging', 'production'],
  },
  // The optional components' operators (k8s/components, k8s/README.md "Components").
  {
    name: 'argo-rollouts',
    crds: ['argoproj.io/Rollout', 'argoproj.io/AnalysisTemplate', 'argoproj.io/AnalysisRun'],
    components: ['canary', 'blue-green'],
  },
  {
    name: 'istio',
    crds: [
      'networking.istio.io/DestinationRule',
      'networking.istio.io/VirtualService',
      'security.istio.io/PeerAuthentication',
      'security.istio.io/AuthorizationPolicy',
    ],
    components: ['istio'],
  },
  {
    name: 'vertical-pod-autoscaler',
    crds: ['autoscaling.k8s.io/VerticalPodAutoscaler'],
    components: ['vpa'],
  },
  {
    name: 'knative-serving',
    crds: ['serving.knative.dev/Service'],
    components: ['knative'],
  },
  {
    name: 'cloudnative-pg',
    crds: ['postgresql.cnpg.io/Cluster', 'postgresql.cnpg.io/Pooler'],
    components: ['ha-data'],
  },
];

/** The shared ConfigMap and Secrets a service chart reads when installed on its own (helm/README.md). */
const SHARED_CONFIG = [
  'ConfigMap/microservices/app-config',
  'Secret/microservices/db-credentials',
  'Secret/microservices/redis-credentials',
  'Secret/microservices/internal-api',
];
/** The data tier Helm production values point at (k8s/overlays/production `data`, or managed services). */
const EXTERNAL_DATA_TIER = ['Service/data/postgresql', 'Service/data/pgbouncer', 'Service/data/redis'];

function fromOperators(environment: string, components: string[] = []): Prerequisites {
  const ops = OPERATORS.filter(
    (o) =>
      (!o.environments || o.environments.includes(environment)) &&
      (!o.components || o.components.some((c) => components.includes(c))),
  );
  return {
    crds: Object.fromEntries(ops.flatMap((o) => o.crds.map((c) => [c, o.name]))),
    namespaces: ops.flatMap((o) => o.namespaces ?? []),
    objects: Object.fromEntries(ops.flatMap((o) => (o.objects ?? []).map((x) => [x, o.name]))),
    // kind, minikube and every managed cluster have one; dev's claims use it.
    defaultStorageClass: true,
  };
}

const merge = (a: Prerequisites, b: Prerequisites): Prerequisites => ({
  crds: { ...a.crds, ...b.crds },
  namespaces: [...(a.namespaces ?? []), ...(b.namespaces ?? [])],
  objects: { ...a.objects, ...b.objects },
  defaultStorageClass: a.defaultStorageClass || b.defaultStorageClass,
});

/** Prerequisites of one render: the operators, plus what the documented install command brings. */
export function prerequisitesOf(
  spec: Pick<RenderSpec, 'tool' | 'target' | 'environment'> & { components?: string[] },
): Prerequisites {
  // Helm has no staging/dev split of operators: cert-manager and External Secrets come with production.
  const environment = spec.tool === 'helm' && spec.environment !== 'production' ? 'dev' : spec.environment;
  const base = fromOperators(environment, spec.components);
  if (spec.tool === 'kustomize') return base;
  // `helm install … -n microservices --create-namespace`
  const release: Prerequisites = { namespaces: ['microservices'] };
  const objects: Record<string, string> = {};
  if (spec.target !== 'shop')
    for (const o of SHARED_CONFIG) objects[o] = 'the shop umbrella chart or k8s overlays';
  if (spec.target !== 'shop' || spec.environment === 'production')
    for (const o of EXTERNAL_DATA_TIER) objects[o] = 'the data tier (k8s/overlays/<env> `data`)';
  if (spec.environment === 'production')
    for (const s of ['db-credentials', 'redis-credentials', 'internal-api', 'jwt-keys', 'payment-secret'])
      objects[`Secret/microservices/${s}`] = 'External Secrets / Sealed Secrets (values-production.yaml)';
  return merge(merge(base, release), { objects });
}
