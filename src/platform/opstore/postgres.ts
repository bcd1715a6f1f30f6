import pg from 'pg';
import type { OpStore, QueryResult, SqlRunner } from './types.ts';

pg.types.setTypeParser(20, (v: string) => Number(v));
pg.types.setTypeParser(1700, (v: string) => Number(v));

function runner(c: pg.Pool | pg.PoolClient): SqlRunner {
  return {
    async query<T>(sql: string, params?: unknown[], opts?: { prepare?: string }): Promise<QueryResult<T>> {
      const r = opts?.prepare ? await c.query({ name: opts.prepare, text: sql, values: params as unknown[] }) : await c.query(sql, params as unknown[]);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
    },
  };
}

/** A real PostgreSQL server (DATABASE_URL). */
export async function openPostgres(url: string, max = 10): Promise<OpStore> {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5000 });
  pool.on('error', () => {
    /* idle client errors surface on the next query */
  });
  await pool.query('select 1');
  const base = runner(pool);
  return {
    kind: 'postgres',
    query: base.query,
    async tx(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const out = await fn(runner(client));
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    async exec(sql) {
      await pool.query(sql);
    },
    async close() {
      await pool.end();
    },
  };
}
