import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface StoredResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

type Record_ = { state: 'processing'; fp: string } | { state: 'done'; fp: string; response: StoredResponse };

export type IdempotencyBegin =
  | { kind: 'started' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'in_progress' }
  | { kind: 'mismatch' };

/**
 * Idempotency-Key records in Redis (IETF httpapi-idempotency-key-header semantics), scoped to the
 * user: the first request takes the key with SET NX; while it runs, the same key answers 409;
 * afterwards the stored response is replayed for the same body and 422 is answered for another.
 * 5xx outcomes are not stored (`abandon`), so a client can retry them with the same key.
 */
export class IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
    /** How long an in-flight record blocks the key if its process dies before finishing. */
    private readonly lockSeconds = 60,
  ) {}

  static fingerprint(value: unknown): string {
    return createHash('sha256').update(JSON.stringify(value)).digest('hex');
  }

  private key(scope: string, key: string): string {
    // Hashing keeps arbitrary client keys out of the Redis key space.
    return `idem:orders:${scope}:${createHash('sha256').update(key).digest('hex')}`;
  }

  async begin(scope: string, key: string, fingerprint: string): Promise<IdempotencyBegin> {
    const k = this.key(scope, key);
    const record: Record_ = { state: 'processing', fp: fingerprint };
    const ok = await this.redis.set(k, JSON.stringify(record), 'EX', this.lockSeconds, 'NX');
    if (ok === 'OK') return { kind: 'started' };
    const raw = await this.redis.get(k);
    if (!raw) return this.begin(scope, key, fingerprint);
    const existing = JSON.parse(raw) as Record_;
    if (existing.fp !== fingerprint) return { kind: 'mismatch' };
    if (existing.state === 'processing') return { kind: 'in_progress' };
    return { kind: 'replay', response: existing.response };
  }

  async complete(scope: string, key: string, fingerprint: string, response: StoredResponse): Promise<void> {
    const record: Record_ = { state: 'done', fp: fingerprint, response };
    await this.redis.set(this.key(scope, key), JSON.stringify(record), 'EX', this.ttlSeconds);
  }

  async abandon(scope: string, key: string): Promise<void> {
    await this.redis.del(this.key(scope, key));
  }
}
