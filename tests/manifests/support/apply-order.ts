import {
  calledServices,
  configRefs,
  groupOf,
  isBuiltInGroup,
  isNamespaced,
  type ObjectRef,
  podLabelsOf,
  podSpecOf,
  refId,
  refOf,
} from './k8s-refs.js';
import type { K8sObject } from './renders.js';
import { selects } from './workloads.js';

/**
 * The apply-order model: replays a render the way ArgoCD syncs it or Helm installs/upgrades it, and
 * reports every object that needs something only a later step creates (or that nothing creates).
 *
 * - ArgoCD (gitops-engine sync_tasks.go): tasks sorted by phase (PreSync, Sync, PostSync), sync wave,
 *   kind order, name; Namespaces and CRDs are bubbled up to the first task that needs them. Each
 *   (phase, wave) is one step: everything in it is applied, then ArgoCD waits until all of it is healthy
 *   (hooks: completed) before the next step. Helm hook annotations map to PreSync/PostSync the way ArgoCD
 *   maps them when it renders a chart.
 * - Helm (pkg/action, release/v1/util/kind_sorter.go): each pre-install/pre-upgrade hook is its own
 *   step, sorted by hook weight then name (kind order within), and a Job/Pod hook is waited for; then the
 *   release objects all at once in InstallOrder (with --wait: until ready); then post hooks; then
 *   `helm test` (test hooks). A hook with delete policy hook-succeeded is gone after its step. On upgrade
 *   the previous revision's release objects exist already.
 *
 * Dependencies are table-driven (DEPENDENCY_RULES), and so are objects that operators produce from other
 * objects (PRODUCERS), so later kinds (Argo Rollouts, CloudNativePG, Knative…) are one table row each.
 */

export type Mode = 'argocd' | 'helm-install' | 'helm-upgrade';

/** What exists before the first step: cluster defaults, the documented prerequisites (operators and
 * their CRDs, namespaces created by `--create-namespace` or another install, external data stores). */
export interface Prerequisites {
  namespaces?: string[];
  /** CRDs by `group/Kind`, e.g. `monitoring.coreos.com/ServiceMonitor`, with the operator that installs them. */
  crds?: Record<string, string>;
  /** Objects that exist already (`Secret/microservices/db-credentials`, `Service/data/postgresql`), with why. */
  objects?: Record<string, string>;
  /** A default StorageClass exists (claims without storageClassName bind through it). */
  defaultStorageClass?: boolean;
}

/** Always there: what the API server and controllers create by themselves. */
const CLUSTER_DEFAULTS = {
  namespaces: ['default', 'kube-system', 'kube-public', 'kube-node-lease'],
  priorityClasses: ['system-cluster-critical', 'system-node-critical'],
  /** Created in every namespace as soon as it exists. */
  perNamespace: ['ServiceAccount/default', 'ConfigMap/kube-root-ca.crt'],
};

export interface Dependency {
  ref: ObjectRef | { crd: string };
  rule: string;
  /** true when the dependency must exist at the moment the object is applied (the API server refuses it
   * otherwise); false when a controller retries until it appears within the same step. */
  admission: boolean;
  /** Also needs the pods behind the Service to be ready (Service calls). */
  ready?: boolean;
  at?: string;
}

const wantsNamespace = (o: K8sObject, ns: string): Dependency[] =>
  isNamespaced(o)
    ? [{ ref: { kind: 'Namespace', name: o.metadata.namespace ?? ns }, rule: 'namespace', admission: true }]
    : [];

/**
 * One row per kind of reference: given an object and the default namespace, what it needs. `objects`
 * (the whole render) lets a rule resolve env from ConfigMaps and Service selectors.
 */
export const DEPENDENCY_RULES: Array<{
  rule: string;
  needs: (o: K8sObject, ns: string, objects: K8sObject[]) => Dependency[];
}> = [
  { rule: 'namespace', needs: (o, ns) => wantsNamespace(o, ns) },
  {
    rule: 'custom resource definition',
    needs: (o) => {
      const group = groupOf(o.apiVersion);
      return isBuiltInGroup(group)
        ? []
        : [{ ref: { crd: `${group}/${o.kind}` }, rule: 'crd', admission: true }];
    },
  },
  {
    rule: 'service account',
    needs: (o, ns) => {
      const spec = podSpecOf(o);
      if (!spec) return [];
      // A bare Pod is refused by the ServiceAccount admission plugin; controllers retry pod creation.
      const name = spec.serviceAccountName ?? 'default';
      return [
        {
          ref: { kind: 'ServiceAccount', namespace: o.metadata.namespace ?? ns, name },
          rule: 'serviceAccountName',
          admission: o.kind === 'Pod',
        },
      ];
    },
  },
  {
    rule: 'config and secrets',
    needs: (o, ns) => {
      const spec = podSpecOf(o);
      if (!spec) return [];
      return configRefs(spec)
        .filter((r) => !r.optional)
        .map((r) => ({
          ref: { kind: r.kind, namespace: o.metadata.namespace ?? ns, name: r.name },
          rule: r.kind === 'Secret' ? 'secret' : 'configmap',
          admission: false,
          at: r.at,
        }));
    },
  },
  {
    rule: 'priority class',
    needs: (o) => {
      const name = (podSpecOf(o) as { priorityClassName?: string } | undefined)?.priorityClassName;
      return name
        ? [{ ref: { kind: 'PriorityClass', name }, rule: 'priorityClassName', admission: true }]
        : [];
    },
  },
  {
    rule: 'storage class',
    needs: (o) => {
      const spec = o.spec as
        | {
            storageClassName?: string | null;
            volumeClaimTemplates?: Array<{
              metadata: { name: string };
              spec: { storageClassName?: string | null };
            }>;
          }
        | undefined;
      const claims =
        o.kind === 'PersistentVolumeClaim'
          ? [{ name: o.metadata.name, storageClassName: spec?.storageClassName }]
          : (spec?.volumeClaimTemplates ?? []).map((t) => ({
              name: t.metadata.name,
              storageClassName: t.spec.storageClassName,
            }));
      // CloudNativePG: the instances' claims.
      if (o.kind === 'Cluster' && groupOf(o.apiVersion) === 'postgresql.cnpg.io')
        claims.push({
          name: `${o.metadata.name} storage`,
          storageClassName: (o.spec as { storage?: { storageClass?: string } }).storage?.storageClass,
        });
      return claims.map((c) => ({
        // null/absent: the cluster's default StorageClass (a prerequisite).
        ref: { kind: 'StorageClass', name: c.storageClassName ?? '(default)' },
        rule: 'storageClassName',
        admission: false,
        at: `claim ${c.name}`,
      }));
    },
  },
  {
    rule: 'service calls',
    // Run-to-completion pods (migration Jobs, helm test pods) fail or hang when the Service they call has
    // no ready pods yet; serving pods only turn unready, so they are not checked here.
    needs: (o, ns, objects) => {
      const spec = podSpecOf(o);
      if (!spec || !['Job', 'Pod', 'CronJob'].includes(o.kind)) return [];
      return calledServices(spec, o.metadata.namespace ?? ns, objects).map((s) => ({
        ref: { kind: 'Service', namespace: s.namespace, name: s.name },
        rule: 'calls service',
        admission: false,
        ready: true,
        at: s.at,
      }));
    },
  },
  {
    rule: 'ingress tls',
    needs: (o, ns) => {
      if (o.kind !== 'Ingress') return [];
      const tls = (o.spec as { tls?: Array<{ secretName?: string }> }).tls ?? [];
      return tls
        .filter((t) => t.secretName)
        .map((t) => ({
          ref: { kind: 'Secret', namespace: o.metadata.namespace ?? ns, name: t.secretName! },
          rule: 'ingress tls secret',
          admission: false,
        }));
    },
  },
  {
    rule: 'secret store',
    needs: (o, ns) => {
      if (o.kind !== 'ExternalSecret') return [];
      const ref = (o.spec as { secretStoreRef: { kind?: string; name: string } }).secretStoreRef;
      const kind = ref.kind ?? 'SecretStore';
      return [
        {
          ref: {
            kind,
            ...(kind === 'SecretStore' ? { namespace: o.metadata.namespace ?? ns } : {}),
            name: ref.name,
          },
          rule: 'secretStoreRef',
          admission: false,
        },
      ];
    },
  },
  {
    rule: 'apisix tls secret',
    needs: (o, ns) => {
      if (o.kind !== 'ApisixTls') return [];
      const secret = (o.spec as { secret: { name: string; namespace?: string } }).secret;
      return [
        {
          ref: {
            kind: 'Secret',
            namespace: secret.namespace ?? o.metadata.namespace ?? ns,
            name: secret.name,
          },
          rule: 'apisix tls secret',
          admission: false,
        },
      ];
    },
  },
  {
    // Argo Rollouts: the Deployment whose pod template a Rollout runs.
    rule: 'workload reference',
    needs: (o, ns) => {
      const ref =
        o.kind === 'Rollout'
          ? (o.spec as { workloadRef?: { kind: string; name: string } }).workloadRef
          : undefined;
      return ref
        ? [
            {
              ref: { kind: ref.kind, namespace: o.metadata.namespace ?? ns, name: ref.name },
              rule: 'workloadRef',
              admission: false,
            },
          ]
        : [];
    },
  },
  {
    // CloudNativePG: a Cluster's bootstrap Secret, a Pooler's Cluster.
    rule: 'cloudnative-pg references',
    needs: (o, ns) => {
      if (groupOf(o.apiVersion) !== 'postgresql.cnpg.io') return [];
      const namespace = o.metadata.namespace ?? ns;
      if (o.kind === 'Pooler')
        return [
          {
            ref: { kind: 'Cluster', namespace, name: (o.spec as { cluster: { name: string } }).cluster.name },
            rule: 'pooler cluster',
            admission: false,
          },
        ];
      const secret = (o.spec as { bootstrap?: { initdb?: { secret?: { name: string } } } }).bootstrap?.initdb
        ?.secret;
      return o.kind === 'Cluster' && secret
        ? [{ ref: { kind: 'Secret', namespace, name: secret.name }, rule: 'initdb secret', admission: false }]
        : [];
    },
  },
  {
    rule: 'role binding',
    needs: (o, ns) => {
      if (o.kind !== 'RoleBinding' && o.kind !== 'ClusterRoleBinding') return [];
      const roleRef = (o as { roleRef?: { kind: string; name: string } }).roleRef!;
      return [
        {
          ref: {
            kind: roleRef.kind,
            ...(roleRef.kind === 'Role' ? { namespace: o.metadata.namespace ?? ns } : {}),
            name: roleRef.name,
          },
          rule: 'roleRef',
          admission: false,
        },
      ];
    },
  },
];

/** Objects a controller or operator creates from another object (available once that object is applied). */
export const PRODUCERS: Array<{ produces: (o: K8sObject, ns: string) => ObjectRef[] }> = [
  {
    produces: (o, ns) =>
      o.kind === 'ExternalSecret'
        ? [
            {
              kind: 'Secret',
              namespace: o.metadata.namespace ?? ns,
              name: (o.spec as { target?: { name?: string } }).target?.name ?? o.metadata.name,
            },
          ]
        : [],
  },
  {
    produces: (o, ns) =>
      o.kind === 'SealedSecret'
        ? [{ kind: 'Secret', namespace: o.metadata.namespace ?? ns, name: o.metadata.name }]
        : [],
  },
  {
    // cert-manager's ingress-shim issues the TLS Secrets of an annotated Ingress.
    produces: (o, ns) => {
      const a = o.metadata.annotations ?? {};
      if (o.kind !== 'Ingress' || !(a['cert-manager.io/cluster-issuer'] || a['cert-manager.io/issuer']))
        return [];
      return ((o.spec as { tls?: Array<{ secretName?: string }> }).tls ?? [])
        .filter((t) => t.secretName)
        .map((t) => ({ kind: 'Secret', namespace: o.metadata.namespace ?? ns, name: t.secretName! }));
    },
  },
  {
    // cert-manager: a Certificate's Secret.
    produces: (o, ns) =>
      o.kind === 'Certificate' && groupOf(o.apiVersion) === 'cert-manager.io'
        ? [
            {
              kind: 'Secret',
              namespace: o.metadata.namespace ?? ns,
              name: (o.spec as { secretName: string }).secretName,
            },
          ]
        : [],
  },
  {
    // Knative Serving: a Service gets the (ExternalName) Service of its name that callers address.
    produces: (o, ns) =>
      o.kind === 'Service' && groupOf(o.apiVersion) === 'serving.knative.dev'
        ? [{ kind: 'Service', namespace: o.metadata.namespace ?? ns, name: o.metadata.name }]
        : [],
  },
  {
    // ECK: an Elasticsearch gets its HTTP Service, the `elastic` user's password and its CA.
    produces: (o, ns) =>
      o.kind === 'Elasticsearch' && groupOf(o.apiVersion) === 'elasticsearch.k8s.elastic.co'
        ? [
            { kind: 'Service', namespace: o.metadata.namespace ?? ns, name: `${o.metadata.name}-es-http` },
            {
              kind: 'Secret',
              namespace: o.metadata.namespace ?? ns,
              name: `${o.metadata.name}-es-elastic-user`,
            },
            {
              kind: 'Secret',
              namespace: o.metadata.namespace ?? ns,
              name: `${o.metadata.name}-es-http-certs-public`,
            },
          ]
        : [],
  },
  {
    // CloudNativePG: a Cluster gets its read-write/read-only Services and the app user's Secret; a
    // Pooler gets a Service of its own name.
    produces: (o, ns) => {
      if (groupOf(o.apiVersion) !== 'postgresql.cnpg.io') return [];
      const namespace = o.metadata.namespace ?? ns;
      if (o.kind === 'Pooler') return [{ kind: 'Service', namespace, name: o.metadata.name }];
      if (o.kind !== 'Cluster') return [];
      return [
        ...['rw', 'ro', 'r'].map((s) => ({ kind: 'Service', namespace, name: `${o.metadata.name}-${s}` })),
        { kind: 'Secret', namespace, name: `${o.metadata.name}-app` },
      ];
    },
  },
  {
    produces: (o) => {
      if (o.kind !== 'CustomResourceDefinition') return [];
      const spec = o.spec as { group: string; names: { kind: string } };
      return [{ kind: 'CRD', name: `${spec.group}/${spec.names.kind}` }];
    },
  },
];

export interface Step {
  /** `Sync wave -1`, `pre-install hook order-service-migrate`, `release`, … */
  label: string;
  objects: K8sObject[];
}

export interface Violation {
  object: string;
  step: string;
  needs: string;
  rule: string;
  /** The step that creates it, or `never`. */
  providedBy: string;
}

const ARGO_PHASES = ['PreSync', 'Sync', 'PostSync'] as const;
const ARGO_KIND_ORDER = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];
/** Helm's InstallOrder: ArgoCD's list with PriorityClass first and the webhook configurations last. */
const HELM_KIND_ORDER = [
  'PriorityClass',
  ...ARGO_KIND_ORDER,
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
];

/** Position of a kind in an order list; unknown kinds (custom resources) come last, by kind name. */
function kindRank(order: string[], kind: string): [number, string] {
  const i = order.indexOf(kind);
  return i >= 0 ? [i, ''] : [order.length, kind];
}
const compareKind = (order: string[], a: string, b: string) => {
  const [ra, ka] = kindRank(order, a);
  const [rb, kb] = kindRank(order, b);
  return ra - rb || ka.localeCompare(kb);
};

const annotation = (o: K8sObject, key: string) => o.metadata.annotations?.[key];
const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** An object placed in the replay: which step, its position inside it, and whether it is gone after. */
interface Placed {
  object: K8sObject;
  step: number;
  position: number;
  deletedAfterStep: boolean;
}

interface Plan {
  steps: Step[];
  placed: Placed[];
  /** Objects that exist before step 0 (previous revision on upgrade). */
  existing: K8sObject[];
}

/** ArgoCD's phase of an object (hook annotation, or the Helm hook it maps), or undefined if skipped. */
function argoPhases(o: K8sObject): string[] {
  const hook = annotation(o, 'argocd.argoproj.io/hook');
  if (hook) return list(hook).filter((h) => (ARGO_PHASES as readonly string[]).includes(h));
  const helmHook = list(annotation(o, 'helm.sh/hook'));
  if (helmHook.length > 0) {
    const phases = new Set<string>();
    for (const h of helmHook) {
      if (h === 'pre-install' || h === 'pre-upgrade') phases.add('PreSync');
      if (h === 'post-install' || h === 'post-upgrade') phases.add('PostSync');
    }
    return [...phases];
  }
  return ['Sync'];
}

function argoWave(o: K8sObject): number {
  const wave = annotation(o, 'argocd.argoproj.io/sync-wave') ?? annotation(o, 'helm.sh/hook-weight') ?? '0';
  const n = Number.parseInt(wave, 10);
  return Number.isNaN(n) ? 0 : n;
}

function planArgo(objects: K8sObject[], ns: string): Plan {
  type Task = { object: K8sObject; phase: number; wave: number };
  const tasks: Task[] = objects.flatMap((object) =>
    argoPhases(object).map((p) => ({
      object,
      phase: ARGO_PHASES.indexOf(p as (typeof ARGO_PHASES)[number]),
      wave: argoWave(object),
    })),
  );
  const order = (a: Task, b: Task) =>
    a.phase - b.phase ||
    a.wave - b.wave ||
    compareKind(ARGO_KIND_ORDER, a.object.kind, b.object.kind) ||
    a.object.metadata.name.localeCompare(b.object.metadata.name);
  tasks.sort(order);
  // sync_tasks.go adjustDeps: a Namespace (or CRD) sorted after the first task that needs it moves up to
  // that task's phase and wave.
  const bubble = (
    isDep: (o: K8sObject) => string | undefined,
    refersTo: (o: K8sObject) => string | undefined,
  ) => {
    const first = new Map<string, number>();
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[i]!;
      const key = isDep(t.object);
      if (key !== undefined) {
        const index = first.get(key);
        if (index !== undefined) {
          tasks.splice(i, 1);
          tasks.splice(index, 0, { ...t, phase: tasks[index]!.phase, wave: tasks[index]!.wave });
          for (const [k, v] of first) if (v >= index) first.set(k, v + 1);
        }
      } else {
        const ref = refersTo(t.object);
        if (ref !== undefined && !first.has(ref)) first.set(ref, i);
      }
    }
  };
  bubble(
    (o) => (o.kind === 'Namespace' && groupOf(o.apiVersion) === '' ? o.metadata.name : undefined),
    (o) => (isNamespaced(o) ? (o.metadata.namespace ?? ns) : undefined),
  );
  bubble(
    (o) => {
      if (o.kind !== 'CustomResourceDefinition') return undefined;
      const spec = o.spec as { group: string; names: { kind: string } };
      return `${spec.group}/${spec.names.kind}`;
    },
    (o) => `${groupOf(o.apiVersion)}/${o.kind}`,
  );
  const steps: Step[] = [];
  const placed: Placed[] = [];
  let key = '';
  tasks.forEach((t, position) => {
    const label = `${ARGO_PHASES[t.phase]} wave ${t.wave}`;
    if (label !== key) {
      steps.push({ label, objects: [] });
      key = label;
    }
    steps.at(-1)!.objects.push(t.object);
    const deletePolicy = list(annotation(t.object, 'argocd.argoproj.io/hook-delete-policy'));
    placed.push({
      object: t.object,
      step: steps.length - 1,
      position,
      deletedAfterStep: deletePolicy.includes('HookSucceeded'),
    });
  });
  return { steps, placed, existing: [] };
}

function planHelm(objects: K8sObject[], mode: 'helm-install' | 'helm-upgrade'): Plan {
  const event = mode === 'helm-install' ? 'install' : 'upgrade';
  const hooksOf = (o: K8sObject) => list(annotation(o, 'helm.sh/hook'));
  const release = objects
    .filter((o) => hooksOf(o).length === 0)
    .sort((a, b) => compareKind(HELM_KIND_ORDER, a.kind, b.kind));
  const hooks = (name: string) =>
    objects
      .filter((o) => hooksOf(o).includes(name))
      .sort(
        (a, b) =>
          Number.parseInt(annotation(a, 'helm.sh/hook-weight') ?? '0', 10) -
            Number.parseInt(annotation(b, 'helm.sh/hook-weight') ?? '0', 10) ||
          a.metadata.name.localeCompare(b.metadata.name) ||
          compareKind(HELM_KIND_ORDER, a.kind, b.kind),
      );
  const steps: Step[] = [];
  const placed: Placed[] = [];
  let position = 0;
  const add = (label: string, group: K8sObject[], isHook: boolean) => {
    if (group.length === 0) return;
    steps.push({ label, objects: group });
    for (const object of group)
      placed.push({
        object,
        step: steps.length - 1,
        position: position++,
        deletedAfterStep:
          isHook && list(annotation(object, 'helm.sh/hook-delete-policy')).includes('hook-succeeded'),
      });
  };
  for (const h of hooks(`pre-${event}`)) add(`pre-${event} hook ${h.kind}/${h.metadata.name}`, [h], true);
  add('release', release, false);
  for (const h of hooks(`post-${event}`)) add(`post-${event} hook ${h.kind}/${h.metadata.name}`, [h], true);
  for (const h of hooks('test')) add(`helm test ${h.kind}/${h.metadata.name}`, [h], true);
  return { steps, placed, existing: mode === 'helm-upgrade' ? release : [] };
}

export function plan(objects: K8sObject[], mode: Mode, defaultNamespace: string): Plan {
  return mode === 'argocd' ? planArgo(objects, defaultNamespace) : planHelm(objects, mode);
}

/** Replays the render and lists every dependency that is not there when its dependent needs it. */
export function checkApplyOrder(
  objects: K8sObject[],
  mode: Mode,
  options: { defaultNamespace: string; prerequisites?: Prerequisites },
): { steps: Step[]; violations: Violation[] } {
  const ns = options.defaultNamespace;
  const pre = options.prerequisites ?? {};
  const { steps, placed, existing } = plan(objects, mode, ns);
  const existingIds = new Set(existing.flatMap((o) => providedRefs(o, ns)).map(refId));

  /** Where each ref becomes available: the first placement that provides it. */
  const providers = new Map<string, Placed[]>();
  for (const p of placed)
    for (const ref of providedRefs(p.object, ns)) {
      const id = refId(ref);
      providers.set(id, [...(providers.get(id) ?? []), p]);
    }

  const namespacesBefore = new Set([...CLUSTER_DEFAULTS.namespaces, ...(pre.namespaces ?? [])]);
  const preexisting = (ref: ObjectRef | { crd: string }): boolean => {
    if ('crd' in ref) return ref.crd in (pre.crds ?? {});
    if (ref.kind === 'Namespace') return namespacesBefore.has(ref.name);
    if (ref.kind === 'StorageClass' && ref.name === '(default)') return !!pre.defaultStorageClass;
    if (ref.kind === 'PriorityClass' && CLUSTER_DEFAULTS.priorityClasses.includes(ref.name)) return true;
    if (CLUSTER_DEFAULTS.perNamespace.includes(`${ref.kind}/${ref.name}`)) return true;
    return refId(ref) in (pre.objects ?? {}) || existingIds.has(refId(ref));
  };

  const violations: Violation[] = [];
  for (const p of placed) {
    for (const dep of dependenciesOf(p.object, ns, objects)) {
      const id = 'crd' in dep.ref ? refId({ kind: 'CRD', name: dep.ref.crd }) : refId(dep.ref);
      const needs = 'crd' in dep.ref ? `CRD ${dep.ref.crd}` : id;
      if (preexisting(dep.ref) && !dep.ready) continue;
      const candidates = providers.get(id) ?? [];
      const usable = (q: Placed) =>
        (q.step < p.step && !q.deletedAfterStep) ||
        // Same step: a controller retries until it appears, unless the API server checks it on create.
        (q.step === p.step && (!dep.admission || q.position < p.position));
      const provider = candidates.find(usable);
      if (!provider && !preexisting(dep.ref)) {
        const later = candidates.find((q) => q.step >= p.step);
        const gone = candidates.find((q) => q.step < p.step && q.deletedAfterStep);
        violations.push({
          object: refId(refOf(p.object, ns)),
          step: steps[p.step]!.label,
          needs,
          rule: dep.rule + (dep.at ? ` (${dep.at})` : ''),
          providedBy: gone
            ? `${steps[gone.step]!.label}, deleted after it succeeded (hook-succeeded)`
            : later
              ? steps[later.step]!.label
              : 'never',
        });
        continue;
      }
      // A called Service also needs its pods: the workloads it selects must come no later.
      if (dep.ready && !('crd' in dep.ref)) {
        const target = dep.ref;
        const service = objects.find(
          (o) =>
            o.kind === 'Service' &&
            o.metadata.name === target.name &&
            (o.metadata.namespace ?? ns) === target.namespace,
        );
        const selector = (service?.spec as { selector?: Record<string, string> } | undefined)?.selector;
        if (!service || !selector) continue;
        const backends = placed.filter((q) => {
          const labels = podLabelsOf(q.object);
          return (
            labels !== undefined &&
            ['Deployment', 'StatefulSet', 'DaemonSet'].includes(q.object.kind) &&
            (q.object.metadata.namespace ?? ns) === target.namespace &&
            selects({ matchLabels: selector }, labels)
          );
        });
        const existingBackend = existing.some(
          (o) =>
            ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind) &&
            selects({ matchLabels: selector }, podLabelsOf(o) ?? {}),
        );
        // Same step is fine: the caller retries while the step waits for everything in it.
        const late = backends.find((q) => q.step > p.step);
        if (late && !existingBackend)
          violations.push({
            object: refId(refOf(p.object, ns)),
            step: steps[p.step]!.label,
            needs: `ready pods of ${needs} (${late.object.kind}/${late.object.metadata.name})`,
            rule: dep.rule + (dep.at ? ` (${dep.at})` : ''),
            providedBy: steps[late.step]!.label,
          });
      }
    }
  }
  return { steps, violations };
}

function providedRefs(o: K8sObject, ns: string): ObjectRef[] {
  return [refOf(o, ns), ...PRODUCERS.flatMap((p) => p.produces(o, ns))];
}

export function dependenciesOf(o: K8sObject, ns: string, objects: K8sObject[]): Dependency[] {
  return DEPENDENCY_RULES.flatMap((r) => r.needs(o, ns, objects));
}

/** One line per violation, for assertion messages. */
export const describeViolation = (v: Violation) =>
  `${v.object} [${v.step}] needs ${v.needs} via ${v.rule}, created ${v.providedBy === 'never' ? 'by nothing' : `at ${v.providedBy}`}`;
