import { createHash } from 'node:crypto';
import { DomainError, type DomainErrorOptions } from '@shop/service-kit';
import type { Redis } from 'ioredis';
import { idempotencyKeyReused, idempotentRequestInProgress } from './orders.errors.js';

/** A final answer kept for replays: a success, or the domain error (rendered by the kit each time). */
export type StoredResponse =
  | { status: number; body: unknown; headers?: Record<string, string> }
  | { status: number; error: StoredError };

type StoredError = Omit<DomainErrorOptions, 'cause'>;

type Record_ = { state: 'processing'; fp: string } | { state: 'done'; fp: string; response: StoredResponse };

export type IdempotencyBegin =
  | { kind: 'started' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'in_progress' }
  | { kind: 'mismatch' };

export interface SuccessResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface IdempotencyStore {
  begin(scope: string, key: string, fingerprint: string): Promise<IdempotencyBegin>;
  complete(scope: string, key: string, fingerprint: string, response: StoredResponse): Promise<void>;
  abandon(scope: string, key: string): Promise<void>;
  /**
   * Runs `work` once per (scope, key): a repeat with the same fingerprint replays the stored
   * answer (`replayed`; a stored 4xx is thrown again as its domain error, with `Idempotent-Replayed`),
   * another fingerprint is 422, a repeat while `work` runs is 409. 5xx outcomes are not stored.
   */
  run(
    scope: string,
    key: string,
    fingerprint: string,
    work: () => Promise<SuccessResponse>,
  ): Promise<{ response: SuccessResponse; replayed: boolean }>;
}

const REPLAYED = { 'Idempotent-Replayed': 'true' };

function storedError(err: DomainError): StoredError {
  const { status, code, title, detail, type, errors, headers } = err;
  return JSON.parse(JSON.stringify({ status, code, title, detail, type, errors, headers })) as StoredError;
}

/**
 * Idempotency-Key records in Redis (IETF httpapi-idempotency-key-header semantics), scoped to the
 * user: the first request takes the key with SET NX; while it runs, the same key answers 409;
 * afterwards the stored answer is replayed for the same body and 422 is answered for another.
 * 5xx outcomes are not stored (`abandon`), so a client can retry them with the same key.
 * `lockSeconds`: how long an in-flight record blocks the key if its process dies before finishing.
 */
export function createIdempotencyStore(redis: Redis, ttlSeconds: number, lockSeconds = 60): IdempotencyStore {
  // Hashing keeps arbitrary client keys out of the Redis key space.
  const keyOf = (scope: string, key: string) =>
    `idem:orders:${scope}:${createHash('sha256').update(key).digest('hex')}`;

  const store: IdempotencyStore = {
    async begin(scope, key, fingerprint) {
      const k = keyOf(scope, key);
      const record: Record_ = { state: 'processing', fp: fingerprint };
      const ok = await redis.set(k, JSON.stringify(record), 'EX', lockSeconds, 'NX');
      if (ok === 'OK') return { kind: 'started' };
      const raw = await redis.get(k);
      if (!raw) return store.begin(scope, key, fingerprint);
      const existing = JSON.parse(raw) as Record_;
      if (existing.fp !== fingerprint) return { kind: 'mismatch' };
      if (existing.state === 'processing') return { kind: 'in_progress' };
      return { kind: 'replay', response: existing.response };
    },

    async complete(scope, key, fingerprint, response) {
      const record: Record_ = { state: 'done', fp: fingerprint, response };
      await redis.set(keyOf(scope, key), JSON.stringify(record), 'EX', ttlSeconds);
    },

    async abandon(scope, key) {
      await redis.del(keyOf(scope, key));
    },

    async run(scope, key, fingerprint, work) {
      const begun = await store.begin(scope, key, fingerprint);
      if (begun.kind === 'mismatch') throw idempotencyKeyReused();
      if (begun.kind === 'in_progress') throw idempotentRequestInProgress();
      if (begun.kind === 'replay') {
        const stored = begun.response;
        if ('error' in stored) {
          throw new DomainError({ ...stored.error, headers: { ...stored.error.headers, ...REPLAYED } });
        }
        return { response: stored, replayed: true };
      }
      try {
        const response = await work();
        await store.complete(scope, key, fingerprint, response);
        return { response, replayed: false };
      } catch (err) {
        // Client errors are final answers and replayed; 5xx leave the key free for a retry.
        if (err instanceof DomainError && err.status < 500) {
          await store.complete(scope, key, fingerprint, { status: err.status, error: storedError(err) });
        } else {
          await store.abandon(scope, key);
        }
        throw err;
      }
    },
  };
  return store;
}
