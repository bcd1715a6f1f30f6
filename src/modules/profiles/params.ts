import { LIST, VARCHAR, listValue, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';

/** Up to this many values, `in` lists are bound one parameter per value (see `Params.inList`). */
export const IN_LIST_MAX = 512;

const TEXT_LIST = LIST(VARCHAR);

/** Positional parameters for one DuckDB statement: `add` returns the placeholder of a value. */
export class Params {
  readonly values: DuckDBValue[] = [];
  private readonly bound: Array<DuckDBType | undefined> = [];
  /**
   * The types of the values, for `run(sql, values, types)`: lists of texts are typed (inference
   * cannot type one that is empty or all null); an undefined entry is inferred from its value.
   */
  get types(): DuckDBType[] {
    return this.bound as DuckDBType[];
  }
  add(v: string | number | boolean | null): string {
    this.values.push(v);
    this.bound.push(undefined);
    return `$${this.values.length}`;
  }
  list(v: Array<string | null>): string {
    this.values.push(listValue(v));
    this.bound.push(TEXT_LIST);
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
