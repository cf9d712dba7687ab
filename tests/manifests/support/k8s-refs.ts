import type { K8sObject } from './renders.js';
import { allContainers, type Container, type PodSpec } from './workloads.js';

/**
 * What a rendered object refers to, read the way the API server and the controllers read it. Shared by
 * the apply-order model, the quota check and the connection budget, so every check sees the same pods,
 * the same environment and the same references.
 */

/** `*.k8s.io` groups that are CRDs, not built in (the VerticalPodAutoscaler, Gateway API, snapshots). */
const CRD_K8S_IO_GROUPS = ['autoscaling.k8s.io', 'gateway.networking.k8s.io', 'snapshot.storage.k8s.io'];

/** The built-in API groups (no CRD needed): core, the `*.k8s.io` groups and the unqualified ones. */
export const isBuiltInGroup = (group: string) =>
  group === '' || !group.includes('.') || (group.endsWith('.k8s.io') && !CRD_K8S_IO_GROUPS.includes(group));

export const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

/** Kinds that are not namespaced (everything else is). */
export const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'CSIDriver',
  'PriorityClass',
  'RuntimeClass',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'IngressClass',
  'ClusterSecretStore',
  'ClusterIssuer',
  'ClusterExternalSecret',
]);

export const isNamespaced = (o: K8sObject) => !CLUSTER_SCOPED_KINDS.has(o.kind);

/** The pod template (or pod spec) of any workload-like object: core controllers, bare Pods, CronJobs,
 * and CRDs that embed a pod template the usual way (Argo Rollouts, Knative Services). */
export function podSpecOf(o: K8sObject): PodSpec | undefined {
  const spec = o.spec as Record<string, unknown> | undefined;
  if (!spec) return undefined;
  if (o.kind === 'Pod') return spec as unknown as PodSpec;
  const template = spec.template as { spec?: PodSpec } | undefined;
  if (template?.spec?.containers) return template.spec;
  const jobTemplate = spec.jobTemplate as { spec?: { template?: { spec?: PodSpec } } } | undefined;
  return jobTemplate?.spec?.template?.spec;
}

export interface ObjectRef {
  kind: string;
  namespace?: string;
  name: string;
}

export const refId = (r: ObjectRef) => `${r.kind}/${r.namespace ? `${r.namespace}/` : ''}${r.name}`;

export function refOf(o: K8sObject, defaultNamespace: string): ObjectRef {
  return {
    kind: o.kind,
    ...(isNamespaced(o) ? { namespace: o.metadata.namespace ?? defaultNamespace } : {}),
    name: o.metadata.name,
  };
}

export interface ConfigRef {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  optional: boolean;
  /** Where in the pod spec (for messages). */
  at: string;
}

type ProjectedSource = {
  configMap?: { name: string; optional?: boolean };
  secret?: { name: string; optional?: boolean };
};
type Volume = {
  name: string;
  configMap?: { name: string; optional?: boolean };
  secret?: { secretName: string; optional?: boolean };
  projected?: { sources?: ProjectedSource[] };
};

/** Every ConfigMap and Secret a pod reads: env, envFrom, volumes (incl. projected), imagePullSecrets. */
export function configRefs(spec: PodSpec): ConfigRef[] {
  const refs: ConfigRef[] = [];
  for (const c of allContainers(spec)) {
    for (const e of c.env ?? []) {
      const cm = e.valueFrom?.configMapKeyRef;
      const s = e.valueFrom?.secretKeyRef;
      if (cm?.name)
        refs.push({
          kind: 'ConfigMap',
          name: cm.name,
          optional: !!cm.optional,
          at: `${c.name}.env.${e.name}`,
        });
      if (s?.name)
        refs.push({ kind: 'Secret', name: s.name, optional: !!s.optional, at: `${c.name}.env.${e.name}` });
    }
    for (const e of c.envFrom ?? []) {
      if (e.configMapRef)
        refs.push({
          kind: 'ConfigMap',
          name: e.configMapRef.name,
          optional: !!e.configMapRef.optional,
          at: `${c.name}.envFrom`,
        });
      if (e.secretRef)
        refs.push({
          kind: 'Secret',
          name: e.secretRef.name,
          optional: !!e.secretRef.optional,
          at: `${c.name}.envFrom`,
        });
    }
  }
  for (const v of (spec.volumes ?? []) as Volume[]) {
    if (v.configMap)
      refs.push({
        kind: 'ConfigMap',
        name: v.configMap.name,
        optional: !!v.configMap.optional,
        at: `volume ${v.name}`,
      });
    if (v.secret)
      refs.push({
        kind: 'Secret',
        name: v.secret.secretName,
        optional: !!v.secret.optional,
        at: `volume ${v.name}`,
      });
    for (const src of v.projected?.sources ?? []) {
      if (src.configMap)
        refs.push({
          kind: 'ConfigMap',
          name: src.configMap.name,
          optional: !!src.configMap.optional,
          at: `projected volume ${v.name}`,
        });
      if (src.secret)
        refs.push({
          kind: 'Secret',
          name: src.secret.name,
          optional: !!src.secret.optional,
          at: `projected volume ${v.name}`,
        });
    }
  }
  for (const s of (spec as { imagePullSecrets?: Array<{ name: string }> }).imagePullSecrets ?? [])
    refs.push({ kind: 'Secret', name: s.name, optional: false, at: 'imagePullSecrets' });
  return refs;
}

/**
 * The environment a container sees, resolved against the ConfigMaps of the render: envFrom first, then
 * env (which wins), as the kubelet does. Secret values are unknown and left out.
 */
export function containerEnv(c: Container, namespace: string, objects: K8sObject[]): Record<string, string> {
  const configMap = (name: string) =>
    objects.find(
      (o) =>
        o.kind === 'ConfigMap' &&
        o.metadata.name === name &&
        (o.metadata.namespace ?? namespace) === namespace,
    ) as (K8sObject & { data?: Record<string, string> }) | undefined;
  const env: Record<string, string> = {};
  for (const e of c.envFrom ?? [])
    if (e.configMapRef) Object.assign(env, configMap(e.configMapRef.name)?.data ?? {});
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.configMapKeyRef) {
      const value = configMap(e.valueFrom.configMapKeyRef.name!)?.data?.[e.valueFrom.configMapKeyRef.key!];
      if (value !== undefined) env[e.name] = value;
    } else delete env[e.name];
  }
  return env;
}

/** In-cluster Service DNS names (`<svc>.<ns>.svc[.cluster.local]`) in a string. */
export function serviceHosts(text: string): Array<{ namespace: string; name: string }> {
  const re =
    /\b([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.svc(?:\.cluster\.local)?\b/g;
  return [...text.matchAll(re)].map((m) => ({ name: m[1]!, namespace: m[2]! }));
}

/** Services a pod addresses by DNS name in its environment (resolved), command or args. */
export function calledServices(
  spec: PodSpec,
  namespace: string,
  objects: K8sObject[],
): Array<{ namespace: string; name: string; at: string }> {
  const found = new Map<string, { namespace: string; name: string; at: string }>();
  for (const c of allContainers(spec)) {
    const texts: Array<[string, string]> = [
      ...Object.entries(containerEnv(c, namespace, objects)).map(([k, v]): [string, string] => [
        `${c.name}.env.${k}`,
        v,
      ]),
      ...[...(c.command ?? []), ...((c as { args?: string[] }).args ?? [])].map((v): [string, string] => [
        `${c.name}.command`,
        v,
      ]),
    ];
    for (const [at, text] of texts)
      for (const host of serviceHosts(text)) found.set(`${host.namespace}/${host.name}`, { ...host, at });
  }
  return [...found.values()];
}

export type LabelSelector = {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
};

/** Labels of the pods an object creates (its pod template), if it creates pods. */
export function podLabelsOf(o: K8sObject): Record<string, string> | undefined {
  if (o.kind === 'Pod') return o.metadata.labels ?? {};
  const spec = o.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined;
  return podSpecOf(o) ? (spec?.template?.metadata?.labels ?? {}) : undefined;
}
