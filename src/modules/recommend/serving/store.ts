import { randomBytes } from 'node:crypto';
import type { SqlRunner } from '../../../platform/opstore/index.ts';
import { completeSettings, type RecommendSettings } from './settings.ts';
import type { TrackingClaims } from './token.ts';
import { sourceNames } from './types.ts';

/** The recommend module's operational tables (migrations/op/003_recommend.sql). */

export async function readSettings(q: SqlRunner, ws: string): Promise<{ settings: RecommendSettings; updatedAt: string | null }> {
  const r = await q.query<{ settings: unknown; updated_at: Date }>('select settings, updated_at from recommend_settings where workspace_id = $1', [ws]);
  const row = r.rows[0];
  return { settings: completeSettings(row?.settings), updatedAt: row ? row.updated_at.toISOString() : null };
}

export async function writeSettings(q: SqlRunner, ws: string, s: RecommendSettings): Promise<string> {
  const r = await q.query<{ updated_at: Date }>(
    `insert into recommend_settings (workspace_id, settings, updated_at) values ($1, $2, now())
     on conflict (workspace_id) do update set settings = excluded.settings, updated_at = now() returning updated_at`,
    [ws, JSON.stringify(s)],
  );
  return r.rows[0]!.updated_at.toISOString();
}

/** Settings rows changed after `since` (every workspace): how other nodes' edits are picked up. */
export async function settingsChangedSince(q: SqlRunner, since: Date): Promise<Array<{ workspaceId: string; settings: RecommendSettings; updatedAt: Date }>> {
  const r = await q.query<{ workspace_id: string; settings: unknown; updated_at: Date }>('select workspace_id, settings, updated_at from recommend_settings where updated_at > $1', [since]);
  return r.rows.map((x) => ({ workspaceId: x.workspace_id, settings: completeSettings(x.settings), updatedAt: x.updated_at }));
}

export async function setOptOut(q: SqlRunner, ws: string, userKey: string, optOut: boolean): Promise<string> {
  const r = await q.query<{ updated_at: Date }>(
    `insert into recommend_opt_outs (workspace_id, user_key, opt_out, updated_at) values ($1, $2, $3, now())
     on conflict (workspace_id, user_key) do update set opt_out = excluded.opt_out, updated_at = now() returning updated_at`,
    [ws, userKey, optOut],
  );
  return r.rows[0]!.updated_at.toISOString();
}

/** Every opted-out user key, by workspace. */
export async function optedOut(q: SqlRunner): Promise<Map<string, Set<string>>> {
  const r = await q.query<{ workspace_id: string; user_key: string }>('select workspace_id, user_key from recommend_opt_outs where opt_out');
  const out = new Map<string, Set<string>>();
  for (const row of r.rows) {
    let s = out.get(row.workspace_id);
    if (!s) out.set(row.workspace_id, (s = new Set()));
    s.add(row.user_key);
  }
  return out;
}

export async function optOutOf(q: SqlRunner, ws: string, userKey: string): Promise<{ optOut: boolean; updatedAt: string | null }> {
  const r = await q.query<{ opt_out: boolean; updated_at: Date }>('select opt_out, updated_at from recommend_opt_outs where workspace_id = $1 and user_key = $2', [ws, userKey]);
  const row = r.rows[0];
  return { optOut: row?.opt_out ?? false, updatedAt: row ? row.updated_at.toISOString() : null };
}

/** The workspace's tracking-token secret, created on first use (every node reads the same one). */
export async function tokenSecret(q: SqlRunner, ws: string): Promise<Buffer> {
  await q.query('insert into recommend_secrets (workspace_id, secret) values ($1, $2) on conflict (workspace_id) do nothing', [ws, randomBytes(32).toString('base64')]);
  const r = await q.query<{ secret: string }>('select secret from recommend_secrets where workspace_id = $1', [ws]);
  return Buffer.from(r.rows[0]!.secret, 'base64');
}

/**
 * Records feedback for products of one served response. Idempotent: a (token, type, product)
 * already recorded is not counted again. Returns how many rows were new.
 */
export async function recordFeedback(q: SqlRunner, ws: string, c: TrackingClaims, type: 'impression' | 'click', productIds: string[]): Promise<number> {
  const rows = productIds.map((p) => {
    const pos = c.items.indexOf(p);
    return { product_id: p, position: pos, sources: sourceNames(c.sources[pos] ?? 0) };
  });
  const r = await q.query(
    `insert into recommend_feedback (workspace_id, token_id, type, product_id, placement, model_version, sources, personalised, user_key, position, served_at)
     select $1, $2, $3, x.product_id, $4, $5, array(select jsonb_array_elements_text(x.sources)), $6, $7, x.position, $8
     from jsonb_to_recordset($9::jsonb) as x(product_id text, position int, sources jsonb)
     on conflict do nothing`,
    [ws, c.id, type, c.placement, c.version, c.personalised, c.user, new Date(c.at), JSON.stringify(rows)],
  );
  return r.rowCount;
}

export interface StatsRow { placement: string; model: string; impressions: number; clicks: number; ctr: number | null }

/**
 * Impressions, clicks and CTR per placement and model (a product counts for every model among its
 * sources), plus `all` per placement (every product once), over feedback for responses served
 * since `from`.
 */
export async function feedbackStats(q: SqlRunner, ws: string, from: Date, version?: string): Promise<StatsRow[]> {
  const r = await q.query<{ placement: string; model: string; impressions: string | number; clicks: string | number }>(
    `with f as (select * from recommend_feedback where workspace_id = $1 and served_at >= $2 and ($3::text is null or model_version = $3))
     select placement, model, count(*) filter (where type = 'impression') as impressions, count(*) filter (where type = 'click') as clicks
     from (select placement, type, unnest(sources) as model from f) x group by 1, 2
     union all
     select placement, 'all' as model, count(*) filter (where type = 'impression'), count(*) filter (where type = 'click') from f group by 1
     order by 1, 2`,
    [ws, from, version ?? null],
  );
  return r.rows.map((x) => {
    const impressions = Number(x.impressions), clicks = Number(x.clicks);
    return { placement: x.placement, model: x.model, impressions, clicks, ctr: impressions > 0 ? Math.round((clicks / impressions) * 1e4) / 1e4 : null };
  });
}
