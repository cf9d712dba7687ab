#!/usr/bin/env node
// `npm run load` / `shop-loadgen`: the only file that reads the environment, prints and exits.
import { writeFile } from 'node:fs/promises';
import { DEV_SERVICES, parseCli, USAGE } from './cli-options.js';
import { LoadSetupError, runLoad } from './load-runner.js';
import { type LoadOptions, LoadOptionsError, type ProgressSnapshot } from './options.js';
import { progressBlock, progressLine, summaryTable } from './report.js';

const GATEWAY = 'http://127.0.0.1:8080';

/** The compose gateway answers product searches on :8080; the `npm run dev` user service does not. */
async function detectTarget(): Promise<Pick<LoadOptions, 'target' | 'services'>> {
  try {
    const res = await fetch(`${GATEWAY}/api/v1/products?limit=1`, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    if (res.ok) return { target: GATEWAY };
  } catch {
    // nothing on :8080 or not a gateway: fall through to the dev ports
  }
  return { services: { ...DEV_SERVICES } };
}

async function main(): Promise<number> {
  let settings: ReturnType<typeof parseCli>;
  try {
    settings = parseCli(process.argv.slice(2), process.env);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (settings.help) {
    console.log(USAGE);
    return 0;
  }
  const { options } = settings;
  if (settings.autoTarget) Object.assign(options, await detectTarget());
  for (const notice of settings.notices) console.error(`[loadgen] ${notice}`);
  const where = options.target
    ? `gateway ${options.target}`
    : Object.entries(options.services ?? {})
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
  console.error(`[loadgen] target: ${where}`);

  const tty = settings.progress === 'tty' || (settings.progress === 'auto' && process.stderr.isTTY);
  let drawn = 0;
  if (settings.progress !== 'off') {
    options.onProgress = (s: ProgressSnapshot) => {
      if (!tty) {
        console.error(progressLine(s));
        return;
      }
      const lines = progressBlock(s);
      // Move up over the previous block and redraw it.
      if (drawn > 0) process.stderr.write(`\x1b[${drawn}F\x1b[J`);
      process.stderr.write(`${lines.join('\n')}\n`);
      drawn = lines.length;
    };
  }
  const stop = new AbortController();
  let interrupted = 0;
  const onSignal = () => {
    if (++interrupted > 1) process.exit(130);
    console.error('[loadgen] stopping (again to quit at once)…');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  options.signal = stop.signal;

  try {
    const result = await runLoad(options);
    console.error(summaryTable(result));
    const json = `${JSON.stringify(result, null, 2)}\n`;
    if (settings.json === '-') process.stdout.write(json);
    else if (settings.json) {
      await writeFile(settings.json, json);
      console.error(`[loadgen] results written to ${settings.json}`);
    }
    return result.passed ? 0 : 1;
  } catch (err) {
    if (err instanceof LoadSetupError) {
      console.error(`[loadgen] the target cannot be used: ${err.message}`);
      for (const e of err.errorSamples) console.error(`  ${e.step} [${e.status}]: ${e.detail}`);
      return 3;
    }
    if (err instanceof LoadOptionsError) {
      console.error(`[loadgen] ${err.message}`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = await main();
