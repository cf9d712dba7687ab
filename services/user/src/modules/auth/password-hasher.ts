import { randomBytes } from 'node:crypto';
import { lowerThreadPoolPriority } from '@shop/service-kit';
import argon2 from 'argon2';

/** OWASP Password Storage Cheat Sheet: argon2id, 19 MiB memory, 2 iterations, 1 lane. */
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/** Hashes and verifies passwords; `verifyAgainstDummy` spends the same time for unknown users. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** Runs one full verification against a throwaway hash and returns false. */
  verifyAgainstDummy(password: string): Promise<false>;
  needsRehash(hash: string): boolean;
  /** argon2 verifications started so far (real and dummy): what the login limiter must bound. */
  verifications(): number;
}

export interface PasswordHasherOptions {
  /**
   * Niceness given to the libuv thread pool (where argon2id runs) once its threads exist, after the
   * first hash or verification; 0 leaves it alone. See `lowerThreadPoolPriority`.
   */
  threadNice?: number;
}

export function createPasswordHasher(options: PasswordHasherOptions = {}): PasswordHasher {
  // Computed once; verifying against it costs exactly as much as verifying a real user's hash.
  let dummy: Promise<string> | undefined;
  const dummyHash = () => {
    dummy ??= argon2.hash(randomBytes(32).toString('base64url'), ARGON2_OPTIONS);
    return dummy;
  };
  let verifications = 0;
  let niced = !options.threadNice;
  // The pool starts all its threads with its first job: from then on they can be found and niced.
  const afterWork = () => {
    if (niced) return;
    niced = true;
    lowerThreadPoolPriority(options.threadNice!);
  };
  return {
    hash: (password) => argon2.hash(password, ARGON2_OPTIONS).finally(afterWork),
    verifications: () => verifications,
    async verify(hash, password) {
      verifications += 1;
      try {
        return await argon2.verify(hash, password);
      } catch {
        // A corrupt stored hash must read as "wrong password", never as a 500 that reveals the account.
        return false;
      } finally {
        afterWork();
      }
    },
    async verifyAgainstDummy(password) {
      verifications += 1;
      try {
        await argon2.verify(await dummyHash(), password);
      } catch {
        // The outcome is irrelevant; only the time spent matters.
      } finally {
        afterWork();
      }
      return false;
    },
    needsRehash: (hash) => argon2.needsRehash(hash, ARGON2_OPTIONS),
  };
}
