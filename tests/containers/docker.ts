import { type ExecFileSyncOptions, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const SERVICES = ['user', 'product', 'order', 'payment'] as const;
export type Service = (typeof SERVICES)[number];
export const PORTS: Record<Service, number> = { user: 8080, product: 8081, order: 8082, payment: 8083 };
/** terminationGracePeriodSeconds of each service (DESIGN §5); compose's stop_grace_period must match. */
export const GRACE_SECONDS: Record<Service, number> = { user: 30, product: 30, order: 60, payment: 60 };
export const BASE_IMAGE = 'node:24-bookworm-slim';

export type Engine =
  | { available: true; docker: string; compose: string[] }
  | { available: false; reason: string };

/**
 * Makes sure an engine runs (scripts/ensure-docker.sh installs/starts it and creates the offline base
 * image stand-ins where that tool exists). Exit code 3 of the script = no engine can be started here.
 */
export function ensureEngine(): Engine {
  const r = spawnSync('bash', [path.join(repoRoot, 'scripts/ensure-docker.sh')], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status === 3)
    return { available: false, reason: r.stderr.trim().split('\n').pop() ?? 'no Docker engine' };
  if (r.status !== 0) throw new Error(`scripts/ensure-docker.sh failed (${r.status}):\n${r.stderr}`);
  const docker = /^DOCKER=(.+)$/m.exec(r.stdout)?.[1] ?? 'docker';
  // docker-compose 1.29 where installed (this project's CI), else the Compose v2 plugin.
  const v1 = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
  const compose = v1.status === 0 ? ['docker-compose'] : [docker, 'compose'];
  return { available: true, docker, compose };
}

export function run(cmd: string, args: string[], opts: ExecFileSyncOptions = {}): string {
  try {
    return execFileSync(cmd, args, {
      cwd: repoRoot,
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...opts,
    }) as string;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; status?: number };
    throw new Error(
      `${cmd} ${args.join(' ')} exited ${e.status}\n--- stdout\n${e.stdout?.slice(-4000)}\n--- stderr\n${e.stderr?.slice(-4000)}`,
    );
  }
}

/** Runs a command without blocking the event loop (for `docker stop` while a request is in flight). */
export function runAsync(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

/** The registry CA for `npm ci` inside the build, when this machine needs one (offline CI). */
export function npmCaFile(): string | undefined {
  const candidates = [process.env.NODE_EXTRA_CA_CERTS];
  try {
    candidates.push(
      execFileSync('npm', ['config', 'get', 'cafile', '--workspaces=false'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim(),
    );
  } catch {
    // npm without a cafile setting
  }
  // Last: the host's own bundle (Debian), which holds the registry CA on machines that need one and is
  // only public CAs elsewhere — harmless as extra CAs, and it does not depend on the caller's env.
  candidates.push('/etc/ssl/certs/ca-certificates.crt');
  return candidates.find(
    (c) => c && c !== 'null' && c !== 'undefined' && existsSync(c) && readFileSync(c).length > 0,
  );
}

/** What the root Dockerfile builds: a service (SERVICE/PORT), or the storefront or loadgen target. */
export type Image = Service | 'storefront' | 'loadgen';

export function imageName(service: Image, tag: string): string {
  return `ghcr.io/shop-demo/shop-${service}:${tag}`;
}

/**
 * Builds one image from the root Dockerfile with BuildKit (the npm CA as a build secret when this
 * machine needs one): a service by SERVICE/PORT, or the storefront/loadgen by its `--target`.
 */
export function buildImage(
  docker: string,
  image: Image,
  tag: string,
  labels: { revision: string; version: string },
): string {
  const name = imageName(image, tag);
  const args = ['build', '--progress', 'plain', '-t', name];
  if (image === 'storefront' || image === 'loadgen') args.push('--target', image);
  else args.push('--build-arg', `SERVICE=${image}`, '--build-arg', `PORT=${PORTS[image]}`);
  const ca = npmCaFile();
  if (ca) args.push('--secret', `id=npm_ca,src=${ca}`);
  args.push('--build-arg', `REVISION=${labels.revision}`, '--build-arg', `VERSION=${labels.version}`, '.');
  run(docker, args, { env: { ...process.env, DOCKER_BUILDKIT: '1' }, timeout: 900_000 });
  return name;
}

/**
 * `compose up -d --no-build` (the images are built by the test itself); on failure the error carries the
 * last compose logs, which is where the reason is.
 */
export function composeUp(compose: (...args: string[]) => string): void {
  try {
    compose('up', '-d', '--no-build');
  } catch (err) {
    let logs = '';
    try {
      logs = compose('logs', '--no-color', '--tail', '40');
    } catch {
      // logs are best effort
    }
    throw new Error(`${(err as Error).message}\n--- compose logs\n${logs.slice(-12000)}`);
  }
}

/** Polls `check` every `intervalMs` until it returns a value or `timeoutMs` passes. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  { timeoutMs, intervalMs = 1000 }: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** GET on the Docker Engine API over its unix socket: cheap enough to poll every 100 ms. */
export function engineApi<T>(apiPath: string): Promise<T> {
  const socketPath = process.env.DOCKER_HOST?.startsWith('unix://')
    ? process.env.DOCKER_HOST.slice('unix://'.length)
    : '/var/run/docker.sock';
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: apiPath, method: 'GET', timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 300)
          reject(new Error(`docker API ${apiPath}: ${res.statusCode} ${body}`));
        else resolve(JSON.parse(body) as T);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`docker API ${apiPath}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

export type ContainerSummary = {
  Id: string;
  Names: string[];
  State: string;
  Status: string;
  Labels: Record<string, string>;
};

/** Containers of one compose project (running or exited). */
export function projectContainers(project: string): Promise<ContainerSummary[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${project}`] }));
  return engineApi<ContainerSummary[]>(`/containers/json?all=1&filters=${filters}`);
}

export type ContainerInspect = {
  Id: string;
  State: { Status: string; ExitCode: number; Health?: { Status: string } };
  Config: { Labels: Record<string, string> };
};

export function inspectContainer(id: string): Promise<ContainerInspect> {
  return engineApi<ContainerInspect>(`/containers/${id}/json`);
}
