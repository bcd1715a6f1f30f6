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
  /** A list of numbers (cast it in the SQL). */
  ints(v: number[]): string {
    this.values.push(listValue(v));
    return `$${this.values.length}`;
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

/**
 * `profile_id in (…)` for the rows of some profiles in the profile-keyed tables (computed_traits,
 * lifecycle_history), without a workspace filter: a profile id is unique across workspaces (the
 * operational store's `profiles.id` primary key), so the workspace filter adds nothing, and without
 * it the IN is the scan's only filter, which DuckDB answers from the ART index on `profile_id`
 * (event-store migration 8) instead of scanning the table.
 */
export function profileIn(p: Params, profiles: string[], alias?: string): string {
  return `${alias ? alias + '.' : ''}profile_id in ${p.inList(profiles)}`;
}
