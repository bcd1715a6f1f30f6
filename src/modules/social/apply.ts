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

type EdgeOp = { type: string; src: string; dst: string; at: string; messageId: string; add: boolean };

/** The edge operations an event carries (a friendship is two directed edges). */
function edgeOps(e: SocialEvent, me: string): EdgeOp[] {
  const p = e.properties ?? {};
  const other = (k: string) => {
    const v = str(p[k], 256);
    return v ? `u:${v}` : null;
  };
  const op = (type: string, src: string, dst: string, add: boolean): EdgeOp => ({ type, src, dst, at: e.timestamp, messageId: e.messageId, add });
  switch (e.event) {
    case 'User Followed': { const f = other('followee_id'); return f ? [op('follow', me, f, true)] : []; }
    case 'User Unfollowed': { const f = other('followee_id'); return f ? [op('follow', me, f, false)] : []; }
    case 'Friend Added': { const f = other('friend_id'); return f ? [op('friend', me, f, true), op('friend', f, me, true)] : []; }
    case 'Friend Removed': { const f = other('friend_id'); return f ? [op('friend', me, f, false), op('friend', f, me, false)] : []; }
    case 'Invite Accepted': { const inv = other('inviter_id'); return inv ? [op('invite', inv, me, true)] : []; }
    default: return [];
  }
}

/**
 * Applies a batch of events to the social graph, the share cascades and the share touches, in a
 * few bulk statements. Edge operations on the same edge within the batch apply in order (the last
 * add opens it, a later remove closes it).
 */
export async function applySocialEvents(q: SqlRunner, ws: string, events: SocialEvent[]): Promise<void> {
  const edges = new Map<string, { open?: EdgeOp; close?: EdgeOp }>();
  const touches: Array<{ share_id: string; visitor: string; message_id: string; at: string }> = [];
  const batchShares = new Map<string, { root: string; generation: number }>();
  for (const e of events) {
    const me = actorKey(e);
    if (!me || (e.type !== 'track' && e.type !== 'page' && e.type !== 'screen')) continue;
    for (const op of edgeOps(e, me)) {
      if (op.src === op.dst) continue;
      const k = `${op.type}\u0001${op.src}\u0001${op.dst}`;
      const cur = edges.get(k) ?? {};
      if (op.add) edges.set(k, { open: op });
      else edges.set(k, { open: cur.open, close: op });
    }
    if (e.event === 'Product Shared') await insertShare(q, ws, e, me, batchShares);
    const touched = shareTouchOf(e);
    if (touched) touches.push({ share_id: touched, visitor: me, message_id: e.messageId, at: e.timestamp });
  }
  const opens = [...edges.values()].flatMap((x) => (x.open ? [x.open] : []));
  const closes = [...edges.values()].flatMap((x) => (x.close ? [x.close] : []));
  if (opens.length) {
    await q.query(
      `insert into social_edges (workspace_id, src, dst, type, created_at, message_id)
       select $1, x.src, x.dst, x.type, x.at, x."messageId" from jsonb_to_recordset($2::jsonb) as x(src text, dst text, type text, at timestamptz, "messageId" text)
       on conflict (workspace_id, type, src, dst) do update set removed_at = null,
         created_at = case when social_edges.removed_at is not null then excluded.created_at else social_edges.created_at end`,
      [ws, JSON.stringify(opens)],
    );
  }
  if (closes.length) {
    await q.query(
      `update social_edges s set removed_at = x.at from jsonb_to_recordset($2::jsonb) as x(src text, dst text, type text, at timestamptz)
       where s.workspace_id = $1 and s.type = x.type and s.src = x.src and s.dst = x.dst and s.removed_at is null and s.created_at <= x.at`,
      [ws, JSON.stringify(closes)],
    );
  }
  if (touches.length) {
    await q.query(
      `insert into share_touches (workspace_id, share_id, visitor, message_id, touched_at)
       select $1, x.share_id, x.visitor, x.message_id, x.at from jsonb_to_recordset($2::jsonb) as x(share_id text, visitor text, message_id text, at timestamptz)
       on conflict do nothing`,
      [ws, JSON.stringify(touches)],
    );
  }
}

async function insertShare(q: SqlRunner, ws: string, e: SocialEvent, me: string, batchShares: Map<string, { root: string; generation: number }>) {
  const p = e.properties ?? {};
  const shareId = str(p.share_id, 200);
  if (!shareId) return;
  const parentRaw = str(p.parent_share_id, 200);
  const parent = parentRaw && parentRaw !== shareId ? parentRaw : null;
  let root = shareId;
  let generation = 0;
  if (parent) {
    let known = batchShares.get(parent);
    if (!known) {
      const r = await q.query<{ root_share_id: string; generation: number }>('select root_share_id, generation from shares where workspace_id = $1 and share_id = $2', [ws, parent]);
      if (r.rows[0]) known = { root: r.rows[0].root_share_id, generation: r.rows[0].generation };
    }
    root = known?.root ?? parent;
    generation = (known?.generation ?? 0) + 1;
  }
  batchShares.set(shareId, { root, generation });
  await q.query(
    `insert into shares (workspace_id, share_id, parent_share_id, root_share_id, generation, sharer, product_id, channel, shared_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (workspace_id, share_id) do nothing`,
    [ws, shareId, parent, root, generation, me, str(p.product_id, 200), str(p.share_via, 100), e.timestamp],
  );
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

/** One event (the batch form is what the projector uses). */
export async function applySocialEvent(q: SqlRunner, ws: string, e: SocialEvent): Promise<void> {
  await applySocialEvents(q, ws, [e]);
}
