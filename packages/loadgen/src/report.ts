import Table from 'cli-table3';
import type { LoadResult, ProgressSnapshot } from './options.js';

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

/** One line for logs: rate, journeys, errors, then p50/p95/p99 (ms) of every step so far. */
export function progressLine(s: ProgressSnapshot): string {
  const head =
    `[${(s.elapsedMs / 1000).toFixed(0).padStart(4)}s] ${s.journeyRate.toFixed(1)} j/s ${s.requestRate.toFixed(1)} req/s` +
    ` | journeys ${s.journeys.started} started ${s.journeys.completed} ok ${s.journeys.failed} failed` +
    ` ${s.inFlight} running | errors ${s.errors}`;
  const steps = s.steps
    .filter((x) => !x.step.startsWith('setup.'))
    .map((x) => `${x.step} ${fmt(x.p50)}/${fmt(x.p95)}/${fmt(x.p99)}${x.errors ? ` (${x.errors} err)` : ''}`);
  return steps.length > 0 ? `${head} | p50/p95/p99 ms: ${steps.join(' · ')}` : head;
}

/** A block for a terminal: a header line and one line per step, redrawn in place by the CLI. */
export function progressBlock(s: ProgressSnapshot): string[] {
  const head =
    `${(s.elapsedMs / 1000).toFixed(0)}s  ${s.journeyRate.toFixed(1)} journeys/s  ${s.requestRate.toFixed(1)} req/s  ` +
    `journeys ${s.journeys.started} (${s.journeys.completed} ok, ${s.journeys.failed} failed, ${s.inFlight} running)  errors ${s.errors}`;
  const width = Math.max(10, ...s.steps.map((x) => x.step.length));
  return [
    head,
    ...s.steps.map(
      (x) =>
        `  ${x.step.padEnd(width)} ${String(x.count).padStart(7)}  p50 ${fmt(x.p50).padStart(6)}  p95 ${fmt(x.p95).padStart(6)}  p99 ${fmt(x.p99).padStart(6)} ms${x.errors ? `  ${x.errors} errors` : ''}`,
    ),
  ];
}

/** The final per-step table and the verdict. */
export function summaryTable(result: LoadResult): string {
  const table = new Table({
    head: ['step', 'requests', 'statuses', 'errors', 'expected', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
    colAligns: ['left', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const [step, s] of Object.entries(result.steps)) {
    const statuses = Object.entries(s.statusCounts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k}×${n}`)
      .join(' ');
    table.push([
      step,
      s.count,
      statuses,
      s.errors,
      s.expected,
      fmt(s.p50),
      fmt(s.p95),
      fmt(s.p99),
      fmt(s.max),
    ]);
  }
  const j = result.journeys;
  const orders = Object.entries(result.ordersByStatus)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const lines = [
    table.toString(),
    `journeys: ${j.started} started, ${j.completed} completed, ${j.failed} failed, ${j.interrupted} interrupted, ${j.dropped} dropped` +
      ` (${Object.entries(j.byJourney)
        .map(([name, c]) => `${name} ${c.completed}/${c.started}`)
        .join(', ')})`,
    `requests: ${result.totals.requests} in ${(result.durationMs / 1000).toFixed(1)} s, errors ${result.totals.errors}, tolerated ${result.totals.expected}` +
      ` | orders: ${result.orders.length}${orders ? ` (${orders})` : ''}`,
  ];
  for (const e of result.errorSamples.slice(0, 5))
    lines.push(`  error at ${e.atMs} ms in ${e.step} [${e.status}]: ${e.detail}`);
  lines.push(
    result.passed
      ? `PASSED: ${result.totals.errors} errors within the budget of ${result.settings.errorBudget}`
      : `FAILED: ${result.totals.errors} errors exceed the budget of ${result.settings.errorBudget}`,
  );
  return lines.join('\n');
}
