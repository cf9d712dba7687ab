import { Ajv } from 'ajv';
import type { K8sObject } from './renders.js';

/**
 * No npm package carries the APISIX ingress controller's CRDs, so this is the openAPIV3Schema of
 * ApisixPluginConfig (apisix.apache.org/v2, apisix-ingress-controller 1.8 / 2.0) transcribed by hand,
 * with additionalProperties:false wherever the CRD does not preserve unknown fields (a plugin's
 * `config` is free-form there as well).
 */
const apisixPluginConfig = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'apisix.apache.org/v2' },
    kind: { const: 'ApisixPluginConfig' },
    metadata: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
        namespace: { type: 'string' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        annotations: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['plugins'],
      properties: {
        ingressClassName: { type: 'string' },
        plugins: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'enable'],
            properties: {
              name: { type: 'string', minLength: 1 },
              enable: { type: 'boolean' },
              config: { type: 'object' },
              secretRef: { type: 'string' },
            },
          },
        },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true });
const validators: Record<string, ReturnType<typeof ajv.compile>> = {
  'apisix.apache.org/v2|ApisixPluginConfig': ajv.compile(apisixPluginConfig),
};

/** true when this suite carries its own schema for the kind. */
export const hasLocalSchema = (o: K8sObject) => `${o.apiVersion}|${o.kind}` in validators;

export function localSchemaErrors(o: K8sObject): string[] {
  const validate = validators[`${o.apiVersion}|${o.kind}`];
  if (!validate) return [`no local schema for ${o.apiVersion} ${o.kind}`];
  if (validate(o)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
  );
}
