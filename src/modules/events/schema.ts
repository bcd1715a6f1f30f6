import type { EventStoreDb } from '../../platform/eventstore/duckdb.ts';
import { EVENT_FIELDS_DDL, eventFieldsSelectSql } from './fields.ts';

/** Event-store migrations, versioned like the operational store's; the version lives in es_meta. */
const MIGRATIONS: Array<{ version: number; sql: string[] }> = [
  {
    version: 1,
    sql: [
      `create table if not exists events (
        workspace_id varchar not null, seq bigint not null, message_id varchar not null,
        type varchar not null, event varchar, user_id varchar, anonymous_id varchar,
        ts timestamptz not null, received_at timestamptz not null, body json not null)`,
      `create table if not exists order_lines (
        workspace_id varchar not null, seq bigint not null, order_id varchar not null,
        user_id varchar, anonymous_id varchar, ts timestamptz not null, line integer not null,
        product_id varchar, name varchar, category varchar, brand varchar,
        price double, quantity integer, share_id varchar)`,
    ],
  },
  {
    // Computed profiles (src/modules/profiles, docs/profiles.md): the identity mirror, the wide
    // traits table, lifecycle stage changes, churn models, and the recompute state.
    version: 2,
    sql: [
      `create table if not exists profile_identities (
        workspace_id varchar not null, kind varchar not null, value varchar not null, profile_id varchar not null)`,
      `create table if not exists computed_traits (
        workspace_id varchar not null, profile_id varchar not null, as_of date not null,
        user_id varchar, anonymous_id varchar,
        first_seen_at timestamptz, last_seen_at timestamptz,
        events_total bigint, events_30d bigint, events_prev_30d bigint, social_90d bigint,
        orders integer, gmv decimal(18,2), net_revenue decimal(18,2), aov decimal(18,2),
        first_order_at timestamptz, last_order_at timestamptz, days_since_last_order integer, purchase_days integer,
        refunded_orders integer, refunded_amount decimal(18,2), refund_rate double,
        coupon_orders integer, coupon_share double,
        repeat_frequency integer, repeat_recency_weeks double, repeat_t_weeks double,
        median_gap_days double, next_purchase_from date, next_purchase_to date,
        top_categories json, top_brands json,
        typical_price double, price_p25 double, price_p75 double, price_band varchar,
        rfm_recency_days integer, rfm_frequency integer, rfm_monetary decimal(18,2),
        r_score tinyint, f_score tinyint, m_score tinyint, rfm_cell varchar, rfm_segment varchar,
        lifecycle_stage varchar, lifecycle_since date,
        churn_probability double)`,
      `create table if not exists lifecycle_history (
        workspace_id varchar not null, profile_id varchar not null, day date not null, stage varchar not null, prev_stage varchar)`,
      `create table if not exists churn_models (
        workspace_id varchar not null, as_of date not null, trained_at timestamptz not null, model json not null)`,
      `create table if not exists traits_runs (
        workspace_id varchar not null, as_of date not null, live boolean not null, settings json not null,
        computed_at timestamptz not null, profiles bigint not null, ms bigint not null, merges_checked_at timestamptz,
        seq bigint not null)`,
      `create table if not exists traits_cursor (seq bigint not null)`,
    ],
  },
  {
    // Daily-active-users rollup (src/modules/events/queries.ts, dailyActiveUsers): the distinct
    // (UTC day, actor) pairs of each appended batch; duplicates across batches are harmless. The
    // actor is the userId, else 'anon:' + anonymousId, as in the per-event count it replaces.
    version: 3,
    sql: [
      `create table if not exists daily_actors (workspace_id varchar not null, day integer not null, actor varchar not null)`,
      `insert into daily_actors
         select distinct workspace_id, cast(floor(epoch_ms(ts) / 86400000) as integer) as day, coalesce(user_id, 'anon:' || anonymous_id) as actor
         from events where user_id is not null or anonymous_id is not null
         order by day, workspace_id`,
    ],
  },
  {
    // Social influence (src/modules/profiles/influence.ts, docs/profiles.md "Social influence"):
    // the social actions extracted from the log (edges, invites, shares, share touches, orders),
    // the profile-level graph as of the traits' day, its PageRank, and the influence traits.
    version: 4,
    sql: [
      `create table if not exists social_actions (
        workspace_id varchar not null, seq bigint not null, ts timestamptz not null, kind varchar not null,
        user_id varchar, anonymous_id varchar, other_user_id varchar, share_id varchar, parent_share_id varchar,
        invite_id varchar, order_id varchar, amount decimal(18,2))`,
      `create table if not exists influence_edges (
        workspace_id varchar not null, type varchar not null, src varchar not null, dst varchar not null)`,
      `create table if not exists influence_centrality (
        workspace_id varchar not null, profile_id varchar not null, centrality double not null, percentile double not null)`,
      `alter table computed_traits add column if not exists followers integer`,
      `alter table computed_traits add column if not exists following integer`,
      `alter table computed_traits add column if not exists friends integer`,
      `alter table computed_traits add column if not exists invites_sent integer`,
      `alter table computed_traits add column if not exists invites_accepted integer`,
      `alter table computed_traits add column if not exists shares integer`,
      `alter table computed_traits add column if not exists share_clicks integer`,
      `alter table computed_traits add column if not exists downstream_orders integer`,
      `alter table computed_traits add column if not exists downstream_gmv decimal(18,2)`,
      `alter table computed_traits add column if not exists centrality double`,
      `alter table computed_traits add column if not exists centrality_percentile double`,
      `alter table computed_traits add column if not exists is_kol boolean`,
    ],
  },
  {
    // Segments (src/modules/segments, docs/segments.md): materialised membership of saved segments,
    // every entry and exit with its time (segment_changes.id orders them for consumers), and the
    // size after each refresh (membership size over time).
    version: 5,
    sql: [
      `create table if not exists segment_members (
        workspace_id varchar not null, segment_id varchar not null, profile_id varchar not null, since timestamptz not null)`,
      `create sequence if not exists segment_change_ids`,
      `create table if not exists segment_changes (
        id bigint not null default nextval('segment_change_ids'), workspace_id varchar not null, segment_id varchar not null,
        profile_id varchar not null, change varchar not null, reason varchar not null, changed_at timestamptz not null)`,
      `create table if not exists segment_sizes (
        workspace_id varchar not null, segment_id varchar not null, refreshed_at timestamptz not null, size bigint not null,
        entered bigint not null, exited bigint not null, ms bigint not null)`,
    ],
  },
  {
    // Lookups of one person's events by raw id (the incremental traits pass): ART indexes, used by
    // DuckDB for a `col in (constants)` filter when it is the scan's only pushed-down filter (see
    // src/modules/profiles/facts.ts). Without them a person's events cost a scan of the whole log
    // (~80 ms per million events). Creating them on an existing 11 M-event store takes ~1–2 min.
    version: 6,
    sql: [
      `create index if not exists events_user_id on events (user_id)`,
      `create index if not exists events_anonymous_id on events (anonymous_id)`,
      // The identity mirror by id and by profile (src/modules/profiles: scopes of incremental passes).
      `create index if not exists profile_identities_value on profile_identities (value)`,
      `create index if not exists profile_identities_profile on profile_identities (profile_id)`,
    ],
  },
  {
    // The social actions of a few people (the incremental traits pass: src/modules/profiles/influence.ts)
    // by ART index instead of a scan. The full recompute drops and recreates them around its
    // rebuild of the table (src/modules/profiles/indexes.ts: the same statements).
    version: 7,
    sql: [
      `create index if not exists social_actions_user on social_actions (user_id)`,
      `create index if not exists social_actions_anonymous on social_actions (anonymous_id)`,
    ],
  },
  {
    // A profile's computed traits and lifecycle history by ART index (the incremental traits pass:
    // its deletes, reads and updates filter on profile_id alone). The full recompute drops and
    // recreates them around its rewrite (src/modules/profiles/indexes.ts: the same statements).
    version: 8,
    sql: [
      `create index if not exists computed_traits_profile on computed_traits (profile_id)`,
      `create index if not exists lifecycle_history_profile on lifecycle_history (profile_id)`,
    ],
  },
  {
    // The rows of a few shares and the graph edges of a few profiles by ART index (the incremental
    // traits pass, src/modules/profiles/influence.ts). The full recompute drops and recreates them
    // around its rebuilds (src/modules/profiles/indexes.ts: the same statements).
    version: 9,
    sql: [
      `create index if not exists social_actions_share on social_actions (share_id)`,
      `create index if not exists social_actions_parent on social_actions (parent_share_id)`,
      `create index if not exists influence_edges_src on influence_edges (src)`,
      `create index if not exists influence_edges_dst on influence_edges (dst)`,
    ],
  },
  {
    // Graph changes since the stored centrality was computed (src/modules/profiles/centrality.ts):
    // an incremental pass that changes an edge adds a row; the centrality refresh deletes the rows
    // it covered (and notes when it wrote), a full recompute all of the workspace's.
    version: 10,
    sql: [
      `create sequence if not exists influence_centrality_change_ids`,
      `create table if not exists influence_centrality_pending (
        id bigint not null default nextval('influence_centrality_change_ids'), workspace_id varchar not null, since timestamptz not null)`,
      // When a refresh last rewrote the workspace's centrality columns (saved segments refresh after it).
      `create table if not exists influence_centrality_refreshes (workspace_id varchar not null, refreshed_at timestamptz not null)`,
    ],
  },
  {
    // The events without their bodies, with the properties the traits read (fields.ts): built from
    // the log here (whole: a re-run replaces it), then written by every append.
    version: 11,
    sql: [EVENT_FIELDS_DDL, 'delete from event_fields', `insert into event_fields ${eventFieldsSelectSql()} order by seq`],
  },
  {
    // Profiles whose influence counts an incremental pass left for the influence refresh (a share
    // cascade too large to recount inside a pass; src/modules/profiles/influence.ts): a row per
    // profile and pass; the refresh deletes the rows it covered, a full recompute all of the workspace's.
    version: 12,
    sql: [
      `create table if not exists influence_counts_pending (
        id bigint not null default nextval('influence_centrality_change_ids'), workspace_id varchar not null, profile_id varchar not null, since timestamptz not null)`,
    ],
  },
  {
    // A share's defining rows by ART index without its touches and orders (src/modules/profiles/
    // influence.ts upstreamSources: a big share has thousands of rows, its definition one):
    // `share_def` is share_id on `share` rows, null elsewhere (social-actions.ts `withShareDef`).
    version: 13,
    sql: [
      `alter table social_actions add column if not exists share_def varchar`,
      // Before the column is indexed: rows are updated in place (an indexed column's update deletes
      // and re-inserts each row through every index of the table: minutes for a million rows).
      `update social_actions set share_def = share_id where kind = 'share'`,
    ],
  },
  {
    // Its own transaction: DuckDB does not create an index over a transaction's own updates. The
    // full recompute drops and recreates it around its rebuild (src/modules/profiles/indexes.ts).
    version: 14,
    sql: [`create index if not exists social_actions_share_def on social_actions (share_def)`],
  },
  {
    // A profile's fold state (src/modules/profiles/facts.ts foldCtes): what an incremental pass adds
    // a profile's new events to instead of reading all its events. Internal: not a trait (reads of
    // the traits leave it out); a row without one (written before this column) is read whole.
    version: 15,
    sql: [`alter table computed_traits add column if not exists fold_state varchar`],
  },
];

/** Applies the pending migrations, each in a transaction of its own with its version (so a stop between two keeps the first). */
export async function migrateEventStore(db: EventStoreDb): Promise<number[]> {
  const current = await db.write(async (c) => {
    await c.run(`create table if not exists es_meta (key varchar primary key, value varchar)`);
    const r = await c.runAndReadAll(`select value from es_meta where key = 'schema_version'`);
    return Number((r.getRowObjectsJS()[0]?.value as string | undefined) ?? 0);
  });
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    await db.write(async (c) => {
      for (const s of m.sql) await c.run(s);
      await c.run(`insert or replace into es_meta values ('schema_version', $1)`, [String(m.version)]);
    });
    applied.push(m.version);
  }
  return applied;
}

export async function eventStoreSchemaVersion(db: EventStoreDb): Promise<number> {
  const r = await db.read<{ value: string }>(`select value from es_meta where key = 'schema_version'`);
  return Number(r[0]?.value ?? 0);
}
