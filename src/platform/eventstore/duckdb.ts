import fs from 'node:fs';
import path from 'node:path';
import { DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';

/**
 * The embedded event store (DuckDB, one file under the data dir). Writes go through one connection
 * serialised by a queue; reads use their own connection (DuckDB's MVCC keeps them consistent).
 */
export interface EventStoreDb {
  /** Runs `fn` inside one DuckDB transaction on the writer connection, one at a time. */
  write<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T>;
  /** Runs a read query; rows come back as JSON-safe objects (bigints as numbers). */
  read<T = Record<string, unknown>>(sql: string, params?: DuckDBValue[]): Promise<T[]>;
  close(): Promise<void>;
}

function jsonSafe(row: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(row)) {
    const v = row[k];
    if (typeof v === 'bigint') row[k] = Number(v);
  }
  return row;
}

/** Rows as objects (BIGINT as number), as `EventStoreDb.read` gives them, on any connection (e.g. inside a write transaction). */
export async function readRows<T>(c: DuckDBConnection, sql: string, params: DuckDBValue[] = []): Promise<T[]> {
  const r = await c.runAndReadAll(sql, params);
  return r.getRowObjectsJS().map((row) => jsonSafe(row as Record<string, unknown>)) as T[];
}

export async function openEventStoreDb(dataDir: string | undefined): Promise<EventStoreDb> {
  let file = ':memory:';
  if (dataDir) {
    fs.mkdirSync(dataDir, { recursive: true });
    file = path.join(dataDir, 'events.duckdb');
  }
  const instance = await DuckDBInstance.create(file, { threads: '2' });
  const writer = await instance.connect();
  const reader = await instance.connect();
  let chain: Promise<unknown> = Promise.resolve();
  return {
    write<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
      const run = async () => {
        await writer.run('begin transaction');
        try {
          const out = await fn(writer);
          await writer.run('commit');
          return out;
        } catch (e) {
          await writer.run('rollback').catch(() => undefined);
          throw e;
        }
      };
      const p = chain.then(run, run);
      chain = p.catch(() => undefined);
      return p;
    },
    read: <T>(sql: string, params: DuckDBValue[] = []) => readRows<T>(reader, sql, params),
    async close() {
      await chain.catch(() => undefined);
      writer.closeSync();
      reader.closeSync();
      instance.closeSync();
    },
  };
}
