/** The operational store: PostgreSQL SQL, embedded (PGlite) or server (pg). One dialect for both. */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface SqlRunner {
  /**
   * A Buffer parameter is text in UTF-8 (sent as is to PostgreSQL, decoded for PGlite). `prepare`
   * names a server-side prepared statement for SQL run very often (PostgreSQL plans it once per
   * connection; a name must always go with the same SQL).
   */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], opts?: { prepare?: string }): Promise<QueryResult<T>>;
  /**
   * The rows of a select (no parameters) as CSV in PostgreSQL's COPY format (no header, `"` quotes
   * and escapes, NULL an unquoted empty field, `""` an empty text) and their number, where the store
   * exports in bulk (PGlite: COPY TO '/dev/blob'); absent elsewhere, and callers read with `query`.
   */
  copyCsv?(select: string): Promise<{ csv: Uint8Array; rows: number }>;
}

export interface OpStore extends SqlRunner {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  tx<T>(fn: (q: SqlRunner) => Promise<T>): Promise<T>;
  /** Runs multi-statement SQL (migrations) with no parameters. */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}
