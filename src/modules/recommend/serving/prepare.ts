import { csrFromTriples, latestPerEntry, type Csr } from '../sparse.ts';
import type { TrainData } from '../models/types.ts';
import type { TrainingInput } from './input.ts';
import type { TrainingSettings } from './settings.ts';
import { EDGE_TYPES, INTERACTION_KINDS } from './types.ts';

/** Tie weight per edge type (friend strongest); × recency. */
const EDGE_WEIGHT: Record<(typeof EDGE_TYPES)[number], number> = { friend: 1, follow: 0.6, invite: 0.8, share: 0.5 };
const EDGE_HALF_LIFE_DAYS = 180;

/** The matrices training and precomputing need, built from a TrainingInput. */
export interface Prepared {
  data: TrainData;
  /** users × items, value 1 where the user ordered the item; `orderTimes` the latest order (unix s) per entry. */
  orders: Csr;
  orderTimes: Float64Array;
  /** users × items, value 1 where the user shared the item. */
  shares: Csr;
  /** users × items: bit k of the value set when the user did INTERACTION_KINDS[k] with the item (the inspector's history). */
  kinds: Csr;
  /** Latest time of any interaction (unix s). */
  asOf: number;
  categories: string[];
  brands: string[];
  itemCategory: Int32Array;
  itemBrand: Int32Array;
}

/**
 * Interaction strength of a (user, item) pair: Σ over kinds of weight(kind) × (1 + ln count);
 * its time is the latest interaction of any kind. The social graph: ties weighted by type
 * (friend 1, invite 0.8, follow 0.6, share 0.5) × (1 + ln count) × recency (half-life 180
 * days); parallel ties add.
 */
export function prepare(input: TrainingInput, weights: TrainingSettings['weights']): Prepared {
  const nUsers = input.userKeys.length, nItems = input.itemIds.length;
  const { user, item, kind, count, ts } = input.interactions;
  const w = INTERACTION_KINDS.map((k) => weights[k]);
  const values = new Float32Array(user.length);
  let asOf = 0;
  for (let e = 0; e < user.length; e++) {
    values[e] = w[kind[e]!]! * (1 + Math.log(Math.max(1, count[e]!)));
    if (ts[e]! > asOf) asOf = ts[e]!;
  }
  // pairs whose every kind has weight 0 stay as tiny positive values so the time is kept
  for (let e = 0; e < values.length; e++) if (!(values[e]! > 0)) values[e] = 1e-6;
  const train = csrFromTriples(nUsers, nItems, user, item, values, 'sum');
  const trainTimes = latestPerEntry(train, user, item, ts);

  const kinds = csrFromTriples(nUsers, nItems, user, item, undefined, 'max');
  orBits(kinds, user, item, kind);

  const ou: number[] = [], oi: number[] = [], ot: number[] = [], su: number[] = [], si: number[] = [];
  const ORDER = INTERACTION_KINDS.indexOf('order'), SHARE = INTERACTION_KINDS.indexOf('share');
  for (let e = 0; e < user.length; e++) {
    if (kind[e] === ORDER) {
      ou.push(user[e]!);
      oi.push(item[e]!);
      ot.push(ts[e]!);
    } else if (kind[e] === SHARE) {
      su.push(user[e]!);
      si.push(item[e]!);
    }
  }
  const orders = csrFromTriples(nUsers, nItems, ou, oi, undefined, 'max');
  const orderTimes = latestPerEntry(orders, ou, oi, ot);
  const shares = csrFromTriples(nUsers, nItems, su, si, undefined, 'max');

  const g = input.edges;
  const ev = new Float32Array(g.from.length);
  let edgeNow = asOf;
  for (let e = 0; e < g.ts.length; e++) if (g.ts[e]! > edgeNow) edgeNow = g.ts[e]!;
  const rate = Math.LN2 / (EDGE_HALF_LIFE_DAYS * 86400);
  for (let e = 0; e < ev.length; e++) {
    const type = EDGE_TYPES[g.type[e]!] ?? 'follow';
    ev[e] = EDGE_WEIGHT[type] * (1 + Math.log(Math.max(1, g.count[e]!))) * Math.exp(-rate * Math.max(0, edgeNow - g.ts[e]!));
  }
  const friends = csrFromTriples(nUsers, nUsers, g.from, g.to, ev, 'sum');

  const categories: string[] = [], brands: string[] = [];
  const itemCategory = intern(input.items.category, categories);
  const itemBrand = intern(input.items.brand, brands);
  const cr: number[] = [], cc: number[] = [];
  for (let i = 0; i < nItems; i++) if (itemCategory[i]! >= 0) {
    cr.push(i);
    cc.push(itemCategory[i]!);
  }
  const itemCategories = csrFromTriples(nItems, Math.max(1, categories.length), cr, cc);
  const itemText = input.items.name.map((n, i) => [n, ...(input.items.tags[i] ?? [])].join(' '));
  const itemTokens = Array.from({ length: nItems }, (_, i) => {
    const t: string[] = [];
    if (itemCategory[i]! >= 0) t.push(`category:${itemCategory[i]}`);
    if (itemBrand[i]! >= 0) t.push(`brand:${itemBrand[i]}`);
    return t;
  });
  return {
    data: { train, trainTimes, side: { friends, itemText, itemTokens, itemCategories } },
    orders, orderTimes, shares, kinds, asOf, categories, brands, itemCategory, itemBrand,
  };
}

/** Indices into `table` (filled with the distinct non-empty values); -1 for empty. */
function intern(values: string[], table: string[]): Int32Array {
  const ids = new Map<string, number>();
  return Int32Array.from(values, (v) => {
    if (!v) return -1;
    let id = ids.get(v);
    if (id === undefined) ids.set(v, (id = table.push(v) - 1));
    return id;
  });
}

function orBits(m: Csr, user: Int32Array, item: Int32Array, kind: Uint8Array) {
  m.data.fill(0);
  for (let e = 0; e < user.length; e++) {
    const u = user[e]!;
    let lo = m.indptr[u]!, hi = m.indptr[u + 1]! - 1;
    const c = item[e]!;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = m.indices[mid]!;
      if (v === c) {
        m.data[mid] = m.data[mid]! | (1 << kind[e]!);
        break;
      }
      if (v < c) lo = mid + 1;
      else hi = mid - 1;
    }
  }
}
