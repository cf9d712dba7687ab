import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { getFreePort } from '@shop/testing';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/preflight.mjs', import.meta.url));

async function preflight(env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, [script], { env: { ...process.env, ...env } });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

describe('npm test preflight (scripts/preflight.mjs)', () => {
  it('passes when the local PostgreSQL and Redis answer', async () => {
    const result = await preflight({});
    expect(result).toEqual({ code: 0, output: '' });
  });

  it('stops with one message naming each unreachable server and how to start them', async () => {
    const closedA = await getFreePort();
    const closedB = await getFreePort();
    const result = await preflight({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${closedA}/postgres`,
      REDIS_URL: `redis://127.0.0.1:${closedB}`,
    });
    expect(result.code).toBe(1);
    expect(result.output).toContain(`PostgreSQL at 127.0.0.1:${closedA} (set DATABASE_URL to change it)`);
    expect(result.output).toContain(`Redis at 127.0.0.1:${closedB} (set REDIS_URL to change it)`);
    expect(result.output).toContain('docker-compose.data-ports.yml up -d postgres redis');
    // One message, not a wall of connection errors.
    expect(result.output.split('\n').length).toBeLessThan(15);
    expect(result.output).not.toMatch(/ECONNREFUSED|at .*\(node:/);
  });
});
