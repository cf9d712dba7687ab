// Baseline for login: argon2id verifications in a process of their own, with the user service's hash
// parameters (services/user/src/modules/auth/password-hasher.ts), the same libuv thread pool
// (UV_THREADPOOL_SIZE inherited) and the image's malloc settings (GLIBC_TUNABLES, passed by the bench),
// `CONCURRENCY` verifications in flight for `SECONDS`. Prints one JSON line.
import argon2 from 'argon2';

const options = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const password = 'bench password 2026!';
const hash = await argon2.hash(password, options);
const concurrency = Number(process.env.CONCURRENCY ?? 20);
const window = Number(process.env.SECONDS ?? 5) * 1000;
const started = performance.now();
const deadline = started + window;
let done = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      if (!(await argon2.verify(hash, password))) throw new Error('verify failed');
      // Only verifications finished inside the window count (the tail in flight after it does not).
      if (performance.now() <= deadline) done++;
    }
  }),
);
const seconds = window / 1000;
console.log(JSON.stringify({ done, seconds, rate: done / seconds }));
