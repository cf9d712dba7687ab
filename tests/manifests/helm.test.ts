import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderById, tools } from './support/context.js';
import { SERVICE_NAMES } from './support/design-table.js';
import {
  CHARTS,
  helmDir,
  helmTemplateArgs,
  NAMESPACE,
  runTool,
  valuesEnvironments,
} from './support/renders.js';
import type { Container, PodSpec } from './support/workloads.js';

const helm = (args: string[]) => runTool(tools().helm, args);

/** Runs `helm template` expecting failure; resolves with the error text. */
async function templateError(chart: string, set: string[]): Promise<string> {
  try {
    await helm(
      helmTemplateArgs(
        chart,
        [],
        set.flatMap((s) => ['--set', s]),
      ),
    );
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`helm template ${chart} ${set.join(' ')} succeeded`);
}

describe('helm lint --strict', () => {
  const cases = CHARTS.flatMap((chart) =>
    valuesEnvironments(chart).map(
      (env) => [chart, env === 'default' ? 'default values' : `values-${env}.yaml`] as const,
    ),
  );
  it.each(cases)('%s with %s', async (chart, values) => {
    const args = ['lint', '--strict', path.join(helmDir, chart), '--namespace', NAMESPACE];
    if (values !== 'default values') args.push('--values', path.join(helmDir, chart, values));
    const out = await helm(args);
    expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('lints the library chart', async () => {
    expect(await helm(['lint', '--strict', path.join(helmDir, 'shop-common')])).toMatch(
      /0 chart\(s\) failed/,
    );
  });
});

describe('values.schema.json rejects wrong values with a clear message', () => {
  it.each([
    ['user-service', ['replicaCont=3'], /additional properties 'replicaCont' not allowed/],
    ['order-service', ['replicaCount=0'], /\/replicaCount'?: minimum: got 0, want 1/],
    [
      'payment-service',
      ['securityContext.runAsUser=0'],
      /\/securityContext\/runAsUser'?: minimum: got 0, want 10,?000/,
    ],
    ['product-service', ['podDisruptionBudget.maxUnavailable=1'], /\/podDisruptionBudget'?: 'oneOf' failed/],
    ['user-service', ['resources.limits.memory=lots'], /\/resources\/limits\/memory/],
    [
      'order-service',
      ['autoscaling.behavior.scaleUp.selectPolicy=Fastest'],
      /\/autoscaling\/behavior\/scaleUp\/selectPolicy/,
    ],
    [
      'shop',
      ['user-service.probes.liveness.periodSeconds=-1'],
      /user-service:[\s\S]*\/probes\/liveness\/periodSeconds/,
    ],
    ['shop', ['ingress.hosts=api.example.com'], /\/ingress'?: additional properties 'hosts' not allowed/],
    ['shop', ['postgresql.image=postgres:latest'], /\/postgresql\/image/],
  ])('%s --set %s', async (chart, set, message) => {
    const error = await templateError(chart, set);
    expect(error).toMatch(/values don't meet the specifications of the schema/);
    expect(error).toMatch(message);
  });

  it('refuses the latest image tag with an explanation', async () => {
    expect(await templateError('product-service', ['image.tag=latest'])).toMatch(
      /product-service: image.tag "latest" is not allowed; pin an immutable tag/,
    );
  });

  it('the four service charts share one schema (helm/shop-common/service-values.schema.json)', () => {
    const canonical = readFileSync(path.join(helmDir, 'shop-common/service-values.schema.json'), 'utf8');
    for (const svc of SERVICE_NAMES) {
      expect(readFileSync(path.join(helmDir, svc, 'values.schema.json'), 'utf8'), svc).toBe(canonical);
    }
  });
});

describe('helm test and NOTES', () => {
  it.each(SERVICE_NAMES)('%s has a helm test pod that requests /readyz from its Service', (svc) => {
    for (const id of [`helm:${svc}:default`, 'helm:shop:default']) {
      const pod = renderById(id).objects.find(
        (o) => o.kind === 'Pod' && o.metadata.name === `${svc}-test-readyz`,
      );
      expect(pod, `${id}: ${svc}-test-readyz`).toBeDefined();
      expect(pod!.metadata.annotations?.['helm.sh/hook']).toBe('test');
      const container = (pod!.spec as PodSpec).containers[0] as Container;
      const url = container.command!.at(-1)!;
      const port = {
        'user-service': 8080,
        'product-service': 8081,
        'order-service': 8082,
        'payment-service': 8083,
      }[svc];
      expect(url).toBe(`http://${svc}.${NAMESPACE}.svc.cluster.local:${port}/readyz`);
      expect(container.command!.slice(0, 2)).toEqual(['node', '-e']);
      expect(container.command![2]).toMatch(/process\.exit\(r\.ok \? 0 : 1\)/);
    }
  });

  it('the documented install renders its NOTES (client-side dry run)', async () => {
    const out = await helm([
      'install',
      'shop',
      path.join(helmDir, 'shop'),
      '-n',
      NAMESPACE,
      '--dry-run=client',
    ]);
    expect(out).toMatch(/NOTES:\nShop 0\.1\.0 is installed in namespace microservices/);
    for (const svc of SERVICE_NAMES) expect(out).toContain(`  - ${svc}`);
    expect(out).toMatch(/helm test shop -n microservices/);
  });

  it('a service chart renders its NOTES', async () => {
    const out = await helm([
      'install',
      'order-service',
      path.join(helmDir, 'order-service'),
      '-n',
      NAMESPACE,
      '--dry-run=client',
    ]);
    expect(out).toMatch(/order-service ghcr\.io\/shop-demo\/shop-order:0\.1\.0 is installed/);
    expect(out).toMatch(/Probes:\s+\/healthz \(liveness, startup\), \/readyz \(readiness\), \/metrics/);
  });
});

describe('generated Secrets', () => {
  it('the default install creates the shared Secrets and keeps them on uninstall; production creates none', () => {
    const secrets = renderById('helm:shop:default').objects.filter((o) => o.kind === 'Secret');
    expect(secrets.map((s) => s.metadata.name).sort()).toEqual([
      'db-credentials',
      'internal-api',
      'jwt-keys',
      'payment-secret',
      'redis-credentials',
      'tls-secret',
    ]);
    for (const s of secrets) expect(s.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    const jwt = secrets.find((s) => s.metadata.name === 'jwt-keys') as unknown as {
      data: Record<string, string>;
    };
    expect(Buffer.from(jwt.data.JWT_PRIVATE_KEY!, 'base64').toString()).toMatch(
      /^-----BEGIN EC PRIVATE KEY-----/,
    );
    // Without cert-manager the Ingress gets a self-signed certificate for its host.
    const tls = secrets.find((s) => s.metadata.name === 'tls-secret') as unknown as {
      type: string;
      data: Record<string, string>;
    };
    expect(tls.type).toBe('kubernetes.io/tls');
    expect(Buffer.from(tls.data['tls.crt']!, 'base64').toString()).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(renderById('helm:shop:production').objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });
});

describe('gRPC values', () => {
  const userDeployment = async (set: string[]) => {
    const out = await helm(
      helmTemplateArgs(
        'user-service',
        [],
        set.flatMap((s) => ['--set', s]),
      ),
    );
    const { parseAllDocuments } = await import('yaml');
    const docs = parseAllDocuments(out).map((d) => d.toJSON() as { kind?: string; spec?: unknown });
    const d = docs.find((o) => o?.kind === 'Deployment') as { spec: { template: { spec: PodSpec } } };
    const service = docs.find((o) => o?.kind === 'Service') as { spec: { ports: Array<{ name: string }> } };
    return { c: d.spec.template.spec.containers[0] as Container, service };
  };

  it('grpc.readinessProbe=true switches readiness to the native grpc probe with the same timings', async () => {
    const { c } = await userDeployment(['grpc.readinessProbe=true']);
    expect(c.readinessProbe).toEqual({
      grpc: { port: 9090 },
      initialDelaySeconds: 5,
      periodSeconds: 10,
      timeoutSeconds: 3,
      failureThreshold: 3,
    });
  });

  it('grpc.enabled=false removes the port and the Service port and turns the listener off (GRPC_PORT=0)', async () => {
    const { c, service } = await userDeployment(['grpc.enabled=false']);
    expect(c.ports?.map((p) => p.name)).toEqual(['http']);
    expect(service.spec.ports.map((p) => p.name)).toEqual(['http']);
    expect(c.env?.find((e) => e.name === 'GRPC_PORT')?.value).toBe('0');
    expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
  });
});
