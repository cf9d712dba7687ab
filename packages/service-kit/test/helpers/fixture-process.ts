import { fileURLToPath } from 'node:url';
import { type ServiceProcess, startServiceProcess } from '@shop/testing';

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
