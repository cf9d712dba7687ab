import { randomBytes } from 'node:crypto';
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

export function createPasswordHasher(): PasswordHasher {
  // Computed once; verifying against it costs exactly as much as verifying a real user's hash.
  let dummy: Promise<string> | undefined;
  const dummyHash = () => {
    dummy ??= argon2.hash(randomBytes(32).toString('base64url'), ARGON2_OPTIONS);
    return dummy;
  };
  let verifications = 0;
  return {
    hash: (password) => argon2.hash(password, ARGON2_OPTIONS),
    verifications: () => verifications,
    async verify(hash, password) {
      verifications += 1;
      try {
        return await argon2.verify(hash, password);
      } catch {
        // A corrupt stored hash must read as "wrong password", never as a 500 that reveals the account.
        return false;
      }
    },
    async verifyAgainstDummy(password) {
      verifications += 1;
      try {
        await argon2.verify(await dummyHash(), password);
      } catch {
        // The outcome is irrelevant; only the time spent matters.
      }
      return false;
    },
    needsRehash: (hash) => argon2.needsRehash(hash, ARGON2_OPTIONS),
  };
}
