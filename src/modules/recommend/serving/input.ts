import { EDGE_TYPES, INTERACTION_KINDS, type EdgeType, type InteractionKind } from './types.ts';

/** A catalog entry as training sees it (the catalog module's product, flattened). */
export interface CatalogItem {
  productId: string;
  name?: string;
  category?: string;
  brand?: string;
  price?: number;
  stock?: number;
  tags?: string[];
  /** ISO time the product was first seen. */
  firstSeen?: string;
}

/**
 * Everything training reads, in plain arrays (transferable to a worker thread). Users are raw
 * keys (`u:<userId>`, or `a:<anonymousId>` for traffic never identified); items are product ids.
 * Interactions are aggregated per (user, item, kind): `count` events, the latest at `ts` (unix
 * seconds). Edges are directed ties "from sees to's activity": friend and invite ties are given
 * in both directions, follow as follower → followee, share as visitor → sharer.
 */
export interface TrainingInput {
  workspaceId: string;
  userKeys: string[];
  itemIds: string[];
  items: {
    name: string[];
    category: string[];
    brand: string[];
    tags: string[][];
    /** NaN = unknown. */
    price: Float64Array;
    /** unix seconds; NaN = unknown. */
    firstSeen: Float64Array;
  };
  interactions: { user: Int32Array; item: Int32Array; kind: Uint8Array; count: Float32Array; ts: Float64Array };
  edges: { from: Int32Array; to: Int32Array; type: Uint8Array; count: Float32Array; ts: Float64Array };
  /** Orders as baskets (for frequently-bought-together): basket b holds items[ptr[b]..ptr[b+1]). */
  baskets: { ptr: Int32Array; items: Int32Array };
  /** The event-store position (outbox seq) the data reflects; live activity after it is overlaid at serving time. */
  eventSeq: number;
  /**
   * Users' groups for per-group popularity (the cold-start fallback): `city` from identify
   * traits, `segment` (saved segments, several per user), `lifecycle` stage and `rfm` segment
   * from computed traits. Keys need not have interactions.
   */
  groups?: UserGroups;
}

/** The dimensions of per-group popularity, in the order serving prefers them. `segment` is multi-valued. */
export const GROUP_DIMENSIONS = ['city', 'segment', 'lifecycle', 'rfm'] as const;
export type GroupDimension = (typeof GROUP_DIMENSIONS)[number];

/** Memberships as triples: user keys[key[m]] is in group (GROUP_DIMENSIONS[dimension[m]], value[m]). */
export interface UserGroups {
  keys: string[];
  key: Int32Array;
  dimension: Uint8Array;
  value: string[];
  /** Display names of saved segments, by id. */
  labels?: Record<string, string>;
}

class Grow {
  private a: number[] = [];
  push(v: number) {
    this.a.push(v);
  }
  get length() {
    return this.a.length;
  }
  int32() {
    return Int32Array.from(this.a);
  }
  uint8() {
    return Uint8Array.from(this.a);
  }
  float32() {
    return Float32Array.from(this.a);
  }
  float64() {
    return Float64Array.from(this.a);
  }
}

/** Collects rows from the stores (in any order) into a TrainingInput, interning keys and ids. */
export class TrainingInputBuilder {
  private users = new Map<string, number>();
  private items = new Map<string, number>();
  private meta: CatalogItem[] = [];
  private iu = new Grow();
  private ii = new Grow();
  private ik = new Grow();
  private ic = new Grow();
  private it = new Grow();
  private ef = new Grow();
  private et = new Grow();
  private ey = new Grow();
  private ec = new Grow();
  private es = new Grow();
  private bptr: number[] = [0];
  private bitems: number[] = [];
  private groupKeys = new Map<string, number>();
  /** (key, dimension) → membership, for single-valued dimensions. */
  private single = new Map<string, number>();
  private multi = new Set<string>();
  private gk: number[] = [];
  private gd: number[] = [];
  private gv: string[] = [];
  private labels: Record<string, string> = {};
  eventSeq = 0;

  constructor(readonly workspaceId: string) {}

  user(key: string): number {
    let u = this.users.get(key);
    if (u === undefined) this.users.set(key, (u = this.users.size));
    return u;
  }

  item(productId: string): number {
    let i = this.items.get(productId);
    if (i === undefined) {
      this.items.set(productId, (i = this.items.size));
      this.meta.push({ productId });
    }
    return i;
  }

  /** A catalog product (also one nobody interacted with yet: content similarity can place it). */
  addItem(p: CatalogItem): void {
    const i = this.item(p.productId);
    this.meta[i] = { ...this.meta[i], ...p };
  }

  addInteraction(userKey: string, productId: string, kind: InteractionKind, count: number, ts: number): void {
    const k = INTERACTION_KINDS.indexOf(kind);
    if (k < 0 || !(count > 0) || !Number.isFinite(ts)) return;
    this.iu.push(this.user(userKey));
    this.ii.push(this.item(productId));
    this.ik.push(k);
    this.ic.push(count);
    this.it.push(ts);
  }

  addEdge(from: string, to: string, type: EdgeType, count: number, ts: number): void {
    if (from === to) return;
    this.ef.push(this.user(from));
    this.et.push(this.user(to));
    this.ey.push(EDGE_TYPES.indexOf(type));
    this.ec.push(count);
    this.es.push(ts);
  }

  /** One order's products. */
  addBasket(productIds: string[]): void {
    const seen = new Set<number>();
    for (const p of productIds) seen.add(this.item(p));
    if (seen.size === 0) return;
    for (const i of seen) this.bitems.push(i);
    this.bptr.push(this.bitems.length);
  }

  /**
   * A user's group in one dimension (e.g. city 上海). Single-valued dimensions keep the last value
   * given; `segment` adds one membership per value.
   */
  setGroup(dimension: GroupDimension, userKey: string, value: string): void {
    const d = GROUP_DIMENSIONS.indexOf(dimension);
    if (d < 0 || !value) return;
    let k = this.groupKeys.get(userKey);
    if (k === undefined) this.groupKeys.set(userKey, (k = this.groupKeys.size));
    if (dimension === 'segment') {
      const id = `${k}\u0000${value}`;
      if (this.multi.has(id)) return;
      this.multi.add(id);
    } else {
      const m = this.single.get(`${k}\u0000${d}`);
      if (m !== undefined) {
        this.gv[m] = value;
        return;
      }
      this.single.set(`${k}\u0000${d}`, this.gk.length);
    }
    this.gk.push(k);
    this.gd.push(d);
    this.gv.push(value);
  }

  /** A saved segment's display name. */
  labelSegment(id: string, name: string): void {
    this.labels[id] = name;
  }

  get interactionCount(): number {
    return this.iu.length;
  }

  build(): TrainingInput {
    const n = this.meta.length;
    const price = new Float64Array(n).fill(NaN);
    const firstSeen = new Float64Array(n).fill(NaN);
    this.meta.forEach((m, i) => {
      if (m.price !== undefined && Number.isFinite(m.price)) price[i] = m.price;
      if (m.firstSeen) firstSeen[i] = Date.parse(m.firstSeen) / 1000;
    });
    return {
      workspaceId: this.workspaceId,
      userKeys: [...this.users.keys()],
      itemIds: this.meta.map((m) => m.productId),
      items: {
        name: this.meta.map((m) => m.name ?? ''),
        category: this.meta.map((m) => m.category ?? ''),
        brand: this.meta.map((m) => m.brand ?? ''),
        tags: this.meta.map((m) => m.tags ?? []),
        price,
        firstSeen,
      },
      interactions: { user: this.iu.int32(), item: this.ii.int32(), kind: this.ik.uint8(), count: this.ic.float32(), ts: this.it.float64() },
      edges: { from: this.ef.int32(), to: this.et.int32(), type: this.ey.uint8(), count: this.ec.float32(), ts: this.es.float64() },
      baskets: { ptr: Int32Array.from(this.bptr), items: Int32Array.from(this.bitems) },
      eventSeq: this.eventSeq,
      groups: this.gk.length ? { keys: [...this.groupKeys.keys()], key: Int32Array.from(this.gk), dimension: Uint8Array.from(this.gd), value: this.gv.slice(), labels: { ...this.labels } } : undefined,
    };
  }
}

/** Users with at least two interactions, and interactions: what "enough data" is measured on. */
export function inputCounts(input: TrainingInput): { users: number; activeUsers: number; items: number; interactions: number; edges: number; baskets: number } {
  const perUser = new Int32Array(input.userKeys.length);
  const pairs = new Set<number>();
  const { user, item } = input.interactions;
  const nItems = input.itemIds.length;
  for (let e = 0; e < user.length; e++) {
    const key = user[e]! * nItems + item[e]!;
    if (pairs.has(key)) continue;
    pairs.add(key);
    perUser[user[e]!]!++;
  }
  let active = 0;
  for (const c of perUser) if (c >= 2) active++;
  return { users: input.userKeys.length, activeUsers: active, items: nItems, interactions: pairs.size, edges: input.edges.from.length, baskets: input.baskets.ptr.length - 1 };
}
