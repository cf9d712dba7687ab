import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The name libuv (>= 1.50, Node 24) gives its thread-pool threads: `/proc/self/task/<tid>/comm`. */
const POOL_THREAD = 'libuv-worker';

/**
 * Lowers the scheduling priority (raises the niceness to `nice`, 1–19) of this process's libuv
 * thread-pool threads, leaving the event loop's thread as it was. For a service whose pool runs
 * CPU-bound work (the user service's argon2id verifications): when the CPU is contended, request
 * handling — here and in the other processes on the node — goes first, and the pool still gets every
 * cycle nobody else wants. Linux only (a thread is a task with its own niceness there): elsewhere,
 * or when `/proc` cannot be read, nothing changes. Returns the number of threads changed.
 *
 * The pool's threads exist from its first job on: call this after one (e.g. a warm-up hash).
 * Raising niceness needs no privilege; lowering it back would.
 */
export function lowerThreadPoolPriority(nice: number, taskDir = '/proc/self/task'): number {
  if (process.platform !== 'linux' || !Number.isInteger(nice) || nice < 1 || nice > 19) return 0;
  let changed = 0;
  let tasks: string[];
  try {
    tasks = readdirSync(taskDir);
  } catch {
    return 0;
  }
  for (const tid of tasks) {
    try {
      if (readFileSync(`${taskDir}/${tid}/comm`, 'utf8').trim() !== POOL_THREAD) continue;
      setPriority(Number(tid), nice);
      changed += 1;
    } catch {
      // The thread ended meanwhile, or the priority could not be changed: leave it.
    }
  }
  return changed;
}
