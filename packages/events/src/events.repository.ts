// All SQL of the events package: the outbox and the processed-events (dedup) table live in the
// producing/consuming service's own schema, so no query ever crosses schemas.
import { deferUntilCommit } from '@shop/service-kit';
import pg from 'pg';

/** Anything that can run a query: a pool or a client inside a transaction. */
export type Queryable = Pick<pg.PoolClient, 'query'>;

const IDENT = /^[a-z_][a-z0-9_]*$/;

/** Schema names are interpolated into SQL (identifiers cannot be parameters), so they are whitelisted. */
export function assertSchemaName(schema: string): string {
  if (!IDENT.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  return schema;
}

/**
 * DDL a service copies into one of its migrations (shown in the README); tests use it directly.
 * `outbox` rows are the envelopes waiting for the relay; `processed_events` makes consumers idempotent.
 */
export function eventTablesSql(schema: string): string {
  const s = assertSchemaName(schema);
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.outbox (
  id            uuid PRIMARY KEY,
  stream        text        NOT NULL,
  type          text        NOT NULL,
  aggregate_id  text        NOT NULL,
  envelope      jsonb       NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  published_at  timestamptz,
  attempts      integer     NOT NULL DEFAULT 0,
  last_error    text
);
CREATE INDEX IF NOT EXISTS outbox_unpublished_idx ON ${s}.outbox (created_at) WHERE published_at IS NULL;
CREATE TABLE IF NOT EXISTS ${s}.processed_events (
  consumer      text        NOT NULL,
  event_id      uuid        NOT NULL,
  event_type    text        NOT NULL,
  processed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
`;
}

export interface OutboxRow {
  id: string;
  stream: string;
  type: string;
  envelope: Record<string, unknown>;
}

/**
 * The LISTEN/NOTIFY channel on which a commit that wrote outbox rows of `schema` wakes the relay:
 * `<schema>_outbox` (cut to PostgreSQL's 63-byte identifier limit).
 */
export function outboxChannel(schema: string): string {
  return `${assertSchemaName(schema)}_outbox`.slice(0, 63);
}

export class OutboxRepository {
  private readonly table: string;
  readonly channel: string;

  constructor(schema: string) {
    this.table = `${assertSchemaName(schema)}.outbox`;
    this.channel = outboxChannel(schema);
  }

  /**
   * Inserts the row and, in the same statement, queues a notification on the outbox channel.
   * PostgreSQL delivers it at COMMIT and drops it on ROLLBACK, and folds repeated notifications of
   * one transaction into one, so a listening relay wakes exactly when there is something committed
   * to publish. Inside a transaction of the kit's helpers the statement travels with the COMMIT
   * (`deferUntilCommit`: no extra round trip); anywhere else it runs now. The values are written in as
   * escaped literals (`pg.escapeLiteral`), the one form both ways can send.
   */
  async insert(db: Queryable, row: OutboxRow & { aggregateId: string }): Promise<void> {
    const literal = pg.escapeLiteral;
    const sql = `WITH inserted AS (
         INSERT INTO ${this.table} (id, stream, type, aggregate_id, envelope)
         VALUES (${literal(row.id)}, ${literal(row.stream)}, ${literal(row.type)}, ${literal(row.aggregateId)},
                 ${literal(JSON.stringify(row.envelope))}::jsonb)
         RETURNING 1
       )
       SELECT pg_notify(${literal(this.channel)}, '') FROM inserted`;
    if (!deferUntilCommit(db, sql)) await db.query(sql);
  }

  /**
   * Opens a transaction and, in the same round trip, claims a batch of unpublished rows: marks them
   * published and returns them oldest first. SKIP LOCKED lets several relay replicas share the work.
   * The caller publishes them and then COMMITs, or ROLLs BACK (the rows are unpublished again) when
   * publishing fails. One round trip where BEGIN, SELECT … FOR UPDATE and UPDATE took three: a simple-
   * protocol query may hold several statements, and this one has no parameters (`limit` is an integer
   * written into the text; the table name was checked by the constructor).
   */
  async beginClaimBatch(db: Queryable, limit: number): Promise<OutboxRow[]> {
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new RangeError(`batch limit must be a positive integer: ${limit}`);
    const results = (await db.query(
      `BEGIN;
       WITH claimed AS (
         UPDATE ${this.table} SET published_at = now(), attempts = attempts + 1
          WHERE id IN (
            SELECT id FROM ${this.table}
             WHERE published_at IS NULL
             ORDER BY created_at, id
             LIMIT ${limit}
               FOR UPDATE SKIP LOCKED)
          RETURNING id, stream, type, envelope, created_at
       )
       SELECT id, stream, type, envelope FROM claimed ORDER BY created_at, id`,
    )) as unknown as pg.QueryResult<OutboxRow>[];
    return results[1]?.rows ?? [];
  }

  async recordFailure(db: Queryable, ids: string[], error: string): Promise<void> {
    if (ids.length === 0) return;
    await db.query(
      `UPDATE ${this.table} SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::uuid[])`,
      [ids, error.slice(0, 500)],
    );
  }

  async countUnpublished(db: Queryable): Promise<number> {
    const { rows } = await db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${this.table} WHERE published_at IS NULL`,
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Published rows are only kept for a while, for debugging; the stream is the record. */
  async deletePublishedBefore(db: Queryable, before: Date): Promise<number> {
    const res = await db.query(
      `DELETE FROM ${this.table} WHERE published_at IS NOT NULL AND published_at < $1`,
      [before],
    );
    return res.rowCount ?? 0;
  }
}

export class ProcessedEventsRepository {
  private readonly table: string;

  constructor(schema: string) {
    this.table = `${assertSchemaName(schema)}.processed_events`;
  }

  /**
   * Opens a transaction and, in the same round trip, claims the event for this consumer: true when it
   * had not seen the event yet (the row is now held by that transaction), false for a duplicate. The
   * caller COMMITs or ROLLs BACK. The values are written into the text as escaped literals
   * (`pg.escapeLiteral`): a simple-protocol query may hold several statements but takes no parameters.
   */
  async beginAndMarkProcessed(
    db: Queryable,
    consumer: string,
    eventId: string,
    eventType: string,
  ): Promise<boolean> {
    const results = (await db.query(
      `BEGIN;
       INSERT INTO ${this.table} (consumer, event_id, event_type)
       VALUES (${pg.escapeLiteral(consumer)}, ${pg.escapeLiteral(eventId)}, ${pg.escapeLiteral(eventType)})
       ON CONFLICT (consumer, event_id) DO NOTHING`,
    )) as unknown as pg.QueryResult[];
    return results[1]?.rowCount === 1;
  }

  async isProcessed(db: Queryable, consumer: string, eventId: string): Promise<boolean> {
    const { rows } = await db.query(`SELECT 1 FROM ${this.table} WHERE consumer = $1 AND event_id = $2`, [
      consumer,
      eventId,
    ]);
    return rows.length > 0;
  }
}
