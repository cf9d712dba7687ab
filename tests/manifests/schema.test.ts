import { beforeAll, describe, expect, it } from 'vitest';
import { renders } from './support/context.js';
import { crdSchemaErrors, hasCrdSchema } from './support/crd-schema.js';
import { asSubmitted, StrictFieldChecker, schemaErrors } from './support/k8s-schema.js';
import { type K8sObject, objectId } from './support/renders.js';

let strict: StrictFieldChecker;

beforeAll(() => {
  const kinds = renders()
    .flatMap((r) => r.objects)
    .filter((o) => !hasCrdSchema(o))
    .map((o) => ({ apiVersion: o.apiVersion, kind: o.kind }));
  // Also the kinds the self-tests below use.
  kinds.push(
    { apiVersion: 'apps/v1', kind: 'Deployment' },
    { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor' },
  );
  strict = new StrictFieldChecker(kinds);
});

async function problems(object: K8sObject): Promise<string[]> {
  if (hasCrdSchema(object)) return crdSchemaErrors(object);
  const o = asSubmitted(object);
  return [...(await schemaErrors(o)), ...strict.unknownFields(o)];
}

describe('schema validation (Kubernetes 1.34 OpenAPI + CRDs, unknown fields are errors)', () => {
  it.each(renders().map((r) => [r.id, r] as const))(
    'every object rendered by %s is valid',
    async (_id, r) => {
      expect(r.objects.length).toBeGreaterThan(0);
      const failures: string[] = [];
      for (const o of r.objects) {
        for (const p of await problems(o)) failures.push(`${objectId(o)}: ${p}`);
      }
      expect(failures).toEqual([]);
    },
  );
});

describe('the validator itself', () => {
  const deployment = (): K8sObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x' },
    spec: {
      selector: { matchLabels: { app: 'x' } },
      template: {
        metadata: { labels: { app: 'x' } },
        spec: {
          containers: [
            {
              name: 'x',
              image: 'x:1',
              livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
              lifecycle: { preStop: { sleep: { seconds: 10 } } },
              resources: { limits: { cpu: '1' } },
            },
          ],
        },
      },
    },
  });

  it('accepts a valid Deployment using 1.34 fields (native preStop sleep)', async () => {
    expect(await problems(deployment())).toEqual([]);
  });

  it('reports a misspelled nested field that plain kubernetes-models validation lets through', async () => {
    const d = deployment() as unknown as {
      spec: { template: { spec: { containers: Array<Record<string, unknown>> } } };
    };
    d.spec.template.spec.containers[0]!.livenessprobe = d.spec.template.spec.containers[0]!.livenessProbe;
    expect(await schemaErrors(d as unknown as K8sObject)).toEqual([]);
    expect(strict.unknownFields(d as unknown as K8sObject)).toEqual([
      'spec.template.spec.containers[0].livenessprobe: unknown field',
    ]);
  });

  it('reports a wrong type through the OpenAPI schema', async () => {
    const d = deployment() as unknown as { spec: Record<string, unknown> };
    d.spec.replicas = 'three';
    expect((await schemaErrors(d as unknown as K8sObject)).join()).toMatch(/replicas/);
  });

  it('checks CRD objects strictly too (ServiceMonitor endpoint typo)', () => {
    const sm: K8sObject = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'x' },
      spec: { selector: {}, endpoints: [{ port: 'http', pathh: '/metrics' }] },
    };
    expect(strict.unknownFields(sm)).toEqual(['spec.endpoints[0].pathh: unknown field']);
  });

  it('rejects unknown fields and wrong types through a validator generated from the CRD (ApisixPluginConfig)', () => {
    const config: K8sObject = {
      apiVersion: 'apisix.apache.org/v2',
      kind: 'ApisixPluginConfig',
      metadata: { name: 'x' },
      spec: { plugins: [{ name: 'limit-count', enable: true, config: {} }], extra: true },
    };
    expect(crdSchemaErrors(config).join()).toMatch(/additionalProperty.*extra/);
    const wrongType = { ...config, spec: { plugins: [{ name: 'cors', enable: 'yes' }] } };
    expect(crdSchemaErrors(wrongType).join()).toMatch(/enable must be boolean/);
  });
});
