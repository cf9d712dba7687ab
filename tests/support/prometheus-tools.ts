// Debian's `prometheus` package (prometheus + promtool; `.ci/run` installs it): the real tools for rule
// unit tests and for scraping the services in tests. Without them a developer's run skips these tests
// with the install command printed; under CI (CI=true) their absence fails the run instead.
import { execFileSync, spawnSync } from 'node:child_process';

export interface PrometheusTools {
  promtool: string;
  prometheus: string;
  version: string;
}

const which = (bin: string) => {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
};

function find(): PrometheusTools | undefined {
  const promtool = which('promtool');
  const prometheus = which('prometheus');
  if (!promtool || !prometheus) return undefined;
  const version =
    /version (\S+)/.exec(execFileSync(prometheus, ['--version'], { encoding: 'utf8' }))?.[1] ?? '?';
  return { promtool, prometheus, version };
}

export const INSTALL_HINT = 'apt-get install -y prometheus (Debian; gives prometheus and promtool)';

/** The tools, or undefined (skip) on a developer machine without them; throws under CI. */
export function prometheusTools(): PrometheusTools | undefined {
  const tools = find();
  if (tools) return tools;
  if (process.env.CI) throw new Error(`prometheus/promtool are missing on this CI machine: ${INSTALL_HINT}`);
  console.warn(`[prometheus] SKIPPED: prometheus/promtool not installed — ${INSTALL_HINT}`);
  return undefined;
}

/** Runs promtool; resolves with its exit code and combined output (promtool prints failures on stderr). */
export function promtool(
  tools: PrometheusTools,
  args: string[],
  cwd?: string,
): { code: number; output: string } {
  const r = spawnSync(tools.promtool, args, { encoding: 'utf8', cwd, timeout: 120_000 });
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}
