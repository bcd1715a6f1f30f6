import type { OpStore } from '../platform/opstore/index.ts';
import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import { eventQueries } from '../modules/events/index.ts';
import { listProducts, type Product } from '../modules/catalog/index.ts';
import { allTraits } from '../modules/profiles/index.ts';
import { listSegments, membersPage } from '../modules/segments/index.ts';
import { TrainingInputBuilder, type CatalogItem, type TrainingInput, type TrainingSettings } from '../modules/recommend/index.ts';

/** Rows per interaction slice read from the event store (slices are by a hash of the user key). */
const ROWS_PER_SLICE = 400_000;
const PAGE = 500;
/** Segment members read per query. */
const SEGMENT_PAGE = 20_000;

export const catalogItem = (p: Pick<Product, 'product_id' | 'name' | 'category' | 'brand' | 'price' | 'stock' | 'tags'> & { firstSeen?: string }): CatalogItem => ({
  productId: p.product_id, name: p.name, category: p.category, brand: p.brand, price: p.price === undefined ? undefined : Number(p.price), stock: p.stock, tags: p.tags, firstSeen: p.firstSeen,
});

/**
 * A workspace's whole catalog, a page at a time (`pause` between pages, so a shared event loop
 * keeps answering requests while a large catalog is read).
 */
export async function readCatalog(op: OpStore, ws: string, pause: () => Promise<void> = async () => undefined): Promise<Product[]> {
  const out: Product[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await listProducts(op, ws, { after, limit: PAGE });
    out.push(...page);
    if (page.length < PAGE) return out;
    after = page[page.length - 1]!.product_id;
    await pause();
  }
}

/**
 * Everything training reads for a workspace, from the stores:
 * - interactions from the event store (views, carts, shares, order lines) within the training
 *   window (days before the workspace's latest event), per user key and product;
 * - the social graph replayed from the event log's friend / follow / invite events (adds and
 *   removals in time order, so it matches the social module's projection), plus share ties
 *   (a visitor who opened someone's share link sees that sharer's activity);
 * - order baskets (frequently bought together), and the catalog (new items, content features);
 * - users' groups for per-group popularity: the latest `city` identify trait, saved segments'
 *   members (segments module; as of their last refresh; identified members), and the lifecycle
 *   stage and RFM segment of the computed traits (profiles module; as of its last recompute).
 *
 * Everything is read up to one outbox seq, the snapshot's `eventSeq`: serving overlays what
 * arrives later. The social graph comes from the event store rather than the operational store
 * so training never loads the store the ingest path commits to.
 */
export async function readTrainingInput(stores: { op: OpStore; es: EventStoreDb }, ws: string, settings: TrainingSettings, pause: () => Promise<void> = async () => undefined): Promise<TrainingInput> {
  const b = new TrainingInputBuilder(ws);
  const heads = await eventQueries.workspaceEventHeads(stores.es);
  const head = heads.find((h) => h.workspaceId === ws);
  const maxSeq = head?.maxSeq ?? 0;
  b.eventSeq = maxSeq;
  const since = head && settings.windowDays > 0 ? new Date((head.lastTs - settings.windowDays * 86400) * 1000) : null;
  for (const p of await readCatalog(stores.op, ws, pause)) b.addItem(catalogItem(p));
  if (head) {
    const buckets = Math.max(1, Math.ceil(head.events / ROWS_PER_SLICE));
    for (let bucket = 0; bucket < buckets; bucket++) {
      const rows = await eventQueries.recommendInteractions(stores.es, ws, { since, maxSeq, bucket, buckets });
      for (const r of rows) b.addInteraction(r.userKey, r.productId, r.kind, r.n, r.lastTs);
      await pause();
    }
    const social = await eventQueries.recommendSocial(stores.es, ws, maxSeq);
    addSocialEvents(b, social.edges);
    for (const t of social.shareTies) b.addEdge(t.visitor, t.sharer, 'share', t.n, t.lastTs);
    for (const basket of await eventQueries.recommendBaskets(stores.es, ws, since, maxSeq)) b.addBasket(basket.products);
    for (const c of await eventQueries.recommendUserCities(stores.es, ws, maxSeq)) b.setGroup('city', c.userKey, c.city);
    await pause();
    for (const t of await allTraits(stores.es, ws)) {
      const key = typeof t.userId === 'string' && t.userId ? `u:${t.userId}` : typeof t.anonymousId === 'string' && t.anonymousId ? `a:${t.anonymousId}` : null;
      if (!key) continue;
      if (typeof t.lifecycleStage === 'string') b.setGroup('lifecycle', key, t.lifecycleStage);
      if (typeof t.rfmSegment === 'string') b.setGroup('rfm', key, t.rfmSegment);
    }
    for (const seg of await listSegments(stores.op, ws)) {
      b.labelSegment(seg.id, seg.name);
      for (let cursor: string | null = null; ;) {
        const page = await membersPage(stores.es, ws, seg.id, cursor, SEGMENT_PAGE);
        for (const m of page.members) if (m.userId) b.setGroup('segment', `u:${m.userId}`, seg.id);
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
        await pause();
      }
    }
  }
  return b.build();
}

/**
 * Replays friend / follow / invite events (in time order) into live ties: a removal closes the
 * tie, a later add reopens it. Friends and invites tie both ways; a follow ties the follower to
 * the followee (the follower sees what the followee buys).
 */
export function addSocialEvents(b: TrainingInputBuilder, events: Iterable<{ src: string; dst: string; event: string; ts: number }>): void {
  const live = new Map<string, { from: string; to: string; type: 'friend' | 'follow' | 'invite'; ts: number }>();
  for (const e of events) {
    if (!e.dst || e.src === e.dst) continue;
    const [a, z] = e.src < e.dst ? [e.src, e.dst] : [e.dst, e.src];
    switch (e.event) {
      case 'Friend Added':
        live.set(`f|${a}|${z}`, { from: a, to: z, type: 'friend', ts: e.ts });
        break;
      case 'Friend Removed':
        live.delete(`f|${a}|${z}`);
        break;
      case 'User Followed':
        live.set(`o|${e.src}|${e.dst}`, { from: e.src, to: e.dst, type: 'follow', ts: e.ts });
        break;
      case 'User Unfollowed':
        live.delete(`o|${e.src}|${e.dst}`);
        break;
      case 'Invite Accepted':
        live.set(`i|${a}|${z}`, { from: a, to: z, type: 'invite', ts: e.ts });
        break;
    }
  }
  for (const t of live.values()) {
    b.addEdge(t.from, t.to, t.type, 1, t.ts);
    if (t.type !== 'follow') b.addEdge(t.to, t.from, t.type, 1, t.ts);
  }
}

/** A Segment message as the simulator and SDKs produce it (the fields training reads). */
export interface MessageLike {
  type: string;
  event?: string;
  userId?: string;
  anonymousId?: string;
  timestamp: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
}

/**
 * The same training input built straight from Segment messages instead of the stores (the
 * benchmark and tests use it on simulated worlds): identical mapping of events to interactions,
 * ties, baskets and identify cities as readTrainingInput (no computed traits: no lifecycle / RFM groups).
 */
export function inputFromMessages(ws: string, messages: Iterable<MessageLike>, catalog: CatalogItem[] = []): TrainingInput {
  const b = new TrainingInputBuilder(ws);
  for (const p of catalog) b.addItem(p);
  const agg = new Map<string, { user: string; product: string; kind: 'view' | 'cart' | 'order' | 'share'; n: number; ts: number }>();
  const socialEvents: Array<{ src: string; dst: string; event: string; ts: number }> = [];
  const sharers = new Map<string, string>();
  const opens: Array<{ share: string; visitor: string; ts: number }> = [];
  const add = (user: string, product: unknown, kind: 'view' | 'cart' | 'order' | 'share', ts: number) => {
    if (typeof product !== 'string' || !product) return;
    const k = `${user}\u0000${product}\u0000${kind}`;
    const a = agg.get(k);
    if (a) {
      a.n++;
      a.ts = Math.max(a.ts, ts);
    } else agg.set(k, { user, product, kind, n: 1, ts });
  };
  for (const m of messages) {
    const user = m.userId ? `u:${m.userId}` : m.anonymousId ? `a:${m.anonymousId}` : null;
    if (!user) continue;
    if (m.type === 'identify') {
      if (typeof m.traits?.city === 'string' && m.traits.city) b.setGroup('city', user, m.traits.city);
      continue;
    }
    if (m.type !== 'track') continue;
    const ts = Date.parse(m.timestamp) / 1000;
    const p = m.properties ?? {};
    switch (m.event) {
      case 'Product Viewed': add(user, p.product_id, 'view', ts); break;
      case 'Product Added': add(user, p.product_id, 'cart', ts); break;
      case 'Product Shared':
        add(user, p.product_id, 'share', ts);
        if (typeof p.share_id === 'string' && !sharers.has(p.share_id)) sharers.set(p.share_id, user);
        break;
      case 'Order Completed': {
        const products = Array.isArray(p.products) ? (p.products as Array<Record<string, unknown>>) : [];
        if (typeof p.order_id !== 'string' && typeof p.order_id !== 'number') break;
        const ids: string[] = [];
        for (const line of products) if (line && typeof line.product_id === 'string') {
          add(user, line.product_id, 'order', ts);
          ids.push(line.product_id);
        }
        b.addBasket(ids);
        break;
      }
      case 'Share Link Opened':
        if (typeof p.share_id === 'string') opens.push({ share: p.share_id, visitor: user, ts });
        break;
      case 'Friend Added': case 'Friend Removed': case 'User Followed': case 'User Unfollowed': case 'Invite Accepted': {
        const other = p.friend_id ?? p.followee_id ?? p.inviter_id;
        if (m.userId && typeof other === 'string' && other) socialEvents.push({ src: `u:${m.userId}`, dst: `u:${other}`, event: m.event, ts });
        break;
      }
    }
  }
  for (const a of agg.values()) b.addInteraction(a.user, a.product, a.kind, a.n, a.ts);
  socialEvents.sort((x, y) => x.ts - y.ts);
  addSocialEvents(b, socialEvents);
  const ties = new Map<string, { visitor: string; sharer: string; n: number; ts: number }>();
  for (const o of opens) {
    const sharer = sharers.get(o.share);
    if (!sharer || sharer === o.visitor) continue;
    const k = `${o.visitor}\u0000${sharer}`;
    const t = ties.get(k);
    if (t) {
      t.n++;
      t.ts = Math.max(t.ts, o.ts);
    } else ties.set(k, { visitor: o.visitor, sharer, n: 1, ts: o.ts });
  }
  for (const t of ties.values()) b.addEdge(t.visitor, t.sharer, 'share', t.n, t.ts);
  return b.build();
}
