// The compose files are manifests too: `npm test` parses each one strictly (a misplaced key in a merge
// is a YAML error that only the container suite would otherwise meet), and where docker-compose is
// installed it validates the combinations users run, as `docker compose config` does.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const files = readdirSync(repoRoot).filter((f) => /^docker-compose(\.[\w-]+)?\.yml$/.test(f));
const compose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;

describe('compose files', () => {
  it('finds the base file and its overrides', () => {
    expect(files).toContain('docker-compose.yml');
    expect(files).toContain('docker-compose.replicas.yml');
  });

  for (const file of files)
    it(`${file} is valid YAML without duplicate keys`, () => {
      const doc = parseDocument(readFileSync(path.join(repoRoot, file), 'utf8'), { uniqueKeys: true });
      expect(doc.errors.map((e) => e.message)).toEqual([]);
      expect(doc.toJS()).toHaveProperty('services');
    });

  for (const combo of [
    ['docker-compose.yml'],
    ['docker-compose.yml', 'docker-compose.replicas.yml'],
    ['docker-compose.yml', 'docker-compose.data-ports.yml'],
  ])
    it.skipIf(!compose)(`docker-compose config accepts ${combo.join(' + ')} with every profile`, () => {
      const args = [...combo.flatMap((f) => ['-f', f]), '--profile', 'load', '--profile', 'observability'];
      const r = spawnSync('docker-compose', [...args, 'config', '-q'], { cwd: repoRoot, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
});

describe('shop-probe (scripts/http-probe.sh): the HEALTHCHECK of the images and the compose healthchecks', () => {
  const probe = path.join(repoRoot, 'scripts/http-probe.sh');
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/hang') return; // accepts, never answers
      res.statusCode = req.url === '/readyz' ? 200 : req.url === '/draining' ? 503 : 404;
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  // Asynchronously: the server answering the probe runs in this process.
  const run = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number | null; ms: number }>((resolve) => {
      const started = Date.now();
      const child = spawn('bash', [probe, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
      child.on('exit', (code) => resolve({ code, ms: Date.now() - started }));
    });

  it('exits 0 on a 2xx and 1 on anything else, a closed port or no port', async () => {
    expect((await run(['/readyz', String(port)])).code).toBe(0);
    expect((await run(['/readyz'], { SERVICE_PORT: String(port) })).code).toBe(0);
    expect((await run(['/draining', String(port)])).code).toBe(1);
    expect((await run(['/missing', String(port)])).code).toBe(1);
    expect((await run(['/readyz', '1'])).code).toBe(1);
    expect((await run(['/readyz'])).code).toBe(1);
  });

  it('gives up on a server that accepts and never answers within its 3 s read bound', async () => {
    const r = await run(['/hang', String(port)]);
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(10_000);
  });

  it('is what every service healthcheck in docker-compose.yml runs, against its own port', () => {
    const doc = parseDocument(readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8')).toJS() as {
      services: Record<string, { healthcheck?: { test: string[] }; environment?: Record<string, string> }>;
    };
    for (const name of ['user-service', 'product-service', 'order-service', 'payment-service']) {
      const svc = doc.services[name]!;
      expect(svc.healthcheck?.test, name).toEqual([
        'CMD',
        'shop-probe',
        '/readyz',
        svc.environment?.SERVICE_PORT,
      ]);
    }
  });
});
