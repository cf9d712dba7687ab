import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lowerThreadPoolPriority } from '../src/core/thread-priority.js';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));

/** Runs the helper in a process of its own (the pool is per process) and reports each thread's niceness. */
function niceness(nice: number): {
  base: number;
  changed: number;
  threads: { name: string; nice: number }[];
} {
  const script = `
    import { readdirSync, readFileSync } from 'node:fs';
    import { pbkdf2 } from 'node:crypto';
    import { getPriority } from 'node:os';
    import { lowerThreadPoolPriority } from './src/core/thread-priority.ts';
    // One job starts the pool's threads.
    await new Promise((resolve, reject) => pbkdf2('a', 'b', 1, 32, 'sha256', (e) => (e ? reject(e) : resolve())));
    const base = getPriority();
    const changed = lowerThreadPoolPriority(${nice});
    const threads = readdirSync('/proc/self/task').map((tid) => {
      const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8');
      // Fields after the parenthesised name: state is field 3, nice is field 19.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return { name: readFileSync('/proc/self/task/' + tid + '/comm', 'utf8').trim(), nice: Number(fields[16]) };
    });
    console.log(JSON.stringify({ base, changed, threads }));
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: packageRoot,
    encoding: 'utf8',
    env: { ...process.env, UV_THREADPOOL_SIZE: '3' },
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe.runIf(process.platform === 'linux')('lowerThreadPoolPriority', () => {
  it('raises the niceness of the libuv pool threads only, leaving the event loop thread as it was', () => {
    const { base, changed, threads } = niceness(10);
    expect(changed).toBe(3);
    const pool = threads.filter((t) => t.name === 'libuv-worker');
    expect(pool).toHaveLength(3);
    expect(pool.every((t) => t.nice === 10)).toBe(true);
    const main = threads.find((t) => t.name === 'MainThread' || t.name === 'node');
    expect(main?.nice).toBe(base);
  });

  it('changes nothing for 0 or an out-of-range niceness, or when /proc cannot be read', () => {
    const unchanged = niceness(0);
    expect(unchanged.changed).toBe(0);
    expect(unchanged.threads.every((t) => t.nice === unchanged.base)).toBe(true);
    expect(lowerThreadPoolPriority(25)).toBe(0);
    expect(lowerThreadPoolPriority(10, '/nonexistent/task')).toBe(0);
  });
});
