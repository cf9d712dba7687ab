// Runtime fault flags in every deployable render: the shop-flags ConfigMap carries the same flags.json as
// compose (every flag off), and every service mounts it read-only where FLAGS_FILE points.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { find, renders } from './support/context.js';
import type { K8sObject } from './support/renders.js';
import { workloads } from './support/workloads.js';

const root = path.join(import.meta.dirname, '../..');
const COMPOSE_FLAGS = readFileSync(path.join(root, 'observability/flags/flags.json'), 'utf8');
const SERVICES = ['user-service', 'product-service', 'order-service', 'payment-service'];
const FLAGS_FILE = '/etc/shop/flags/flags.json';

type Flags = {
  flags: Record<string, { state: string; variants: Record<string, unknown>; defaultVariant: string }>;
};

describe('the flags file', () => {
  it('is one file: compose, Kustomize and Helm ship the same bytes', () => {
    for (const copy of ['k8s/base/platform/flags.json', 'helm/shop/files/flags.json']) {
      expect(readFileSync(path.join(root, copy), 'utf8'), copy).toBe(COMPOSE_FLAGS);
    }
  });

  it('defines the nine fault flags, each enabled with an off default variant (0 or false)', () => {
    const { flags } = JSON.parse(COMPOSE_FLAGS) as Flags;
    expect(Object.keys(flags).sort()).toEqual(
      [
        'inventoryReserveFailure',
        'memoryLeak',
        'orderReadinessFailure',
        'paymentFailure',
        'paymentSlow',
        'paymentUnreachable',
        'productCacheFailure',
        'productSlow',
        'userLoginSlow',
      ].sort(),
    );
    for (const [key, flag] of Object.entries(flags)) {
      expect(flag.state, key).toBe('ENABLED');
      expect([0, false], key).toContain(flag.variants[flag.defaultVariant]);
    }
  });
});

describe.each(renders().filter((r) => r.tool === 'kustomize' || r.target === 'shop'))(
  '$id',
  ({ objects }) => {
    it('has the shop-flags ConfigMap with the compose flags file and FLAGS_FILE in app-config', () => {
      const cm = find<K8sObject & { data: Record<string, string> }>(objects, 'ConfigMap', 'shop-flags');
      expect(cm?.metadata.namespace).toBe('microservices');
      expect(cm?.data['flags.json']).toBe(COMPOSE_FLAGS);
      const appConfig = find<K8sObject & { data: Record<string, string> }>(
        objects,
        'ConfigMap',
        'app-config',
      );
      expect(appConfig?.data.FLAGS_FILE).toBe(FLAGS_FILE);
    });

    it('mounts it read-only into every service at the directory of FLAGS_FILE', () => {
      const services = workloads(objects).filter(
        (w) => w.object.kind === 'Deployment' && SERVICES.includes(w.object.metadata.name),
      );
      expect(services.map((w) => w.object.metadata.name).sort()).toEqual([...SERVICES].sort());
      for (const w of services) {
        const spec = w.spec as unknown as {
          volumes: Array<{ name: string; configMap?: { name: string; optional?: boolean } }>;
          containers: Array<{ volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }> }>;
        };
        expect(spec.volumes.find((v) => v.name === 'flags')?.configMap).toEqual({
          name: 'shop-flags',
          optional: true,
        });
        expect(spec.containers[0]!.volumeMounts.find((m) => m.name === 'flags')).toEqual({
          name: 'flags',
          mountPath: path.dirname(FLAGS_FILE),
          readOnly: true,
        });
      }
    });
  },
);
