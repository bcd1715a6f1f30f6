import type { EventStoreDb } from '../../platform/eventstore/duckdb.ts';
import { LIFECYCLE_STAGES } from './lifecycle.ts';
import { RFM_SEGMENTS, rfmSegment } from './rfm.ts';

/** Reads of the computed profiles (JSON-safe: dates as YYYY-MM-DD, times as ISO 8601). */

export type TraitsRow = Record<string, unknown> & { profileId: string; asOf: string };

const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const DATE_COLS = new Set(['as_of', 'next_purchase_from', 'next_purchase_to', 'lifecycle_since', 'day']);

function clean(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (k === 'workspace_id') continue;
    let x = v;
    if (v instanceof Date) x = DATE_COLS.has(k) ? v.toISOString().slice(0, 10) : v.toISOString();
    else if ((k === 'top_categories' || k === 'top_brands') && typeof v === 'string') x = JSON.parse(v);
    out[camel(k)] = x;
  }
  return out;
}

/** One profile's computed traits, or null when none are stored for it. */
export async function getTraits(db: EventStoreDb, ws: string, profileId: string): Promise<TraitsRow | null> {
  const r = await db.read('select * exclude (fold_state) from computed_traits where workspace_id = $1 and profile_id = $2', [ws, profileId]);
  return r[0] ? (clean(r[0]) as TraitsRow) : null;
}

/** Every stored traits row of the workspace, ordered by profile id (tests, export). */
export async function allTraits(db: EventStoreDb, ws: string): Promise<TraitsRow[]> {
  const r = await db.read('select * exclude (fold_state) from computed_traits where workspace_id = $1 order by profile_id', [ws]);
  return r.map((x) => clean(x) as TraitsRow);
}

export interface StageChangeRow { day: string; stage: string; prevStage: string }

/** A profile's lifecycle stage changes, oldest first. */
export async function lifecycleHistoryOf(db: EventStoreDb, ws: string, profileId: string): Promise<StageChangeRow[]> {
  const r = await db.read<{ day: Date; stage: string; prev_stage: string }>(
    'select day, stage, prev_stage from lifecycle_history where workspace_id = $1 and profile_id = $2 order by day', [ws, profileId]);
  return r.map((x) => ({ day: x.day.toISOString().slice(0, 10), stage: x.stage, prevStage: x.prev_stage }));
}

export interface RfmGrid {
  asOf: string | null;
  buyers: number;
  revenue: number;
  /** R × F: 25 cells (r, f from 1 to 5) with the buyers and their monetary value (net spend in the window). */
  cells: Array<{ r: number; f: number; segment: string; buyers: number; revenue: number }>;
  segments: Array<{ segment: string; buyers: number; revenue: number; share: number }>;
}

/** The R × F grid of the workspace's buyers, with counts and revenue, and the named segments. */
export async function rfmGrid(db: EventStoreDb, ws: string): Promise<RfmGrid> {
  const rows = await db.read<{ r: number; f: number; segment: string; buyers: number; revenue: number | null }>(
    `select r_score as r, f_score as f, any_value(rfm_segment) as segment, count(*) as buyers, sum(rfm_monetary)::double as revenue
     from computed_traits where workspace_id = $1 and r_score is not null group by 1, 2`, [ws]);
  const asOf = await db.read<{ d: Date | null }>('select max(as_of) as d from computed_traits where workspace_id = $1', [ws]);
  const cells: RfmGrid['cells'] = [];
  for (let r = 1; r <= 5; r++) {
    for (let f = 1; f <= 5; f++) {
      const x = rows.find((y) => y.r === r && y.f === f);
      cells.push({ r, f, segment: rfmSegment(r, f), buyers: x?.buyers ?? 0, revenue: round2(x?.revenue ?? 0) });
    }
  }
  const buyers = cells.reduce((s, c) => s + c.buyers, 0);
  const segments = RFM_SEGMENTS.map((segment) => {
    const cs = cells.filter((c) => c.segment === segment);
    const n = cs.reduce((s, c) => s + c.buyers, 0);
    return { segment, buyers: n, revenue: round2(cs.reduce((s, c) => s + c.revenue, 0)), share: buyers ? n / buyers : 0 };
  });
  return { asOf: asOf[0]?.d?.toISOString().slice(0, 10) ?? null, buyers, revenue: round2(cells.reduce((s, c) => s + c.revenue, 0)), cells, segments };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Profiles per lifecycle stage now (as of the last recompute). */
export async function lifecycleCounts(db: EventStoreDb, ws: string): Promise<Record<string, number>> {
  const r = await db.read<{ stage: string; n: number }>(
    `select lifecycle_stage as stage, count(*) as n from computed_traits where workspace_id = $1 group by 1`, [ws]);
  const out: Record<string, number> = { prospect: 0 };
  for (const s of LIFECYCLE_STAGES) out[s] = 0;
  for (const x of r) out[x.stage ?? 'prospect'] = x.n;
  return out;
}

/**
 * Daily buyers per stage over [from, to] (from the change history: each change adds one to its
 * stage and takes one from the previous), and the flows between stages in that range.
 */
export async function lifecycleDaily(db: EventStoreDb, ws: string, from: string, to: string): Promise<{
  days: Array<Record<string, number | string>>;
  flows: Array<{ from: string; to: string; profiles: number }>;
}> {
  const deltas = await db.read<{ day: string; stage: string; n: number }>(
    `with d as (
       select greatest(day, $2::date) as day, stage, 1 as n from lifecycle_history where workspace_id = $1 and day <= $3::date
       union all
       select greatest(day, $2::date), prev_stage, -1 from lifecycle_history where workspace_id = $1 and day <= $3::date and prev_stage <> 'prospect')
     select strftime(day, '%Y-%m-%d') as day, stage, sum(n)::integer as n from d group by 1, 2 order by 1`,
    [ws, from, to],
  );
  const counts: Record<string, number> = Object.fromEntries(LIFECYCLE_STAGES.map((s) => [s, 0]));
  const days: Array<Record<string, number | string>> = [];
  let k = 0;
  for (let d = Date.parse(from + 'T00:00:00Z'); d <= Date.parse(to + 'T00:00:00Z'); d += 86_400_000) {
    const day = new Date(d).toISOString().slice(0, 10);
    while (k < deltas.length && deltas[k]!.day <= day) {
      counts[deltas[k]!.stage] = (counts[deltas[k]!.stage] ?? 0) + deltas[k]!.n;
      k++;
    }
    days.push({ day, ...counts });
  }
  const flows = await db.read<{ from: string; to: string; profiles: number }>(
    `select prev_stage as "from", stage as "to", count(*) as profiles from lifecycle_history
     where workspace_id = $1 and day between $2::date and $3::date group by 1, 2 order by 3 desc, 1, 2`, [ws, from, to]);
  return { days, flows };
}

export interface Influencer {
  profileId: string; userId: string | null; anonymousId: string | null; followers: number; following: number; friends: number;
  shares: number; shareClicks: number; downstreamOrders: number; downstreamGmv: number; centrality: number;
  centralityPercentile: number | null; isKol: boolean;
}

/** The workspace's top profiles by centrality or by downstream GMV (ties: the other measure, then profile id). */
export async function topInfluencers(db: EventStoreDb, ws: string, by: 'centrality' | 'downstreamGmv', limit: number): Promise<Influencer[]> {
  const order = by === 'centrality' ? 'centrality desc, downstream_gmv desc' : 'downstream_gmv desc, centrality desc';
  const r = await db.read<Record<string, unknown>>(
    `select profile_id, user_id, anonymous_id, followers, following, friends, shares, share_clicks, downstream_orders,
       downstream_gmv::double as downstream_gmv, centrality, centrality_percentile, is_kol
     from computed_traits where workspace_id = $1 and (centrality > 0 or downstream_gmv > 0)
     order by ${order}, profile_id limit $2`, [ws, limit]);
  return r.map((x) => ({ ...clean(x), isKol: x.is_kol === true }) as unknown as Influencer);
}
