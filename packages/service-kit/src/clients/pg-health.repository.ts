import type pg from 'pg';

/** The cheapest round trip that proves a pooled connection works. */
export async function pingDatabase(pool: pg.Pool): Promise<void> {
  await pool.query('SELECT 1');
}
