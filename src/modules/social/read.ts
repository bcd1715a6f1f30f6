import type { SqlRunner } from '../../platform/opstore/index.ts';

export interface Neighbour { key: string; type: string; direction: 'out' | 'in'; since: string }

/** A person's live edges (any of their keys), both directions. */
export async function neighbours(q: SqlRunner, ws: string, keys: string[], limit = 200): Promise<Neighbour[]> {
  if (!keys.length) return [];
  const r = await q.query<{ key: string; type: string; direction: 'out' | 'in'; since: Date }>(
    `(select dst as key, type, 'out' as direction, created_at as since from social_edges where workspace_id = $1 and src = any($2) and removed_at is null limit $3)
     union all
     (select src as key, type, 'in' as direction, created_at as since from social_edges where workspace_id = $1 and dst = any($2) and removed_at is null limit $3)`,
    [ws, keys, limit],
  );
  return r.rows.map((x) => ({ key: x.key, type: x.type, direction: x.direction, since: x.since.toISOString() }));
}

export interface ShareStats { shareId: string; parentShareId: string | null; rootShareId: string; generation: number; sharer: string; productId: string | null; timestamp: string; clicks: number; orders: number; gmv: number }

const SHARE_STATS = `
select s.share_id, s.parent_share_id, s.root_share_id, s.generation, s.sharer, s.product_id, s.shared_at,
  (select count(*) from share_touches t where t.workspace_id = s.workspace_id and t.share_id = s.share_id) as clicks,
  (select count(*) from share_conversions c where c.workspace_id = s.workspace_id and c.share_id = s.share_id) as orders,
  (select coalesce(sum(amount), 0) from share_conversions c where c.workspace_id = s.workspace_id and c.share_id = s.share_id) as gmv
from shares s`;

type StatRow = { share_id: string; parent_share_id: string | null; root_share_id: string; generation: number; sharer: string; product_id: string | null; shared_at: Date; clicks: number; orders: number; gmv: number };
const toStats = (r: StatRow): ShareStats => ({
  shareId: r.share_id, parentShareId: r.parent_share_id, rootShareId: r.root_share_id, generation: r.generation, sharer: r.sharer, productId: r.product_id,
  timestamp: r.shared_at.toISOString(), clicks: Number(r.clicks), orders: Number(r.orders), gmv: Number(r.gmv),
});

export async function sharesBy(q: SqlRunner, ws: string, keys: string[], limit = 100): Promise<ShareStats[]> {
  if (!keys.length) return [];
  const r = await q.query<StatRow>(`${SHARE_STATS} where s.workspace_id = $1 and s.sharer = any($2) order by s.shared_at desc limit $3`, [ws, keys, limit]);
  return r.rows.map(toStats);
}

export interface CascadeNode extends ShareStats { children: CascadeNode[]; downstreamOrders: number; downstreamGmv: number }

/** The whole cascade a share belongs to, as a tree, with the orders and GMV each share led to (itself and below). */
export async function cascade(q: SqlRunner, ws: string, shareId: string): Promise<{ root: CascadeNode; generations: number; shares: number } | null> {
  const s = await q.query<{ root_share_id: string }>('select root_share_id from shares where workspace_id = $1 and share_id = $2', [ws, shareId]);
  const rootId = s.rows[0]?.root_share_id;
  if (!rootId) return null;
  const r = await q.query<StatRow>(`${SHARE_STATS} where s.workspace_id = $1 and s.root_share_id = $2 order by s.generation, s.shared_at limit 10000`, [ws, rootId]);
  const nodes = new Map<string, CascadeNode>();
  for (const row of r.rows) nodes.set(row.share_id, { ...toStats(row), children: [], downstreamOrders: 0, downstreamGmv: 0 });
  let root: CascadeNode | undefined;
  for (const n of nodes.values()) {
    const parent = n.parentShareId ? nodes.get(n.parentShareId) : undefined;
    if (parent) parent.children.push(n);
    else if (n.shareId === rootId || !root) root = n.shareId === rootId ? n : root ?? n;
  }
  if (!root) return null;
  let generations = 0;
  const sum = (n: CascadeNode): void => {
    generations = Math.max(generations, n.generation + 1);
    n.downstreamOrders = n.orders;
    n.downstreamGmv = n.gmv;
    for (const c of n.children) {
      sum(c);
      n.downstreamOrders += c.downstreamOrders;
      n.downstreamGmv += c.downstreamGmv;
    }
  };
  sum(root);
  return { root, generations, shares: nodes.size };
}

/** Sharers ranked by the GMV their shares led to directly. */
export async function topSharers(q: SqlRunner, ws: string, limit = 10): Promise<Array<{ sharer: string; shares: number; clicks: number; orders: number; gmv: number }>> {
  const r = await q.query<{ sharer: string; shares: number; clicks: number; orders: number; gmv: number }>(
    `with s as (select share_id, sharer from shares where workspace_id = $1),
     t as (select share_id, count(*) as n from share_touches where workspace_id = $1 group by 1),
     c as (select share_id, count(*) as n, sum(amount) as gmv from share_conversions where workspace_id = $1 group by 1)
     select s.sharer, count(*) as shares, coalesce(sum(t.n), 0) as clicks, coalesce(sum(c.n), 0) as orders, coalesce(sum(c.gmv), 0) as gmv
     from s left join t using (share_id) left join c using (share_id)
     group by s.sharer order by gmv desc, shares desc limit $2`,
    [ws, limit],
  );
  return r.rows.map((x) => ({ sharer: x.sharer, shares: Number(x.shares), clicks: Number(x.clicks), orders: Number(x.orders), gmv: Number(x.gmv) }));
}
