import { sourceBit, type Reason } from './types.ts';

/** A recommendation on its way out: item index, relevance, sources mask, reason. */
export interface Candidate {
  item: number;
  score: number;
  sources: number;
  reason: Reason;
}

/** What the final ranking needs to know, independent of where the candidates came from. */
export interface RankSpec {
  /** False = never shown (excluded, out of stock, outside the price band, bought within the window, ...). */
  isEligible: (item: number) => boolean;
  /** Score multiplier (boosts); absent = 1. */
  boost?: (item: number) => number;
  /** Shown first, in this order, when eligible. */
  pinned: ArrayLike<number>;
  /** MMR trade-off: 0 = by relevance only, 1 = diversity first. */
  diversity: number;
  /** Caps per category / brand among the non-pinned items (0 = none). */
  maxPerCategory: number;
  maxPerBrand: number;
  /** Category and brand per item (-1 = none): what diversity is measured on. */
  category: ArrayLike<number>;
  brand: ArrayLike<number>;
}

const PINNED = sourceBit('pinned');
const BOOST = sourceBit('boost');
/** Similarity of two items for diversity: same category 0.7, same brand 0.3. */
const CAT_SIM = 0.7, BRAND_SIM = 0.3;

/**
 * The business rules' final ranking. Guarantees (property-tested):
 * - every item returned is eligible, and appears once;
 * - the eligible pinned items come first, in their order;
 * - among the others no category holds more than maxPerCategory items, no brand more than
 *   maxPerBrand (fewer items are returned rather than breaking a cap);
 * - with diversity 0 the others are in boosted-score order; with diversity d > 0 they are picked
 *   greedily by maximal marginal relevance, (1 − d)·relevance − d·max similarity to the items
 *   already shown (relevance = score / best score). With d = 1 every category present among the
 *   eligible candidates appears before any repeats one.
 */
export function rankWithRules(pool: Candidate[], spec: RankSpec, n: number): Candidate[] {
  const byItem = new Map<number, Candidate>();
  for (const c of pool) {
    if (!(c.score === c.score) || !spec.isEligible(c.item)) continue;
    const prev = byItem.get(c.item);
    if (!prev) byItem.set(c.item, { ...c });
    else if (c.score > prev.score) byItem.set(c.item, { ...c, sources: c.sources | prev.sources });
    else prev.sources |= c.sources;
  }
  const out: Candidate[] = [];
  const shown = new Set<number>();
  let top = 0;
  for (const c of byItem.values()) top = Math.max(top, c.score);
  for (let k = 0; k < spec.pinned.length && out.length < n; k++) {
    const i = spec.pinned[k]!;
    if (shown.has(i) || !spec.isEligible(i)) continue;
    const c = byItem.get(i);
    out.push({ item: i, score: Math.max(top, c?.score ?? 0), sources: (c?.sources ?? 0) | PINNED, reason: { code: 'pinned' } });
    shown.add(i);
  }
  const rest: Candidate[] = [];
  for (const c of byItem.values()) {
    if (shown.has(c.item)) continue;
    const f = spec.boost ? spec.boost(c.item) : 1;
    if (f !== 1) {
      c.score *= f;
      if (f > 1) c.sources |= BOOST;
    }
    rest.push(c);
  }
  rest.sort((a, b) => b.score - a.score || a.item - b.item);
  const d = Math.min(1, Math.max(0, spec.diversity));
  const catCount = new Map<number, number>(), brandCount = new Map<number, number>();
  const capped = (c: Candidate) => {
    const cat = spec.category[c.item] ?? -1, br = spec.brand[c.item] ?? -1;
    return (spec.maxPerCategory > 0 && cat >= 0 && (catCount.get(cat) ?? 0) >= spec.maxPerCategory) ||
      (spec.maxPerBrand > 0 && br >= 0 && (brandCount.get(br) ?? 0) >= spec.maxPerBrand);
  };
  const take = (c: Candidate) => {
    out.push(c);
    const cat = spec.category[c.item] ?? -1, br = spec.brand[c.item] ?? -1;
    if (cat >= 0) catCount.set(cat, (catCount.get(cat) ?? 0) + 1);
    if (br >= 0) brandCount.set(br, (brandCount.get(br) ?? 0) + 1);
  };
  if (d === 0) {
    for (const c of rest) {
      if (out.length >= n) break;
      if (!capped(c)) take(c);
    }
    return out;
  }
  const best = rest.length ? Math.max(rest[0]!.score, 1e-12) : 1;
  const maxSim = new Float64Array(rest.length);
  const used = new Uint8Array(rest.length);
  const simTo = (j: number, i: number) => {
    const cj = spec.category[j] ?? -1, bj = spec.brand[j] ?? -1;
    return (cj >= 0 && cj === (spec.category[i] ?? -1) ? CAT_SIM : 0) + (bj >= 0 && bj === (spec.brand[i] ?? -1) ? BRAND_SIM : 0);
  };
  for (const s of out) for (let k = 0; k < rest.length; k++) maxSim[k] = Math.max(maxSim[k]!, simTo(rest[k]!.item, s.item));
  while (out.length < n) {
    let pick = -1, pickVal = -Infinity;
    for (let k = 0; k < rest.length; k++) {
      if (used[k]) continue;
      if (capped(rest[k]!)) {
        used[k] = 1;
        continue;
      }
      const v = (1 - d) * (rest[k]!.score / best) - d * maxSim[k]!;
      if (v > pickVal) {
        pickVal = v;
        pick = k;
      }
    }
    if (pick < 0) break;
    used[pick] = 1;
    const c = rest[pick]!;
    take(c);
    for (let k = 0; k < rest.length; k++) if (!used[k]) maxSim[k] = Math.max(maxSim[k]!, simTo(rest[k]!.item, c.item));
  }
  return out;
}
