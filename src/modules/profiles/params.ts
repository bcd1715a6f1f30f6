import { listValue, type DuckDBValue } from '@duckdb/node-api';

/** Up to this many values, `in` lists are bound one parameter per value (see `Params.inList`). */
export const IN_LIST_MAX = 512;

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
  /**
   * `(…)` for `col in (…)`: one parameter per value up to IN_LIST_MAX values, so DuckDB sees a
   * constant IN filter and answers it from an ART index on the column (event-store migration 6);
   * above that (or empty), a subquery over a bound list (a hash semi-join over a scan).
   */
  inList(v: string[]): string {
    if (!v.length || v.length > IN_LIST_MAX) return `(select unnest(${this.list(v)}))`;
    return `(${v.map((x) => this.add(x)).join(', ')})`;
  }
}
