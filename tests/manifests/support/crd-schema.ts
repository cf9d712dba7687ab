import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from './renders.js';

/**
 * Validators generated from the `openAPIV3Schema` of CRDs that no model package carries (crds/ and its
 * README), applied as the API server applies a structural schema — types, enums, required fields,
 * int-or-string — and, like the API server's strict field validation, unknown fields are errors
 * wherever the schema does not preserve them (`x-kubernetes-preserve-unknown-fields`).
 */

type Schema = Record<string, unknown>;

/** The openAPIV3Schema as a JSON schema for ajv. */
export function toJsonSchema(schema: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'description' || key === 'format' || key === 'default' || key.startsWith('x-kubernetes-'))
      continue;
    if (key === 'properties')
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, toJsonSchema(v)]),
      );
    else if (key === 'items') out.items = toJsonSchema(value as Schema);
    else if (key === 'additionalProperties' && typeof value === 'object')
      out.additionalProperties = toJsonSchema(value as Schema);
    else if (['allOf', 'anyOf', 'oneOf'].includes(key)) out[key] = (value as Schema[]).map(toJsonSchema);
    else if (key === 'not') out.not = toJsonSchema(value as Schema);
    else out[key] = value;
  }
  if (schema['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (schema.type === 'object' && schema.properties && !preserve && schema.additionalProperties === undefined)
    out.additionalProperties = false;
  return out;
}

/** ObjectMeta as a manifest may set it (the CRD schemas leave `metadata` to the API server). */
const objectMeta: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' },
    namespace: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

interface Crd {
  spec: {
    group: string;
    names: { kind: string };
    versions: Array<{ name: string; served: boolean; schema: { openAPIV3Schema: Schema } }>;
  };
}

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });

function load(dir: string): Map<string, ValidateFunction> {
  const validators = new Map<string, ValidateFunction>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(path.join(dir, file), 'utf8'))) {
      const crd = doc.toJS() as Crd | null;
      if (!crd?.spec?.versions) continue;
      for (const v of crd.spec.versions.filter((x) => x.served)) {
        const schema = toJsonSchema(v.schema.openAPIV3Schema);
        const properties = schema.properties as Record<string, Schema>;
        properties.metadata = objectMeta;
        properties.apiVersion = { const: `${crd.spec.group}/${v.name}` };
        properties.kind = { const: crd.spec.names.kind };
        schema.required = [
          ...new Set([...((schema.required as string[]) ?? []), 'apiVersion', 'kind', 'metadata']),
        ];
        // Status is the controller's; a manifest never sets it.
        delete properties.status;
        validators.set(`${crd.spec.group}/${v.name}|${crd.spec.names.kind}`, ajv.compile(schema));
      }
    }
  }
  return validators;
}

const validators = load(path.join(import.meta.dirname, '../crds'));

/** true when crds/ carries the CRD of this object's apiVersion and kind. */
export const hasCrdSchema = (o: K8sObject) => validators.has(`${o.apiVersion}|${o.kind}`);

/** Errors of an object against its CRD's schema (empty when valid). */
export function crdSchemaErrors(o: K8sObject): string[] {
  const validate = validators.get(`${o.apiVersion}|${o.kind}`);
  if (!validate) return [`no CRD for ${o.apiVersion} ${o.kind} in crds/`];
  if (validate(o)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
  );
}
