import type { K8sObject } from './renders.js';

export interface Probe {
  httpGet?: { path?: string; port?: string | number };
  exec?: { command?: string[] };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: Record<string, { name?: string; key?: string; optional?: boolean }>;
  }>;
  envFrom?: Array<{
    configMapRef?: { name: string; optional?: boolean };
    secretRef?: { name: string; optional?: boolean };
  }>;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number }; exec?: unknown; httpGet?: unknown } };
  securityContext?: SecurityContext;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  procMount?: string;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type: string };
  seLinuxOptions?: { type?: string };
  appArmorProfile?: { type: string };
  sysctls?: unknown[];
  windowsOptions?: { hostProcess?: boolean };
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  volumes?: Array<{ name: string; [type: string]: unknown }>;
  securityContext?: SecurityContext;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  terminationGracePeriodSeconds?: number;
}

export interface Workload {
  object: K8sObject;
  namespace: string;
  labels: Record<string, string>;
  spec: PodSpec;
  /** Deployment/StatefulSet replica count (undefined for other kinds). */
  replicas?: number;
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'Pod'];

/** true for the kinds that run pods from a template: the core controllers, bare Pods, and custom
 * resources that embed a pod template (an Argo Rollout with its own template, a Knative Service). */
function runsPods(o: K8sObject): boolean {
  if (WORKLOAD_KINDS.includes(o.kind)) return true;
  const apiGroup = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '';
  const template = (o.spec as { template?: { spec?: { containers?: unknown } } } | undefined)?.template;
  return (
    ((o.kind === 'Rollout' && apiGroup === 'argoproj.io') ||
      (o.kind === 'Service' && apiGroup === 'serving.knative.dev')) &&
    Array.isArray(template?.spec?.containers)
  );
}

/** Pod templates of every workload in a render (and bare Pods such as helm test pods). */
export function workloads(objects: K8sObject[], defaultNamespace = 'microservices'): Workload[] {
  return objects.filter(runsPods).map((o) => {
    const namespace = o.metadata.namespace ?? defaultNamespace;
    if (o.kind === 'Pod') {
      return { object: o, namespace, labels: o.metadata.labels ?? {}, spec: o.spec as PodSpec };
    }
    const spec = o.spec as {
      replicas?: number;
      template: { metadata?: { labels?: Record<string, string> }; spec: PodSpec };
    };
    return {
      object: o,
      namespace,
      labels: spec.template.metadata?.labels ?? {},
      spec: spec.template.spec,
      // A Rollout usually leaves replicas to its HPA.
      replicas: ['Deployment', 'StatefulSet'].includes(o.kind)
        ? (spec.replicas ?? 1)
        : o.kind === 'Rollout'
          ? spec.replicas
          : undefined,
    };
  });
}

export const allContainers = (spec: PodSpec): Container[] => [
  ...(spec.initContainers ?? []),
  ...spec.containers,
  ...(spec.ephemeralContainers ?? []),
];

/** A label selector ({matchLabels, matchExpressions}) applied to a label set. */
export function selects(
  selector:
    | {
        matchLabels?: Record<string, string>;
        matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
      }
    | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    const value = labels[e.key];
    if (e.operator === 'In' && !(has && e.values?.includes(value!))) return false;
    if (e.operator === 'NotIn' && has && e.values?.includes(value!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** Kubernetes quantity to a number (cores / bytes). */
export function quantity(value: string | number | undefined): number {
  if (value === undefined) return Number.NaN;
  if (typeof value === 'number') return value;
  const m = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(value);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  const factor: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  return m[2] ? n * factor[m[2]]! : n;
}

/** IntOrString against a total, the way the disruption controller resolves it (percentages round up). */
export function resolveIntOrPercent(value: number | string, total: number): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) return Number.NaN;
  return Math.ceil((Number(m[1]) * total) / 100);
}
