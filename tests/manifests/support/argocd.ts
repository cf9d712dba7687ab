import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { type K8sObject, k8sDir, parseObjects, repoRoot } from './renders.js';

/** k8s/argocd as ArgoCD reads it, and the Applications its ApplicationSet generates from this checkout. */
export const argocdDir = path.join(k8sDir, 'argocd');

export const argocdObjects: K8sObject[] = readdirSync(argocdDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .flatMap((f) => parseObjects(readFileSync(path.join(argocdDir, f), 'utf8'), f));
export const byKind = (kind: string) => argocdObjects.filter((o) => o.kind === kind);

export interface AppSpec {
  project: string;
  source: { repoURL: string; targetRevision: string; path: string };
  destination: { name?: string; server?: string; namespace: string };
  syncPolicy?: { automated?: { prune?: boolean; selfHeal?: boolean } };
}
export interface AppSetSpec {
  goTemplate: boolean;
  generators: Array<{
    git?: { repoURL: string; revision: string; directories: Array<{ path: string; exclude?: boolean }> };
  }>;
  template: { metadata: Record<string, unknown>; spec: AppSpec };
  templatePatch?: string;
}
export interface ProjectSpec {
  sourceRepos: string[];
  destinations: Array<{ name?: string; server?: string; namespace: string }>;
  clusterResourceWhitelist: Array<{ group: string; kind: string }>;
}

/** Directories of the repository matching a git generator path (`*` matches one segment). */
function matchDirectories(pattern: string): string[] {
  const parts = pattern.split('/');
  let found = [''];
  for (const part of parts) {
    found = found.flatMap((dir) => {
      const abs = path.join(repoRoot, dir);
      if (!existsSync(abs)) return [];
      if (!part.includes('*'))
        return statSync(path.join(abs, part), { throwIfNoEntry: false })?.isDirectory()
          ? [path.posix.join(dir, part)]
          : [];
      const re = new RegExp(`^${part.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
      return readdirSync(abs, { withFileTypes: true })
        .filter((e) => e.isDirectory() && re.test(e.name))
        .map((e) => path.posix.join(dir, e.name));
    });
  }
  return found;
}

/**
 * The subset of Go templates the ApplicationSet uses, evaluated like the ApplicationSet controller
 * would: `{{ .path.path }}`, `{{ .path.basename }}` and `{{- if eq|ne .path.basename "x" }}…{{- end }}`.
 * Anything else is an error, so the emulation can never silently diverge from the real controller.
 */
export function goTemplate(text: string, params: { path: string; basename: string }): string {
  let out = text.replace(
    /\{\{-?\s*if\s+(eq|ne)\s+\.path\.basename\s+"([^"]*)"\s*-?\}\}([\s\S]*?)\{\{-?\s*end\s*-?\}\}/g,
    (_m, op: string, value: string, body: string) =>
      (op === 'eq') === (params.basename === value) ? body : '',
  );
  out = out.replace(/\{\{\s*\.path\.(path|basename)\s*\}\}/g, (_m, key: 'path' | 'basename') => params[key]);
  if (out.includes('{{')) throw new Error(`unsupported template syntax in: ${out}`);
  return out;
}

function deepMerge(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(patch)) {
    const t = target[k];
    target[k] =
      v && typeof v === 'object' && !Array.isArray(v) && t && typeof t === 'object' && !Array.isArray(t)
        ? deepMerge(t as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return target;
}

/** The Applications the ApplicationSet generates from this checkout. */
export function generateApplications(
  appSet: K8sObject & { spec: AppSetSpec },
): Array<K8sObject & { spec: AppSpec }> {
  const git = appSet.spec.generators[0]!.git!;
  const include = git.directories.filter((d) => !d.exclude).flatMap((d) => matchDirectories(d.path));
  const exclude = new Set(git.directories.filter((d) => d.exclude).flatMap((d) => matchDirectories(d.path)));
  return include
    .filter((dir) => !exclude.has(dir))
    .map((dir) => {
      const params = { path: dir, basename: path.posix.basename(dir) };
      const template = JSON.parse(
        goTemplate(JSON.stringify(appSet.spec.template), params),
      ) as AppSetSpec['template'];
      const app = {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { ...template.metadata, namespace: appSet.metadata.namespace },
        spec: template.spec,
      } as K8sObject & { spec: AppSpec };
      if (appSet.spec.templatePatch)
        deepMerge(
          app as unknown as Record<string, unknown>,
          parse(goTemplate(appSet.spec.templatePatch, params)) ?? {},
        );
      return app;
    });
}

/** The Applications of the (first) ApplicationSet in k8s/argocd. */
export const applicationSetTargets = () =>
  generateApplications(byKind('ApplicationSet')[0] as K8sObject & { spec: AppSetSpec });
