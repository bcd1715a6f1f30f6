import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * The ART indexes the incremental pass reads through (event-store migrations 7–9 and 14: the same
 * statements). A full recompute rewrites these tables: it drops their indexes in a transaction of
 * its own before (`dropAllTraitsIndexes`: maintaining them row by row over a million rows costs
 * several times a build, and an index present when the rewrite's transaction starts makes its
 * commit remove every deleted row from it one by one: minutes for the bench world's second
 * recompute), and builds them again in a transaction of their own after its commit
 * (`createTraitsIndexes`). Meanwhile the tables are complete and correct, only without the
 * indexes; the traits lock keeps incremental passes out.
 */
const INDEXES: ReadonlyArray<readonly [name: string, table: string, column: string]> = [
  ['social_actions_user', 'social_actions', 'user_id'],
  ['social_actions_anonymous', 'social_actions', 'anonymous_id'],
  ['social_actions_share', 'social_actions', 'share_id'],
  ['social_actions_parent', 'social_actions', 'parent_share_id'],
  ['social_actions_share_def', 'social_actions', 'share_def'],
  ['influence_edges_src', 'influence_edges', 'src'],
  ['influence_edges_dst', 'influence_edges', 'dst'],
  ['computed_traits_profile', 'computed_traits', 'profile_id'],
  ['lifecycle_history_profile', 'lifecycle_history', 'profile_id'],
];

/**
 * Drops all of them, in a transaction of its own before the full recompute's: an index that
 * exists when a transaction starts makes its commit remove each deleted row from it, even when the
 * transaction dropped it (measured: 11 s per million deleted rows, 0.2 s without).
 */
export async function dropAllTraitsIndexes(c: DuckDBConnection): Promise<void> {
  for (const [name] of INDEXES) await c.run(`drop index if exists ${name}`);
}

/** Drops the indexes of a table before a full rewrite of it (no-ops after dropAllTraitsIndexes). */
export async function dropTraitsIndexes(c: DuckDBConnection, table: string): Promise<void> {
  for (const [name, t] of INDEXES) if (t === table) await c.run(`drop index if exists ${name}`);
}

/** Builds the missing indexes (after a full recompute's commit). */
export async function createTraitsIndexes(c: DuckDBConnection): Promise<void> {
  for (const [name, table, column] of INDEXES) await c.run(`create index if not exists ${name} on ${table} (${column})`);
}
