import { fileURLToPath } from 'node:url';
import {
  createTestDatabase,
  createTestRedisPrefix,
  type ServiceProcess,
  startServiceProcess,
  stopAllServiceProcesses,
  type TestDatabase,
  type TestRedisPrefix,
} from '@shop/testing';
import { useFileFixture } from '@shop/testing/vitest';

export const adapters = ['fastify', 'express'] as const;
export type Adapter = (typeof adapters)[number];

const packageRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Starts the fixture app of `adapter` as a child process (through tsx) and waits for /healthz. */
export function startFixture(
  adapter: Adapter,
  env: Record<string, string | undefined> = {},
  options: { imports?: string[]; healthPath?: string | false; startTimeoutMs?: number } = {},
): Promise<ServiceProcess> {
  return startServiceProcess({
    entry: fileURLToPath(new URL(`../fixtures/${adapter}-app.fixture.ts`, import.meta.url)),
    cwd: packageRoot,
    imports: options.imports,
    healthPath: options.healthPath,
    startTimeoutMs: options.startTimeoutMs,
    env: {
      LOG_LEVEL: 'info',
      FIXTURE_WITH_DEPENDENCIES: 'false',
      OTEL_SDK_DISABLED: 'true',
      ...env,
    },
  });
}

/** A line's message, for `waitForLog(byMessage('…'))`. */
export const byMessage = (msg: string) => (line: Record<string, unknown>) => line.msg === msg;

/**
 * A test file's own database and Redis prefix for fixtures started with dependencies; fixture
 * processes still running are stopped before both are removed.
 */
export function useFixtureDependencies(label: string): {
  database: TestDatabase;
  redisPrefix: TestRedisPrefix;
} {
  return useFileFixture(
    async () => ({ database: await createTestDatabase(label), redisPrefix: createTestRedisPrefix(label) }),
    async ({ database, redisPrefix }) => {
      await stopAllServiceProcesses();
      await database.drop();
      await redisPrefix.cleanup();
    },
  );
}
