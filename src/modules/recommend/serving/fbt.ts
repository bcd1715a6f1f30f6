import type { Csr } from '../sparse.ts';
import { keepLargest, RowBuilder } from '../models/cooccur.ts';

export interface FbtOptions {
  /** A rule needs the pair in at least this many baskets. */
  minSupportCount: number;
  minConfidence: number;
  /** Only rules with lift above this (1 = more often together than by chance). */
  minLift: number;
  /** Rules kept per antecedent (the most confident). */
  maxPerItem: number;
  /** Items of a basket beyond this many are ignored (huge baskets say little about pairs). */
  maxBasket: number;
}

export const FBT_DEFAULTS: FbtOptions = { minSupportCount: 2, minConfidence: 0.01, minLift: 1, maxPerItem: 30, maxBasket: 50 };

export interface FbtRules {
  /** items × items: row i holds the rules i → j, value = confidence P(j | i). */
  confidence: Csr;
  /** Lift P(j | i) / P(j) per stored rule (aligned with confidence). */
  lift: Float32Array;
  /** Baskets holding both, per stored rule. */
  support: Float32Array;
  baskets: number;
}

/**
 * Frequently bought together: association rules i → j over order baskets, with support (baskets
 * holding both), confidence P(j | i) = support / baskets(i) and lift confidence / P(j). Rules
 * have one antecedent and one consequent, so counting the frequent pairs directly is exactly what
 * FP-Growth would mine at this itemset size; larger bundles are composed at request time by
 * summing the rules of each cart item.
 */
export function associationRules(ptr: Int32Array, items: Int32Array, nItems: number, options: Partial<FbtOptions> = {}): FbtRules {
  const o = { ...FBT_DEFAULTS, ...options };
  const nBaskets = ptr.length - 1;
  const single = new Float64Array(nItems);
  const pairs: Array<Map<number, number> | undefined> = new Array(nItems);
  for (let b = 0; b < nBaskets; b++) {
    const a = ptr[b]!, e = Math.min(ptr[b + 1]!, ptr[b]! + o.maxBasket);
    for (let p = a; p < e; p++) {
      const i = items[p]!;
      single[i] = single[i]! + 1;
      for (let q = a; q < e; q++) {
        if (q === p) continue;
        const j = items[q]!;
        const m = (pairs[i] ??= new Map());
        m.set(j, (m.get(j) ?? 0) + 1);
      }
    }
  }
  const rows = new RowBuilder();
  const lifts: number[] = [], supports: number[] = [];
  const cols = new Int32Array(nItems), vals = new Float64Array(nItems);
  for (let i = 0; i < nItems; i++) {
    const m = pairs[i];
    let n = 0;
    if (m) {
      for (const [j, c] of m) {
        if (c < o.minSupportCount) continue;
        const conf = c / single[i]!;
        const lift = conf / (single[j]! / nBaskets);
        if (conf < o.minConfidence || lift <= o.minLift) continue;
        cols[n] = j;
        vals[n] = conf;
        n++;
      }
    }
    n = keepLargest(cols, vals, n, o.maxPerItem);
    // best first within the row (the order serving reads them in)
    const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => vals[b]! - vals[a]! || cols[a]! - cols[b]!);
    const rc = Int32Array.from(order, (k) => cols[k]!), rv = Float64Array.from(order, (k) => vals[k]!);
    rows.push(rc, rv, n);
    for (let k = 0; k < n; k++) {
      const j = rc[k]!, c = m!.get(j)!;
      supports.push(c);
      lifts.push(rv[k]! / (single[j]! / nBaskets));
    }
  }
  return { confidence: rows.build(nItems, nItems), lift: Float32Array.from(lifts), support: Float32Array.from(supports), baskets: nBaskets };
}
