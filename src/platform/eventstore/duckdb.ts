import fs from 'node:fs';
import path from 'node:path';
import { DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';

/**
 * The embedded event store (DuckDB, one file under the data dir). Writes go through one connection
 * serialised by a queue; reads use a small pool of their own connections (DuckDB's MVCC keeps
 * them consistent; each read statement is its own transaction).
 */
export interface EventStoreDb {
  /** Runs `fn` inside one DuckDB transaction on the writer connection, one at a time. */
  write<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T>;
  /** Runs a read query; rows come back as JSON-safe objects (bigints as numbers). */
  read<T = Record<string, unknown>>(sql: string, params?: DuckDBValue[]): Promise<T[]>;
  /** Runs `fn` on a reader connection (reads and computations only: it sees committed data). */
  withReader<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T>;
  /**
   * Loads a table's columns (all but `skip`) into DuckDB's buffer pool: one scan on a connection of
   * its own, one warm at a time. A lookup by index that finds its blocks there costs a third of one
   * that loads them from the file (a 256 KB block read and checksummed per column touched), which
   * is most of an incremental pass on a large store. The pool stays bounded by DuckDB's memory
   * limit (warm blocks are evictable). Resolves true when the scan ran to its end, false when it
   * failed or the store closed (warming is advice, never an error); close() interrupts it.
   */
  warm(table: string, skip?: string[]): Promise<boolean>;
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

/**
 * Reader connections per store (DuckDB runs each statement on up to `threads`): an incremental
 * pass reads three things at once before its transaction (the mirror by id and by profile, the
 * touch lookup of an order: docs/benchmarks.md).
 */
const READERS = 3;

/**
 * `threads`: DuckDB's scheduler threads (default 2, the machine's cores). One thread makes an
 * incremental pass's point statements ~25 % faster (no second thread to wake per statement) but
 * runs every large statement on one core (docs/benchmarks.md, bench:segments --duckdb-threads).
 */
export async function openEventStoreDb(dataDir: string | undefined, o: { threads?: number } = {}): Promise<EventStoreDb> {
  let file = ':memory:';
  if (dataDir) {
    fs.mkdirSync(dataDir, { recursive: true });
    file = path.join(dataDir, 'events.duckdb');
  }
  const instance = await DuckDBInstance.create(file, { threads: String(o.threads ?? 2) });
  const writer = await instance.connect();
  let closed = false;
  /** Set once the writer's queue has settled in close(): reads until then still run (a closing write may read). */
  let readsClosed = false;
  // Reads on a pool of READERS connections: a statement takes a free one, else waits its turn, so
  // independent reads (an incremental pass's lookups) run side by side instead of one after another.
  const readers = await Promise.all(Array.from({ length: READERS }, () => instance.connect()));
  const free = [...readers];
  const waiting: Array<{ resolve: (c: DuckDBConnection) => void; reject: (e: Error) => void }> = [];
  let reading = 0;
  let idle: (() => void) | null = null;
  const withReader = async <T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> => {
    if (readsClosed) throw new Error('event store closed');
    reading++;
    try {
      const c = free.pop() ?? await new Promise<DuckDBConnection>((resolve, reject) => waiting.push({ resolve, reject }));
      try {
        return await fn(c);
      } finally {
        const next = waiting.shift();
        if (next) next.resolve(c); else free.push(c);
      }
    } finally {
      if (--reading === 0) idle?.();
    }
  };
  let chain: Promise<unknown> = Promise.resolve();
  let warmer: DuckDBConnection | null = null;
  let warming: Promise<boolean> = Promise.resolve(true);
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
    read: <T>(sql: string, params: DuckDBValue[] = []) => withReader((c) => readRows<T>(c, sql, params)),
    withReader,
    warm(table: string, skip: string[] = []): Promise<boolean> {
      const run = async () => {
        if (closed) return false;
        warmer ??= await instance.connect();
        const cols = (await readRows<{ c: string }>(warmer,
          `select column_name as c from duckdb_columns() where table_name = $1 and schema_name = 'main' and database_name = current_database() order by column_index`, [table]))
          .map((x) => x.c).filter((c) => !skip.includes(c));
        if (!cols.length || closed) return false;
        const q = (id: string) => `"${id.replace(/"/g, '""')}"`;
        // hash(): every value read (DuckDB answers a min() of a number column from its statistics, loading nothing).
        await warmer.run(`select ${cols.map((c) => `bit_xor(hash(${q(c)}))`).join(', ')} from ${q(table)}`);
        return !closed;
      };
      warming = warming.then(run, run).catch(() => false);
      return warming;
    },
    async close() {
      closed = true;
      // Interrupted until it settles: an interrupt that lands before the scan has started is cleared by its start.
      warmer?.interrupt();
      const again = setInterval(() => warmer?.interrupt(), 20);
      await warming;
      clearInterval(again);
      warmer?.closeSync();
      await chain.catch(() => undefined);
      // Reads still queued fail (the store is closing); those running finish before their connections close.
      readsClosed = true;
      for (const w of waiting.splice(0)) w.reject(new Error('event store closed'));
      if (reading > 0) await new Promise<void>((resolve) => { idle = resolve; });
      writer.closeSync();
      for (const r of readers) r.closeSync();
      instance.closeSync();
    },
  };
}
