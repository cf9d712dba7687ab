import path from 'node:path';
import ts from 'typescript';
import type { K8sObject } from './renders.js';

/**
 * Validation against the Kubernetes 1.34 OpenAPI schemas and the CRDs, through kubernetes-models
 * (ajv validators generated from those schemas), plus a strict mode that kubernetes-models lacks:
 * its validators accept unknown fields (the OpenAPI documents never say additionalProperties:false),
 * so a misspelled `livenessprobe` would pass. The strict check walks each object alongside the
 * TypeScript interfaces kubernetes-models generates from the same schemas and reports every field the
 * type does not declare, as the API server's strict field validation would.
 */

const ARGO_ROLLOUTS_KINDS = [
  'Rollout',
  'AnalysisTemplate',
  'ClusterAnalysisTemplate',
  'AnalysisRun',
  'Experiment',
];

/** npm package carrying the models of an API group (and kind, where two projects share a group). */
function modelPackage(group: string, kind: string): string {
  if (group === 'monitoring.coreos.com') return '@kubernetes-models/prometheus-operator';
  if (group === 'argoproj.io')
    return ARGO_ROLLOUTS_KINDS.includes(kind)
      ? '@kubernetes-models/argo-rollouts'
      : '@kubernetes-models/argo-cd';
  if (group.endsWith('.istio.io')) return '@kubernetes-models/istio';
  if (group === 'serving.knative.dev') return '@kubernetes-models/knative';
  // The VerticalPodAutoscaler CRD (a `.k8s.io` group, but not built in).
  if (group === 'autoscaling.k8s.io') return '@kubernetes-models/autoscaler';
  if (group === 'postgresql.cnpg.io') return '@kubernetes-models/cloudnative-pg';
  if (group === 'cert-manager.io') return '@kubernetes-models/cert-manager';
  if (group === 'external-secrets.io') return '@kubernetes-models/external-secrets';
  if (group === 'bitnami.com') return '@kubernetes-models/sealed-secrets';
  if (group === '' || group.endsWith('.k8s.io') || !group.includes('.')) return 'kubernetes-models';
  throw new Error(`no model package for API group ${group}`);
}

/** Module specifier of the model of apiVersion/kind, e.g. kubernetes-models/apps/v1/Deployment. */
export function modelModule(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return `${modelPackage(group!, kind)}/${group ? `${group}/` : ''}${version}/${kind}`;
}

type ModelClass = new (data: unknown) => { validate(): void };

/**
 * kustomize wraps long base64 values of Secret `data` at 76 columns; the API server's decoder skips
 * those newlines, the `byte` format of the JSON schema does not. Validate the unwrapped form.
 */
export function asSubmitted(o: K8sObject): K8sObject {
  if (o.kind !== 'Secret' || typeof o.data !== 'object' || o.data === null) return o;
  const data = Object.fromEntries(
    Object.entries(o.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\s+/g, '')]),
  );
  return { ...o, data };
}

/** Schema validation (types, enums, required fields, formats) with kubernetes-models. */
export async function schemaErrors(object: K8sObject): Promise<string[]> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(modelModule(object.apiVersion, object.kind))) as Record<string, unknown>;
  } catch {
    return [`no schema for ${object.apiVersion} ${object.kind}`];
  }
  const Model = mod[object.kind] as ModelClass | undefined;
  if (!Model) return [`no model class ${object.kind} in ${modelModule(object.apiVersion, object.kind)}`];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

/** The TypeScript view of the model types, built once for all the kinds asked for. */
export class StrictFieldChecker {
  private readonly checker: ts.TypeChecker;
  private readonly types = new Map<string, ts.Type>();

  constructor(kinds: Array<{ apiVersion: string; kind: string }>) {
    const unique = [...new Map(kinds.map((k) => [`${k.apiVersion}|${k.kind}`, k])).values()];
    // A virtual module next to this file, so package resolution is the test workspace's.
    const entry = path.join(import.meta.dirname, '__strict_entry__.ts');
    const source = unique
      .map(
        (k, i) =>
          `import type { I${k.kind} as T${i} } from ${JSON.stringify(modelModule(k.apiVersion, k.kind))};\nexport type E${i} = T${i};`,
      )
      .join('\n');
    const options: ts.CompilerOptions = {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    };
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (fileName, languageVersion, ...rest) =>
      fileName === entry
        ? ts.createSourceFile(fileName, source, languageVersion, true)
        : getSourceFile(fileName, languageVersion, ...rest);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (fileName) => fileName === entry || fileExists(fileName);
    const program = ts.createProgram([entry], options, host);
    const problems = ts.getPreEmitDiagnostics(program, program.getSourceFile(entry));
    if (problems.length > 0) {
      throw new Error(
        ts.formatDiagnostics(problems, {
          getCanonicalFileName: (f) => f,
          getCurrentDirectory: () => '/',
          getNewLine: () => '\n',
        }),
      );
    }
    this.checker = program.getTypeChecker();
    const file = program.getSourceFile(entry)!;
    const exports = this.checker.getExportsOfModule(this.checker.getSymbolAtLocation(file)!);
    unique.forEach((k, i) => {
      const symbol = exports.find((s) => s.name === `E${i}`)!;
      this.types.set(`${k.apiVersion}|${k.kind}`, this.checker.getDeclaredTypeOfSymbol(symbol));
    });
  }

  /** Paths of the fields the model does not declare (`spec.template.spec.containers[0].livenessprobe`). */
  unknownFields(object: K8sObject): string[] {
    const type = this.types.get(`${object.apiVersion}|${object.kind}`);
    if (!type) return [`no type for ${object.apiVersion} ${object.kind}`];
    const errors: string[] = [];
    this.walk(object, type, '', errors);
    return errors;
  }

  private walk(value: unknown, type: ts.Type, at: string, errors: string[]): void {
    if (value === null || value === undefined) return;
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
    if (type.isUnion()) {
      const members = type.types.filter((t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
      if (Array.isArray(value)) {
        const array = members.find((t) => this.checker.isArrayType(t));
        if (array) this.walk(value, array, at, errors);
        return;
      }
      if (typeof value !== 'object') return;
      const objects = members.filter((t) => t.flags & ts.TypeFlags.Object && !this.checker.isArrayType(t));
      let best: string[] | undefined;
      for (const candidate of objects) {
        const found: string[] = [];
        this.walk(value, candidate, at, found);
        if (found.length === 0) return;
        if (!best || found.length < best.length) best = found;
      }
      if (best) errors.push(...best);
      return;
    }
    if (Array.isArray(value)) {
      if (this.checker.isArrayType(type)) {
        const element = this.checker.getTypeArguments(type as ts.TypeReference)[0]!;
        value.forEach((item, i) => {
          this.walk(item, element, `${at}[${i}]`, errors);
        });
      }
      return;
    }
    if (typeof value !== 'object' || !(type.flags & ts.TypeFlags.Object)) return;
    const index = this.checker
      .getIndexInfosOfType(type)
      .find((info) => info.keyType.flags & ts.TypeFlags.String);
    const properties = this.checker.getPropertiesOfType(type);
    // `object` / `{}` (x-kubernetes-preserve-unknown-fields): anything goes.
    if (properties.length === 0 && !index) return;
    for (const [key, child] of Object.entries(value)) {
      const where = at ? `${at}.${key}` : key;
      const property = this.checker.getPropertyOfType(type, key);
      if (property) this.walk(child, this.checker.getTypeOfSymbol(property), where, errors);
      else if (index) this.walk(child, index.type, where, errors);
      else errors.push(`${where}: unknown field`);
    }
  }
}
