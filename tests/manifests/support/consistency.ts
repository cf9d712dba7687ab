import { containerEnv, groupOf } from './k8s-refs.js';
import { podSecurityViolations } from './pod-security.js';
import type { K8sObject } from './renders.js';
import { grpcCallers, grpcCalls, serviceCallers, serviceCalls } from './service-calls.js';
import {
  allContainers,
  quantity,
  resolveIntOrPercent,
  selects,
  type Workload,
  workloads,
} from './workloads.js';

/**
 * The render-wide consistency checks, as functions over a list of objects that return what is wrong
 * (empty = consistent). consistency.test.ts runs them on every chart and overlay, components.test.ts
 * on every overlay + components combination (on the render as the cluster runs it, support/as-run.ts,
 * where the check follows pods).
 */

type Selector = Parameters<typeof selects>[0];
const nsOf = (o: K8sObject) => o.metadata.namespace ?? 'microservices';
/** A core Service (not Knative's `serving.knative.dev` Service). */
export const isCoreService = (o: K8sObject) => o.kind === 'Service' && groupOf(o.apiVersion) === '';
const SERVING_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Rollout'];
const serving = (w: Workload) => SERVING_KINDS.includes(w.object.kind);

/** Every core Service selects serving pods (never Jobs or bare Pods) and targets their container ports. */
export function serviceSelectionProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const all = workloads(objects);
  for (const svc of objects.filter(isCoreService)) {
    const spec = svc.spec as {
      selector?: Record<string, string>;
      ports: Array<{ name: string; targetPort?: string | number; port: number }>;
    };
    if (!spec.selector) continue;
    const pods = all.filter(
      (w) => w.namespace === nsOf(svc) && selects({ matchLabels: spec.selector }, w.labels),
    );
    const servingPods = pods.filter(serving);
    if (servingPods.length === 0) problems.push(`Service ${svc.metadata.name} selects no serving pods`);
    for (const w of pods.filter((p) => !servingPods.includes(p)))
      problems.push(`Service ${svc.metadata.name} also selects ${w.object.kind} ${w.object.metadata.name}`);
    for (const port of spec.ports) {
      const target = port.targetPort ?? port.port;
      for (const w of servingPods) {
        const ok = allContainers(w.spec).some((c) =>
          (c.ports ?? []).some((p) =>
            typeof target === 'string' ? p.name === target : p.containerPort === target,
          ),
        );
        if (!ok)
          problems.push(
            `Service ${svc.metadata.name} port ${port.name} -> ${target}: no such container port in ${w.object.metadata.name}`,
          );
      }
    }
  }
  return problems;
}

/** Probe ports are named container ports (Knative allows only the serving port's number there). */
export function probePortProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects).filter((x) => groupOf(x.object.apiVersion) !== 'serving.knative.dev'))
    for (const c of allContainers(w.spec))
      for (const [kind, probe] of Object.entries({
        liveness: c.livenessProbe,
        readiness: c.readinessProbe,
        startup: c.startupProbe,
      })) {
        const port = probe?.httpGet?.port;
        if (port === undefined) continue;
        if (typeof port !== 'string')
          problems.push(`${w.object.metadata.name}/${c.name} ${kind}: port ${port} is not a named port`);
        else if (!(c.ports ?? []).some((p) => p.name === port))
          problems.push(`${w.object.metadata.name}/${c.name} ${kind}: no container port named ${port}`);
      }
  return problems;
}

/** ServiceMonitors select a Service with the endpoint's port; PodMonitors select pods with it. */
export function monitorProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const sm of objects.filter((o) => o.kind === 'ServiceMonitor')) {
    const spec = sm.spec as {
      selector: Selector;
      namespaceSelector?: { matchNames?: string[] };
      endpoints: Array<{ port: string; path?: string }>;
    };
    const namespaces = spec.namespaceSelector?.matchNames ?? [nsOf(sm)];
    const services = objects.filter(
      (o) =>
        isCoreService(o) && namespaces.includes(nsOf(o)) && selects(spec.selector, o.metadata.labels ?? {}),
    );
    if (services.length === 0) problems.push(`ServiceMonitor ${sm.metadata.name} selects no Service`);
    for (const ep of spec.endpoints) {
      if (
        !services.some((s) =>
          (s.spec as { ports: Array<{ name: string }> }).ports.some((p) => p.name === ep.port),
        )
      )
        problems.push(`ServiceMonitor ${sm.metadata.name}: no selected Service has a port named ${ep.port}`);
      if (ep.path !== undefined && ep.path !== '/metrics')
        problems.push(`ServiceMonitor ${sm.metadata.name}: path ${ep.path}`);
    }
  }
  for (const pm of objects.filter((o) => o.kind === 'PodMonitor')) {
    const spec = pm.spec as {
      selector: Selector;
      namespaceSelector?: { matchNames?: string[] };
      podMetricsEndpoints: Array<{ port?: string }>;
    };
    const namespaces = spec.namespaceSelector?.matchNames ?? [nsOf(pm)];
    const pods = workloads(objects).filter(
      (w) => namespaces.includes(w.namespace) && selects(spec.selector, w.labels),
    );
    if (pods.length === 0) problems.push(`PodMonitor ${pm.metadata.name} selects no pods`);
    for (const ep of spec.podMetricsEndpoints)
      for (const w of pods) {
        const declared = allContainers(w.spec).flatMap((c) => c.ports ?? []);
        // Containers an operator makes (CloudNativePG) declare their ports at run time only.
        if (declared.length > 0 && ep.port && !declared.some((p) => p.name === ep.port))
          problems.push(`PodMonitor ${pm.metadata.name}: ${w.object.metadata.name} has no port ${ep.port}`);
      }
  }
  return problems;
}

/** HPA targets exist with the right apiVersion; each PDB covers running pods and never blocks every eviction. */
export function autoscalingProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const hpas = objects.filter((o) => o.kind === 'HorizontalPodAutoscaler');
  for (const hpa of hpas) {
    const spec = hpa.spec as {
      scaleTargetRef: { apiVersion: string; kind: string; name: string };
      minReplicas: number;
      maxReplicas: number;
    };
    const target = objects.find(
      (o) =>
        o.kind === spec.scaleTargetRef.kind &&
        o.metadata.name === spec.scaleTargetRef.name &&
        nsOf(o) === nsOf(hpa),
    );
    if (!target)
      problems.push(`${hpa.metadata.name}: no ${spec.scaleTargetRef.kind} ${spec.scaleTargetRef.name}`);
    else if (target.apiVersion !== spec.scaleTargetRef.apiVersion)
      problems.push(
        `${hpa.metadata.name}: target apiVersion ${spec.scaleTargetRef.apiVersion} != ${target.apiVersion}`,
      );
    if (spec.minReplicas > spec.maxReplicas) problems.push(`${hpa.metadata.name}: min > max`);
  }
  for (const pdb of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
    const spec = pdb.spec as {
      selector: Selector;
      minAvailable?: number | string;
      maxUnavailable?: number | string;
    };
    const running = workloads(objects).filter(
      (w) =>
        serving(w) && w.namespace === nsOf(pdb) && selects(spec.selector, w.labels) && (w.replicas ?? 1) > 0,
    );
    if (running.length !== 1) {
      problems.push(
        `${pdb.metadata.name} covers ${running.map((w) => `${w.object.kind}/${w.object.metadata.name}`).join(', ') || 'no running workload'}`,
      );
      continue;
    }
    const w = running[0]!;
    const hpa = hpas.find(
      (h) =>
        nsOf(h) === w.namespace &&
        (h.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef.name ===
          w.object.metadata.name &&
        (h.spec as { scaleTargetRef: { kind: string } }).scaleTargetRef.kind === w.object.kind,
    );
    const counts = [
      ...(w.replicas !== undefined ? [w.replicas] : []),
      ...(hpa ? [(hpa.spec as { minReplicas: number }).minReplicas] : []),
    ];
    for (const replicas of counts.length ? counts : [1]) {
      const allowed =
        spec.minAvailable !== undefined
          ? replicas - resolveIntOrPercent(spec.minAvailable, replicas)
          : resolveIntOrPercent(spec.maxUnavailable!, replicas);
      if (allowed < 1) problems.push(`${pdb.metadata.name} allows no eviction at ${replicas} replicas`);
    }
  }
  return problems;
}

/** Every container has requests and limits (requests ≤ limits) and a pinned, non-latest image. */
export function containerProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects))
    for (const c of allContainers(w.spec)) {
      const at = `${w.object.kind}/${w.object.metadata.name}/${c.name}`;
      for (const key of ['cpu', 'memory'])
        for (const kind of ['requests', 'limits'] as const)
          if (!c.resources?.[kind]?.[key]) problems.push(`${at}: no ${kind}.${key}`);
      if (quantity(c.resources?.requests?.cpu) > quantity(c.resources?.limits?.cpu))
        problems.push(`${at}: cpu request > limit`);
      if (quantity(c.resources?.requests?.memory) > quantity(c.resources?.limits?.memory))
        problems.push(`${at}: memory request > limit`);
      const image = c.image ?? '';
      const tag = /@sha256:[0-9a-f]{64}$/.test(image) ? 'digest' : /:([^/:@]+)$/.exec(image)?.[1];
      if (!tag) problems.push(`${at}: image ${image} has no tag`);
      else if (tag === 'latest') problems.push(`${at}: image ${image} uses latest`);
    }
  return problems;
}

/**
 * Pod Security `restricted` (plus UID >= 10000, read-only root, /tmp emptyDir) for every pod; hostPath
 * only outside restricted namespaces and only for the log collector. Namespaces not in the render are
 * `restricted` but for `monitoring` (kube-prometheus-stack's: privileged).
 */
export function podSecurityProblems(objects: K8sObject[]): string[] {
  const namespaces = objects.filter((o) => o.kind === 'Namespace');
  const prerequisite: Record<string, string> = { monitoring: 'privileged' };
  const enforced = (name: string) => {
    const own = namespaces.find((n) => n.metadata.name === name);
    if (!own) return prerequisite[name] ?? 'restricted';
    return own.metadata.labels?.['pod-security.kubernetes.io/enforce'] ?? 'restricted';
  };
  const problems: string[] = [];
  for (const w of workloads(objects)) {
    const allowHostPath = enforced(w.namespace) !== 'restricted';
    if ((w.spec.volumes ?? []).some((v) => 'hostPath' in v) && w.object.metadata.name !== 'fluent-bit')
      problems.push(
        `${w.object.kind}/${w.object.metadata.name}: only the log collector may mount host paths`,
      );
    for (const v of podSecurityViolations(w.spec, { allowHostPath }))
      problems.push(`${w.object.kind}/${w.namespace}/${w.object.metadata.name}: ${v}`);
  }
  return problems;
}

/** No pod mounts a service-account token but the log collector (the only one that calls the API). */
export function serviceAccountTokenProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects)) {
    const needsApi = w.object.metadata.name === 'fluent-bit';
    const sa = objects.find(
      (o) =>
        o.kind === 'ServiceAccount' &&
        o.metadata.name === w.spec.serviceAccountName &&
        nsOf(o) === w.namespace,
    ) as { automountServiceAccountToken?: boolean } | undefined;
    const mounted = w.spec.automountServiceAccountToken ?? sa?.automountServiceAccountToken ?? true;
    if (mounted !== needsApi)
      problems.push(`${w.object.kind}/${w.object.metadata.name}: token mounted = ${mounted}`);
  }
  return problems;
}

/**
 * Every in-cluster URL a pod is given (env, resolved through its ConfigMaps) names an existing Service
 * and one of its ports: `http://<service>[.<namespace>.svc[.cluster.local]][:port]`, port 80 when absent.
 * Only the application's namespaces: `monitoring` holds what other installs bring (the OTel collector).
 */
export function serviceUrlProblems(
  objects: K8sObject[],
  namespaces: string[] = ['microservices', 'data', 'gateway'],
): string[] {
  const problems: string[] = [];
  const re =
    /\bhttps?:\/\/([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)(?:\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?)?(?::(\d+))?(?=[/"'\s]|$)/g;
  for (const w of workloads(objects))
    for (const c of allContainers(w.spec)) {
      const env = containerEnv(c, w.namespace, objects);
      for (const [key, value] of Object.entries(env))
        for (const m of value.matchAll(re)) {
          const [, name, namespace = w.namespace, port = '80'] = m;
          if (!namespaces.includes(namespace)) continue;
          // Only in-cluster names: a bare name, or <name>.<namespace>.svc…
          if (
            value
              .slice(m.index! + m[0].indexOf('//') + 2)
              .split(/[:/]/)[0]!
              .includes('.') &&
            !m[2]
          )
            continue;
          const service = objects.find(
            (o) => isCoreService(o) && o.metadata.name === name && nsOf(o) === namespace,
          );
          const ports = (service?.spec as { ports?: Array<{ port: number }> } | undefined)?.ports ?? [];
          if (!service)
            problems.push(
              `${w.object.kind}/${w.object.metadata.name} ${key}: no Service ${namespace}/${name}`,
            );
          else if (!ports.some((p) => p.port === Number(port)))
            problems.push(
              `${w.object.kind}/${w.object.metadata.name} ${key}: Service ${name} has no port ${port}`,
            );
        }
    }
  return problems;
}

type PolicyPeer = { podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: unknown };
type PolicyRule = { from?: PolicyPeer[]; to?: PolicyPeer[]; ports?: Array<{ port?: unknown }> };

/**
 * The apps (pod label `app`) a service's NetworkPolicy lets in (`from`) or out (`to`), itself excluded;
 * with `port`, only through rules that open that (named) port.
 */
export function policyPeers(policy: K8sObject, direction: 'from' | 'to', port?: string): string[] {
  const spec = policy.spec as { ingress?: PolicyRule[]; egress?: PolicyRule[] };
  const rules = (direction === 'from' ? spec.ingress : spec.egress) ?? [];
  const peers = rules
    .filter((rule) => port === undefined || (rule.ports ?? []).some((p) => p.port === port))
    .flatMap((rule) => rule[direction] ?? [])
    .filter((peer) => !peer.namespaceSelector)
    .map((peer) => peer.podSelector?.matchLabels?.app)
    .filter((app): app is string => Boolean(app) && app !== policy.metadata.name);
  return [...new Set(peers)].sort();
}

/** microservices and data are default-deny, and each service opens exactly the calls its code makes. */
export function networkPolicyProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  for (const n of ['microservices', 'data']) {
    const deny = policies.find(
      (p) => nsOf(p) === n && Object.keys((p.spec as { podSelector: object }).podSelector).length === 0,
    );
    const spec = deny?.spec as { policyTypes?: string[]; ingress?: unknown } | undefined;
    if (
      !spec ||
      [...(spec.policyTypes ?? [])].sort().join() !== 'Egress,Ingress' ||
      spec.ingress !== undefined
    )
      problems.push(`no default deny in ${n}`);
  }
  const calls = serviceCalls();
  const callers = serviceCallers();
  for (const svc of Object.keys(calls)) {
    const p = policies.find((x) => x.metadata.name === svc && nsOf(x) === 'microservices');
    if (!p) {
      problems.push(`${svc}: no NetworkPolicy`);
      continue;
    }
    if (policyPeers(p, 'from', 'http').join() !== [...callers[svc]!].sort().join())
      problems.push(`${svc} callers: ${policyPeers(p, 'from', 'http')} != ${callers[svc]}`);
    if (policyPeers(p, 'to', 'http').join() !== [...calls[svc]!].sort().join())
      problems.push(`${svc} callees: ${policyPeers(p, 'to', 'http')} != ${calls[svc]}`);
    // gRPC: its port opens to exactly the services whose code calls it, and only they may leave for it.
    if (policyPeers(p, 'from', 'grpc').join() !== [...grpcCallers()[svc]!].sort().join())
      problems.push(`${svc} gRPC callers: ${policyPeers(p, 'from', 'grpc')} != ${grpcCallers()[svc]}`);
    if (policyPeers(p, 'to', 'grpc').join() !== [...grpcCalls()[svc]!].sort().join())
      problems.push(`${svc} gRPC callees: ${policyPeers(p, 'to', 'grpc')} != ${grpcCalls()[svc]}`);
    const dns = ((p.spec as { egress: PolicyRule[] }).egress ?? []).some(
      (rule) => JSON.stringify(rule).includes('kube-dns') && JSON.stringify(rule).includes('"port":53'),
    );
    if (!dns) problems.push(`${svc}: no DNS egress`);
  }
  return problems;
}
