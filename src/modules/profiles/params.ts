import { listValue, type DuckDBValue } from '@duckdb/node-api';

/** Positional parameters for one DuckDB statement: `add` returns the placeholder of a value. */
export class Params {
  readonly values: DuckDBValue[] = [];
  add(v: string | number | boolean | null): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
  list(v: string[]): string {
    this.values.push(listValue(v));
    return `$${this.values.length}::varchar[]`;
  }
}
