import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * The ART indexes the incremental pass reads through (event-store migrations 7–9: the same
 * statements). A full recompute rewrites these tables: it drops their indexes before (maintaining
 * them row by row over a million rows costs several times a build), and builds them again in a
 * transaction of their own after its commit (`createTraitsIndexes`): with an index on a table at
 * commit, DuckDB's commit removes every deleted row from it one by one (measured: minutes for the
 * bench world's second recompute). Until then the tables are complete and correct, only without
 * the indexes; the traits lock keeps incremental passes out meanwhile.
 */
const INDEXES: ReadonlyArray<readonly [name: string, table: string, column: string]> = [
  ['social_actions_user', 'social_actions', 'user_id'],
  ['social_actions_anonymous', 'social_actions', 'anonymous_id'],
  ['social_actions_share', 'social_actions', 'share_id'],
  ['social_actions_parent', 'social_actions', 'parent_share_id'],
  ['influence_edges_src', 'influence_edges', 'src'],
  ['influence_edges_dst', 'influence_edges', 'dst'],
  ['computed_traits_profile', 'computed_traits', 'profile_id'],
  ['lifecycle_history_profile', 'lifecycle_history', 'profile_id'],
];

/** Drops the indexes of a table before a full rewrite of it. */
export async function dropTraitsIndexes(c: DuckDBConnection, table: string): Promise<void> {
  for (const [name, t] of INDEXES) if (t === table) await c.run(`drop index if exists ${name}`);
}

/** Builds the missing indexes (after a full recompute's commit). */
export async function createTraitsIndexes(c: DuckDBConnection): Promise<void> {
  for (const [name, table, column] of INDEXES) await c.run(`create index if not exists ${name} on ${table} (${column})`);
}
