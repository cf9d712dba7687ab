import { allContainers, type PodSpec } from './workloads.js';

/**
 * Pod Security Standards, `restricted` profile (kubernetes.io/docs/concepts/security/pod-security-standards),
 * i.e. baseline + restricted controls, plus this project's stricter rules: numeric UID >= 10000,
 * read-only root filesystem and a writable /tmp emptyDir.
 */
export interface PodSecurityOptions {
  /** hostPath volumes are tolerated (only where the namespace does not enforce restricted). */
  allowHostPath?: boolean;
}

const RESTRICTED_VOLUME_TYPES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);

export function podSecurityViolations(spec: PodSpec, options: PodSecurityOptions = {}): string[] {
  const v: string[] = [];
  const pod = spec.securityContext ?? {};
  // baseline
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) v.push('host namespaces');
  if (pod.windowsOptions?.hostProcess) v.push('hostProcess');
  for (const s of (pod.sysctls ?? []) as Array<{ name: string }>)
    if (!SAFE_SYSCTLS.has(s.name)) v.push(`unsafe sysctl ${s.name}`);
  if (pod.seccompProfile && !['RuntimeDefault', 'Localhost'].includes(pod.seccompProfile.type))
    v.push('pod seccomp not RuntimeDefault/Localhost');
  for (const volume of spec.volumes ?? []) {
    const type = Object.keys(volume).find((k) => k !== 'name')!;
    if (type === 'hostPath' && options.allowHostPath) continue;
    if (!RESTRICTED_VOLUME_TYPES.has(type)) v.push(`volume ${volume.name} of type ${type}`);
  }
  for (const c of allContainers(spec)) {
    const sc = c.securityContext ?? {};
    const at = `container ${c.name}`;
    if (sc.privileged) v.push(`${at}: privileged`);
    if (sc.procMount && sc.procMount !== 'Default') v.push(`${at}: procMount`);
    if (sc.windowsOptions?.hostProcess) v.push(`${at}: hostProcess`);
    if ((c.ports ?? []).some((p) => 'hostPort' in p && (p as { hostPort?: number }).hostPort))
      v.push(`${at}: hostPort`);
    // restricted
    if (sc.allowPrivilegeEscalation !== false) v.push(`${at}: allowPrivilegeEscalation must be false`);
    if (!(sc.runAsNonRoot ?? pod.runAsNonRoot)) v.push(`${at}: runAsNonRoot must be true`);
    const uid = sc.runAsUser ?? pod.runAsUser;
    if (uid === undefined || uid < 10000)
      v.push(`${at}: runAsUser must be a numeric UID >= 10000 (got ${uid})`);
    const seccomp = sc.seccompProfile ?? pod.seccompProfile;
    if (!seccomp || !['RuntimeDefault', 'Localhost'].includes(seccomp.type))
      v.push(`${at}: seccompProfile must be RuntimeDefault`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) v.push(`${at}: capabilities must drop ALL`);
    const added = (sc.capabilities?.add ?? []).filter((cap) => cap !== 'NET_BIND_SERVICE');
    if (added.length) v.push(`${at}: adds capabilities ${added.join(',')}`);
    // this project
    if (sc.readOnlyRootFilesystem !== true) v.push(`${at}: readOnlyRootFilesystem must be true`);
    const tmp = (c.volumeMounts ?? []).find((m) => m.mountPath === '/tmp');
    const tmpVolume = tmp && (spec.volumes ?? []).find((vol) => vol.name === tmp.name);
    if (!tmpVolume || !('emptyDir' in tmpVolume)) v.push(`${at}: needs an emptyDir on /tmp`);
  }
  return v;
}
