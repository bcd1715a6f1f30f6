import fs from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import type { OpStore, QueryResult, SqlRunner } from './types.ts';

const parsers = {
  [types.INT8]: (v: string) => Number(v),
  [types.NUMERIC]: (v: string) => Number(v),
};

type PgliteLike = { query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number; blob?: Blob }> };

function runner(db: PgliteLike): SqlRunner {
  return {
    async query<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
      // SqlRunner's contract: a Buffer parameter is UTF-8 text (PostgreSQL gets it as binary text).
      const r = await db.query<T>(sql, params?.some((p) => Buffer.isBuffer(p)) ? params.map((p) => (Buffer.isBuffer(p) ? p.toString('utf8') : p)) : params);
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
    async copyCsv(select: string): Promise<{ csv: Uint8Array; rows: number }> {
      // Many times faster than reading the rows as results (no row messages, no JS objects).
      const r = await db.query(`copy (${select}) to '/dev/blob' with (format csv)`);
      return { csv: r.blob ? new Uint8Array(await r.blob.arrayBuffer()) : new Uint8Array(0), rows: r.affectedRows ?? 0 };
    },
  };
}

/** Embedded PostgreSQL (PGlite, WASM, in-process) with its files under `dir`. */
export async function openPglite(dir: string | undefined): Promise<OpStore> {
  if (dir) fs.mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir ?? 'memory://', { parsers });
  const base = runner(db);
  return {
    kind: 'pglite',
    query: base.query,
    copyCsv: base.copyCsv,
    async tx(fn) {
      return db.transaction(async (t) => fn(runner(t)));
    },
    async exec(sql) {
      await db.exec(sql);
    },
    async close() {
      await db.close();
    },
  };
}
