// Shared by the events test files: a database with the event tables plus an `effects` table the
// handlers write to, committed outbox rows, and the effects the handlers left.
import type { EventEnvelope } from '@shop/contracts';
import { createTestEnvironment, type TestEnvironment } from '@shop/testing';
import pg from 'pg';
import { type EventsLogger, eventTablesSql, Outbox } from '../src/index.js';

/** A test environment whose database has `<schema>.outbox`, `processed_events` and `effects`. */
export function createEventsTestEnvironment(label: string, schema: string): Promise<TestEnvironment> {
  return createTestEnvironment(label, {
    migrate: async (url) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(eventTablesSql(schema));
        await client.query(`CREATE TABLE ${schema}.effects (event_id uuid, note text)`);
      } finally {
        await client.end();
      }
    },
  });
}

/** Test data of one schema: committed events in, recorded effects out. */
export function eventsFixture(pool: pg.Pool, schema: string) {
  const outbox = new Outbox(schema);
  return {
    /** An event on stream `orders`, committed in its own transaction as a producer would. */
    async enqueueCommitted(type: string, data: Record<string, unknown> = {}, aggregateId = 'agg-1') {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const envelope = await outbox.enqueue(client, { stream: 'orders', type, aggregateId, data });
        await client.query('COMMIT');
        return envelope;
      } finally {
        client.release();
      }
    },
    /** A handler that records the event in the consumer's transaction. */
    recordEffect: async (e: EventEnvelope, tx: pg.PoolClient) => {
      await tx.query(`INSERT INTO ${schema}.effects (event_id, note) VALUES ($1, $2)`, [e.id, e.type]);
    },
    /** The recorded events' types, sorted. */
    async effects(): Promise<string[]> {
      const { rows } = await pool.query<{ note: string }>(`SELECT note FROM ${schema}.effects ORDER BY note`);
      return rows.map((r) => r.note);
    },
    /** Empties the outbox, the dedup table and the effects. */
    async reset() {
      await pool.query(`TRUNCATE ${schema}.outbox, ${schema}.processed_events, ${schema}.effects`);
    },
  };
}

/** A logger that keeps its lines, so a test can check what an outage logged (and how often). */
export function recordingLogger(): EventsLogger & { messages(level?: string): string[] } {
  const lines: { level: string; msg: string }[] = [];
  const at =
    (level: string) =>
    (_obj: object, msg = '') =>
      lines.push({ level, msg });
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    messages: (level) => lines.filter((l) => !level || l.level === level).map((l) => l.msg),
  };
}
