import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@shop/contracts';
import { OutboxRepository, type Queryable } from './events.repository.js';
import { captureTraceContext } from './trace-context.js';

export interface NewEvent<T extends Record<string, unknown>> {
  stream: string;
  type: string;
  aggregateId: string;
  data: T;
  /** Injectable for tests; defaults to now. */
  occurredAt?: Date;
}

/**
 * Writes events into the service's outbox table. Call `enqueue` with the client of the
 * transaction that changes the state, so the event exists if and only if the change committed.
 * The same statement issues `pg_notify('<schema>_outbox', '')`, which PostgreSQL delivers at
 * COMMIT (never for a rolled-back transaction): a listening `OutboxRelay` publishes at once
 * instead of at its next poll.
 */
export class Outbox {
  private readonly repo: OutboxRepository;

  constructor(readonly schema: string) {
    this.repo = new OutboxRepository(schema);
  }

  async enqueue<T extends Record<string, unknown>>(
    tx: Queryable,
    event: NewEvent<T>,
  ): Promise<EventEnvelope<T>> {
    const trace = captureTraceContext();
    const envelope: EventEnvelope<T> = {
      id: randomUUID(),
      type: event.type,
      occurred_at: (event.occurredAt ?? new Date()).toISOString(),
      aggregate_id: event.aggregateId,
      data: event.data,
      traceparent: trace.traceparent,
      tracestate: trace.tracestate,
    };
    await this.repo.insert(tx, {
      id: envelope.id,
      stream: event.stream,
      type: event.type,
      aggregateId: event.aggregateId,
      envelope: envelope as unknown as Record<string, unknown>,
    });
    return envelope;
  }
}
