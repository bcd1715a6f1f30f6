import type { EventStoreDb } from '../../platform/eventstore/duckdb.ts';
import { listValue } from '@duckdb/node-api';

/** Numeric computed-traits columns that can be read as feature columns (allow-list: names are spliced into SQL). */
export const NUMERIC_TRAIT_COLUMNS = [
  'orders', 'gmv', 'net_revenue', 'aov', 'days_since_last_order', 'purchase_days', 'refunded_orders', 'refunded_amount',
  'refund_rate', 'coupon_orders', 'coupon_share', 'repeat_frequency', 'repeat_recency_weeks', 'repeat_t_weeks',
  'median_gap_days', 'typical_price', 'price_p25', 'price_p75', 'rfm_recency_days', 'rfm_frequency', 'rfm_monetary',
  'events_total', 'events_30d', 'events_prev_30d', 'social_90d', 'churn_probability',
  // influence traits (present once the workspace's event store has them)
  'followers', 'following', 'friends', 'invites_sent', 'invites_accepted', 'shares', 'share_clicks',
  'downstream_orders', 'downstream_gmv', 'centrality', 'centrality_percentile',
] as const;

/** The columns computed_traits has in this event store (allow-listed names can be absent before a migration). */
export async function traitColumnsPresent(db: EventStoreDb): Promise<Set<string>> {
  const r = await db.read<{ name: string }>(`select column_name as name from information_schema.columns where table_name = 'computed_traits'`);
  return new Set(r.map((x) => x.name));
}

export interface TraitColumns {
  asOf: string | null;
  profileIds: string[];
  /** One array per requested column, aligned with profileIds; a missing value is NaN. */
  columns: Record<string, Float64Array>;
}

/**
 * Some numeric traits of the workspace's buyers (orders ≥ 1), ordered by profile id, as columns
 * of doubles (for model fitting: auto-segments). Throws on a column outside the allow-list.
 */
export async function buyerTraitColumns(db: EventStoreDb, ws: string, columns: readonly string[]): Promise<TraitColumns> {
  for (const c of columns) if (!(NUMERIC_TRAIT_COLUMNS as readonly string[]).includes(c)) throw new RangeError(`not a numeric trait column: ${c}`);
  const present = await traitColumnsPresent(db);
  const list = columns.map((c, i) => `cast(${present.has(c) ? c : 'null'} as double) as c${i}`).join(', ');
  const rows = await db.read<Record<string, number | null> & { profile_id: string }>(
    `select profile_id${list ? ', ' + list : ''} from computed_traits where workspace_id = $1 and orders >= 1 order by profile_id`, [ws]);
  const out: Record<string, Float64Array> = {};
  columns.forEach((c, i) => {
    const a = new Float64Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const v = rows[r]![`c${i}`];
      a[r] = v === null || v === undefined ? NaN : Number(v);
    }
    out[c] = a;
  });
  const asOf = await db.read<{ d: Date | null }>('select max(as_of) as d from computed_traits where workspace_id = $1', [ws]);
  return { asOf: asOf[0]?.d ? asOf[0].d.toISOString().slice(0, 10) : null, profileIds: rows.map((r) => r.profile_id), columns: out };
}

/**
 * Some traits of the given profiles (export), by profile id: `columns` are computed-traits column
 * names from `EXPORT_TRAIT_COLUMNS` (allow-list); JSON-safe values (times ISO, dates YYYY-MM-DD).
 */
export async function traitsOfProfiles(db: EventStoreDb, ws: string, profileIds: readonly string[], columns: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
  for (const c of columns) if (!(EXPORT_TRAIT_COLUMNS as readonly string[]).includes(c)) throw new RangeError(`not an exportable trait column: ${c}`);
  const out = new Map<string, Record<string, unknown>>();
  if (!profileIds.length) return out;
  const present = await traitColumnsPresent(db);
  const list = columns.map((c, i) => `${present.has(c) ? c : 'null'} as c${i}`).join(', ');
  const rows = await db.read<Record<string, unknown> & { profile_id: string }>(
    `select profile_id${list ? ', ' + list : ''} from computed_traits where workspace_id = $1 and profile_id in (select unnest($2::varchar[]))`,
    [ws, listValue([...profileIds])]);
  for (const r of rows) {
    const rec: Record<string, unknown> = {};
    columns.forEach((c, i) => {
      const v = r[`c${i}`];
      rec[c] = v instanceof Date ? (DATE_COLUMNS.has(c) ? v.toISOString().slice(0, 10) : v.toISOString()) : v;
    });
    out.set(r.profile_id, rec);
  }
  return out;
}

const DATE_COLUMNS = new Set(['next_purchase_from', 'next_purchase_to', 'lifecycle_since', 'as_of']);

/** Computed-traits columns an export may carry: the numeric ones, texts, times and dates (not the JSON interest lists). */
export const EXPORT_TRAIT_COLUMNS = [
  ...NUMERIC_TRAIT_COLUMNS, 'as_of', 'user_id', 'anonymous_id', 'first_seen_at', 'last_seen_at', 'first_order_at', 'last_order_at',
  'next_purchase_from', 'next_purchase_to', 'price_band', 'r_score', 'f_score', 'm_score', 'rfm_cell', 'rfm_segment', 'lifecycle_stage', 'lifecycle_since',
  'is_kol',
] as const;
