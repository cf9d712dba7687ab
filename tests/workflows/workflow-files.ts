import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/** Repository root (tests/workflows/ → ../..). */
export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const workflowsDir = path.join(repoRoot, '.github/workflows');

/** The four services, fixed by the design. */
export const SERVICES = ['user', 'product', 'order', 'payment'] as const;
/** The images a Deployment runs (one Helm chart each): the services and the storefront. */
export const DEPLOYED = [...SERVICES, 'storefront'] as const;
/**
 * Every image the workflows build and the overlays pin: the deployed ones and the load generator (a
 * Job of the opt-in k8s/components/loadgen and the shop chart's `loadgen.enabled`).
 */
export const IMAGES = [...DEPLOYED, 'loadgen'] as const;
export type Image = (typeof IMAGES)[number];
/** The Helm chart and the Deployment behind a deployed image. */
export const chartOf = (image: (typeof DEPLOYED)[number]) =>
  image === 'storefront' ? 'storefront' : `${image}-service`;
export const deploymentOf = chartOf;
/** The namespace the committed manifests use (`ghcr.io/shop-demo/shop-<svc>`). */
export const CANONICAL_NAMESPACE = 'shop-demo';

export type Step = {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
};
export type Job = {
  name?: string;
  'runs-on'?: string;
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string> | string;
  strategy?: { matrix?: Record<string, unknown> };
  services?: Record<
    string,
    { image: string; env?: Record<string, string>; ports?: string[]; options?: string }
  >;
  env?: Record<string, string>;
  concurrency?: unknown;
  outputs?: Record<string, string>;
  steps?: Step[];
  uses?: string;
};
export type Workflow = {
  name?: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  env?: Record<string, string>;
  jobs: Record<string, Job>;
};

export function workflowFiles(): string[] {
  return readdirSync(workflowsDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
}

export function readWorkflowText(file: string): string {
  return readFileSync(path.join(workflowsDir, file), 'utf8');
}

export function loadWorkflow(file: string): Workflow {
  return parse(readWorkflowText(file)) as Workflow;
}

export function findStep(job: Job, predicate: (s: Step) => boolean): Step {
  const step = job.steps?.find(predicate);
  if (!step) throw new Error('step not found');
  return step;
}

/** Parses every YAML document of every `*.yaml|*.yml` file below `dir` (recursively). */
export function loadYamlDocuments(dir: string): Array<{ file: string; doc: Record<string, unknown> }> {
  const out: Array<{ file: string; doc: Record<string, unknown> }> = [];
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.ya?ml$/.test(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    for (const d of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const doc = d.toJS() as Record<string, unknown> | null;
      if (doc && typeof doc === 'object') out.push({ file, doc });
    }
  }
  return out;
}

/** Turns a directory glob as ArgoCD's git generator reads it (`*` = one path segment) into a RegExp. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]*');
  return new RegExp(`^${escaped}/?$`);
}

/** Replaces `${{ expr }}` placeholders using `values` (keys are the trimmed expressions). */
export function evaluateTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
    const value = values[expr];
    if (value === undefined) throw new Error(`no value for expression '${expr}' in '${template}'`);
    return value;
  });
}
