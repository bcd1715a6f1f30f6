import type { SqlRunner } from '../../platform/opstore/index.ts';
import { actorKey, obj, str } from '../../platform/values.ts';

interface SocialEvent { type: string; event?: string; messageId: string; userId?: string; anonymousId?: string; timestamp: string; properties?: Record<string, unknown>; context?: Record<string, unknown> }

/** Days within which a share touch earns an order's attribution (last touch wins). */
export const ATTRIBUTION_WINDOW_DAYS = 7;

/** The share a visit came through: `context.campaign.share_id` or a `share_id` property. */
export function shareTouchOf(e: SocialEvent): string | null {
  if (e.event === 'Product Shared') return null;
  const campaign = obj(e.context?.campaign);
  return str(campaign.share_id, 200) ?? (e.event === 'Share Link Opened' || e.type === 'page' || e.type === 'screen' ? str(e.properties?.share_id, 200) : null);
}

async function upsertEdge(q: SqlRunner, ws: string, type: string, src: string, dst: string, at: string, messageId: string) {
  if (src === dst) return;
  await q.query(
    `insert into social_edges (workspace_id, src, dst, type, created_at, message_id) values ($1, $2, $3, $4, $5, $6)
     on conflict (workspace_id, type, src, dst) do update set removed_at = null,
       created_at = case when social_edges.removed_at is not null then excluded.created_at else social_edges.created_at end`,
    [ws, src, dst, type, at, messageId],
  );
}

async function closeEdge(q: SqlRunner, ws: string, type: string, src: string, dst: string, at: string) {
  await q.query('update social_edges set removed_at = $5 where workspace_id = $1 and type = $2 and src = $3 and dst = $4 and removed_at is null and created_at <= $5',
    [ws, type, src, dst, at]);
}

/** Applies one event to the social graph, the share cascades and the share touches. */
export async function applySocialEvent(q: SqlRunner, ws: string, e: SocialEvent): Promise<void> {
  const me = actorKey(e);
  if (!me || e.type !== 'track' && e.type !== 'page' && e.type !== 'screen') return;
  const p = e.properties ?? {};
  const other = (k: string) => {
    const v = str(p[k], 256);
    return v ? `u:${v}` : null;
  };
  switch (e.event) {
    case 'User Followed': { const f = other('followee_id'); if (f) await upsertEdge(q, ws, 'follow', me, f, e.timestamp, e.messageId); break; }
    case 'User Unfollowed': { const f = other('followee_id'); if (f) await closeEdge(q, ws, 'follow', me, f, e.timestamp); break; }
    case 'Friend Added': {
      const f = other('friend_id');
      if (f) { await upsertEdge(q, ws, 'friend', me, f, e.timestamp, e.messageId); await upsertEdge(q, ws, 'friend', f, me, e.timestamp, e.messageId); }
      break;
    }
    case 'Friend Removed': {
      const f = other('friend_id');
      if (f) { await closeEdge(q, ws, 'friend', me, f, e.timestamp); await closeEdge(q, ws, 'friend', f, me, e.timestamp); }
      break;
    }
    case 'Invite Accepted': { const inv = other('inviter_id'); if (inv) await upsertEdge(q, ws, 'invite', inv, me, e.timestamp, e.messageId); break; }
    case 'Product Shared': {
      const shareId = str(p.share_id, 200);
      if (!shareId) break;
      const parent = str(p.parent_share_id, 200);
      let root = shareId;
      let generation = 0;
      if (parent && parent !== shareId) {
        const r = await q.query<{ root_share_id: string; generation: number }>('select root_share_id, generation from shares where workspace_id = $1 and share_id = $2', [ws, parent]);
        root = r.rows[0]?.root_share_id ?? parent;
        generation = (r.rows[0]?.generation ?? 0) + 1;
      }
      await q.query(
        `insert into shares (workspace_id, share_id, parent_share_id, root_share_id, generation, sharer, product_id, channel, shared_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (workspace_id, share_id) do nothing`,
        [ws, shareId, parent && parent !== shareId ? parent : null, root, generation, me, str(p.product_id, 200), str(p.share_via, 100), e.timestamp],
      );
      break;
    }
  }
  const touched = shareTouchOf(e);
  if (touched) {
    await q.query(
      `insert into share_touches (workspace_id, share_id, visitor, message_id, touched_at) values ($1, $2, $3, $4, $5) on conflict do nothing`,
      [ws, touched, me, e.messageId, e.timestamp],
    );
  }
}

/** The share an order is credited to: the buyer's latest touch within the window before it (any of their keys). */
export async function attributedShare(q: SqlRunner, ws: string, keys: string[], at: string): Promise<string | null> {
  if (!keys.length) return null;
  const r = await q.query<{ share_id: string }>(
    `select share_id from share_touches where workspace_id = $1 and visitor = any($2) and touched_at <= $3::timestamptz
       and touched_at > $3::timestamptz - make_interval(days => $4) order by touched_at desc limit 1`,
    [ws, keys, at, ATTRIBUTION_WINDOW_DAYS],
  );
  return r.rows[0]?.share_id ?? null;
}

/** Credits an order to a share (once per order). */
export async function recordConversion(q: SqlRunner, ws: string, shareId: string, orderId: string, buyer: string, amount: number, at: string): Promise<void> {
  await q.query(
    `insert into share_conversions (workspace_id, share_id, order_id, buyer, amount, converted_at) values ($1, $2, $3, $4, $5, $6) on conflict do nothing`,
    [ws, shareId, orderId, buyer, amount, at],
  );
}
