import { type ChildProcess, spawn } from 'node:child_process';
import { getFreePort } from './ports.js';

export interface ServiceProcessOptions {
  /** Entry file; `.ts` entries are run through tsx automatically. */
  entry: string;
  /** Modules preloaded with `--import` (e.g. `@shop/service-kit/telemetry`), in order. */
  imports?: string[];
  /** Extra `node` flags. */
  nodeArgs?: string[];
  /** Added to the parent's environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Port to pass; a free one is picked when omitted. */
  port?: number;
  /** Environment variable the port is passed in (default `SERVICE_PORT`). */
  portEnv?: string;
  /** Path polled until it answers 200 (default `/healthz`); `false` skips waiting (e.g. for a crash test). */
  healthPath?: string | false;
  /** How long to wait for the health path (default 20 s). */
  startTimeoutMs?: number;
  cwd?: string;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running service process; always `stop()` it (or call `stopAllServiceProcesses`) in an after hook. */
export interface ServiceProcess {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  /** stdout and stderr as received so far. */
  output(): string;
  /** stdout lines that parse as JSON objects (pino logs). */
  logLines(): Record<string, unknown>[];
  /** Resolves with the first JSON log line matching `predicate` (past or future). */
  waitForLog(
    predicate: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Resolves once at least `count` JSON log lines match `predicate`. */
  waitForLogCount(
    predicate: (line: Record<string, unknown>) => boolean,
    count: number,
    timeoutMs?: number,
  ): Promise<void>;
  signal(signal?: NodeJS.Signals): void;
  /** Resolves when the process exits; rejects after `timeoutMs` (default 10 s). */
  waitForExit(timeoutMs?: number): Promise<ProcessExit>;
  /** SIGKILLs the process if it still runs and waits for it. */
  stop(): Promise<ProcessExit>;
  readonly exited: boolean;
}

const running = new Set<ChildProcess>();

// A crashed or interrupted test run must not leave servers behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Kills every process started by `startServiceProcess` in this test worker. */
export async function stopAllServiceProcesses(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/**
 * Spawns `node [--import tsx] [--import …] <entry>` with the given environment and a free port,
 * captures its output, and resolves once the health path answers 200. Rejects (after killing it)
 * when the process exits or does not become healthy in time, with the captured output in the message.
 */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const port = options.port ?? (await getFreePort());
  const imports = [...(options.entry.endsWith('.ts') ? ['tsx'] : []), ...(options.imports ?? [])];
  const args = [...(options.nodeArgs ?? []), ...imports.flatMap((m) => ['--import', m]), options.entry];
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({
    ...process.env,
    ...options.env,
    [options.portEnv ?? 'SERVICE_PORT']: String(port),
  })) {
    if (value !== undefined) env[key] = value;
  }
  const child = spawn(process.execPath, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);

  let out = '';
  let stdoutBuffer = '';
  const lines: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of listeners) listener();
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    stdoutBuffer += chunk;
    let newline = stdoutBuffer.indexOf('\n');
    while (newline !== -1) {
      const line = stdoutBuffer.slice(0, newline);
      stdoutBuffer = stdoutBuffer.slice(newline + 1);
      if (line.startsWith('{')) {
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not a log line
        }
      }
      newline = stdoutBuffer.indexOf('\n');
    }
    notify();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });

  let exit: ProcessExit | undefined;
  const exitPromise = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      exit = { code, signal };
      notify();
      resolve(exit);
    });
  });

  const waitFor = <T>(test: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = test();
        if (value !== undefined) {
          done();
          resolve(value);
        } else if (exit) {
          done();
          reject(new Error(`process exited (${JSON.stringify(exit)}) before ${what}\n${out}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${out}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  const url = `http://127.0.0.1:${port}`;
  const handle: ServiceProcess = {
    pid: child.pid!,
    port,
    url,
    output: () => out,
    logLines: () => lines.slice(),
    waitForLog: (predicate, timeoutMs = 10_000) =>
      waitFor(() => lines.find(predicate), timeoutMs, 'a matching log line'),
    waitForLogCount: async (predicate, count, timeoutMs = 10_000) => {
      await waitFor(
        () => (lines.filter(predicate).length >= count ? true : undefined),
        timeoutMs,
        `${count} matching log lines`,
      );
    },
    signal: (signal = 'SIGTERM') => {
      if (!exit) child.kill(signal);
    },
    waitForExit: (timeoutMs = 10_000) =>
      Promise.race([
        exitPromise,
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error(`process did not exit within ${timeoutMs} ms\n${out}`)),
            timeoutMs,
          ).unref(),
        ),
      ]),
    stop: async () => {
      if (!exit) child.kill('SIGKILL');
      return exitPromise;
    },
    get exited() {
      return exit !== undefined;
    },
  };

  if (options.healthPath === false) return handle;
  const healthUrl = `${url}${options.healthPath ?? '/healthz'}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  while (true) {
    if (exit) throw new Error(`process exited (${JSON.stringify(exit)}) before it became healthy\n${out}`);
    try {
      const response = await fetch(healthUrl, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      if (response.status === 200) return handle;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error(`process did not answer ${healthUrl} with 200 in time\n${out}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
