import { sourceBit, type Reason } from './types.ts';

/** A recommendation on its way out: item index, relevance, sources mask, reason. */
export interface Candidate {
  item: number;
  score: number;
  sources: number;
  reason: Reason;
  /** The reason as the pool stored it (R code and its argument), when it came from a pool. */
  code?: number;
  arg?: number;
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

/** Reason codes as stored in a pool (the reason's number argument beside it). */
export const R = {
  FriendsBought: 0, FriendsShared: 1, BecauseViewed: 2, Session: 3, AlsoViewed: 4, Similar: 5, BoughtTogether: 6, NewItem: 7, ForYou: 8, Popular: 9, PopularCategory: 10, Pinned: 11, External: 12, PopularGroup: 13,
} as const;

const PINNED = sourceBit('pinned');
const BOOST = sourceBit('boost');
/** Redundancy of an item for diversity: its category already shown 0.7, its brand already shown 0.3. */
const CAT_SIM = 0.7, BRAND_SIM = 0.3;

interface Scratch {
  eligible: Uint8Array;
  order: Int32Array;
  cats: Int32Array;
  brands: Int32Array;
  rel: Float64Array;
  used: Uint8Array;
  shown: () => Shown;
}

/**
 * The categories and brands already shown in this list (generation-stamped marks, reused across
 * requests). An item's redundancy is 0.7 when its category is shown, plus 0.3 when its brand is.
 */
class Shown {
  private cat: Uint32Array<ArrayBuffer> = new Uint32Array(64);
  private brand: Uint32Array<ArrayBuffer> = new Uint32Array(64);
  private gen = 0;
  reset(): Shown {
    if (++this.gen === 0xffffffff) {
      this.cat.fill(0);
      this.brand.fill(0);
      this.gen = 1;
    }
    return this;
  }
  add(cat: number, brand: number): void {
    if (cat >= 0) {
      if (cat >= this.cat.length) this.cat = grown(this.cat, cat);
      this.cat[cat] = this.gen;
    }
    if (brand >= 0) {
      if (brand >= this.brand.length) this.brand = grown(this.brand, brand);
      this.brand[brand] = this.gen;
    }
  }
  redundancy(cat: number, brand: number): number {
    return (cat >= 0 && this.cat[cat] === this.gen ? CAT_SIM : 0) + (brand >= 0 && this.brand[brand] === this.gen ? BRAND_SIM : 0);
  }
}

function grown(a: Uint32Array, index: number): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(Math.max(index + 1, a.length * 2));
  b.set(a);
  return b;
}

/**
 * Candidates of one request, deduplicated by item as they are added (the best score and its
 * reason win; sources are merged). Struct of arrays, reused across requests: serving is
 * synchronous, so one pool per model serves every request without allocating per candidate.
 */
export class CandidatePool {
  item = new Int32Array(256);
  score = new Float64Array(256);
  src = new Int32Array(256);
  code = new Uint8Array(256);
  arg = new Int32Array(256);
  size = 0;
  private slot: Int32Array;
  private stamp: Uint32Array;
  private gen = 1;
  private sc: Scratch | null = null;

  constructor(nItems: number) {
    this.slot = new Int32Array(nItems);
    this.stamp = new Uint32Array(nItems);
  }

  reset(): void {
    this.size = 0;
    if (++this.gen === 0xffffffff) {
      this.stamp.fill(0);
      this.gen = 1;
    }
  }

  has(i: number): boolean {
    return this.stamp[i] === this.gen;
  }

  /** The pool index of item i, or -1. */
  slotOf(i: number): number {
    return this.stamp[i] === this.gen ? this.slot[i]! : -1;
  }

  add(i: number, score: number, src: number, code: number, arg: number): void {
    if (!(score === score)) return;
    if (this.stamp[i] === this.gen) {
      const k = this.slot[i]!;
      if (score > this.score[k]!) {
        this.score[k] = score;
        this.code[k] = code;
        this.arg[k] = arg;
      }
      this.src[k] = this.src[k]! | src;
      return;
    }
    if (this.size === this.item.length) this.grow();
    const k = this.size++;
    this.stamp[i] = this.gen;
    this.slot[i] = k;
    this.item[k] = i;
    this.score[k] = score;
    this.src[k] = src;
    this.code[k] = code;
    this.arg[k] = arg;
  }

  /** Per-request work arrays as large as the pool. */
  scratch(): Scratch {
    const cap = this.item.length;
    if (!this.sc || this.sc.order.length < cap) {
      const shown = this.sc ? this.sc.shown() : new Shown();
      this.sc = { eligible: new Uint8Array(cap), order: new Int32Array(cap), cats: new Int32Array(cap), brands: new Int32Array(cap), rel: new Float64Array(cap), used: new Uint8Array(cap), shown: () => shown.reset() };
    }
    return this.sc;
  }

  private grow() {
    const n = this.item.length * 2;
    const g = <T extends Int32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.item = g(this.item, (x) => new Int32Array(x));
    this.score = g(this.score, (x) => new Float64Array(x));
    this.src = g(this.src, (x) => new Int32Array(x));
    this.code = g(this.code, (x) => new Uint8Array(x));
    this.arg = g(this.arg, (x) => new Int32Array(x));
  }
}

/**
 * The business rules' final ranking over a pool. Guarantees (property-tested):
 * - every item returned is eligible, and appears once;
 * - the eligible pinned items come first, in their order;
 * - among the others no category holds more than maxPerCategory items, no brand more than
 *   maxPerBrand (fewer items are returned rather than breaking a cap);
 * - with diversity 0 the others are in boosted-score order; with diversity d > 0 they are picked
 *   greedily by maximal marginal relevance, (1 − d)·relevance − d·redundancy (relevance = score
 *   / best score; redundancy 0.7 when the item's category is already shown, + 0.3 when its
 *   brand is), among the 3n most relevant eligible
 *   candidates (at least 40; all of them when a cap is set). With d = 1 every category present
 *   among those appears before any repeats one.
 *
 * `reason(code, arg)` turns a pool entry's reason into a Reason (only for the items returned).
 */
export function rankPool(pool: CandidatePool, spec: RankSpec, n: number, reason: (code: number, arg: number) => Reason): Candidate[] {
  const out: Candidate[] = [];
  const size = pool.size;
  const sc = pool.scratch();
  const eligible = sc.eligible;
  let top = 0;
  for (let k = 0; k < size; k++) {
    const ok = spec.isEligible(pool.item[k]!);
    eligible[k] = ok ? 1 : 0;
    if (ok && pool.score[k]! > top) top = pool.score[k]!;
  }
  let pinnedSeen: Set<number> | null = null;
  for (let k = 0; k < spec.pinned.length && out.length < n; k++) {
    const i = spec.pinned[k]!;
    if ((pinnedSeen && pinnedSeen.has(i)) || !spec.isEligible(i)) continue;
    (pinnedSeen ??= new Set()).add(i);
    let src = PINNED, score = top;
    const q = pool.slotOf(i);
    if (q >= 0) {
      src |= pool.src[q]!;
      score = Math.max(top, pool.score[q]!);
      eligible[q] = 0;
    }
    out.push({ item: i, score, sources: src, reason: { code: 'pinned' }, code: R.Pinned, arg: 0 });
  }
  // the others by boosted score, best first (ties: lower item first): insertion sort, pools are small
  const order = sc.order;
  let m = 0;
  for (let k = 0; k < size; k++) {
    if (!eligible[k]) continue;
    if (spec.boost) {
      const f = spec.boost(pool.item[k]!);
      if (f !== 1) {
        pool.score[k] = pool.score[k]! * f;
        if (f > 1) pool.src[k] = pool.src[k]! | BOOST;
      }
    }
    const s = pool.score[k]!, it = pool.item[k]!;
    let x = m++;
    while (x > 0) {
      const prev = order[x - 1]!;
      const ps = pool.score[prev]!;
      if (ps > s || (ps === s && pool.item[prev]! < it)) break;
      order[x] = prev;
      x--;
    }
    order[x] = k;
  }
  const d = Math.min(1, Math.max(0, spec.diversity));
  const capsOn = spec.maxPerCategory > 0 || spec.maxPerBrand > 0;
  const counts: Counts = { cat: null, brand: null };
  if (d === 0) {
    for (let x = 0; x < m && out.length < n; x++) {
      const k = order[x]!;
      if (capsOn && capped(spec, counts, pool.item[k]!)) continue;
      out.push(entry(pool, k, reason));
      if (capsOn) count(spec, counts, pool.item[k]!);
    }
    return out;
  }
  // MMR over the most relevant: the 3n best (at least 40) when no cap can skip items, all otherwise
  if (!capsOn) m = Math.min(m, Math.max(3 * n, 40));
  const best = m ? Math.max(pool.score[order[0]!]!, 1e-12) : 1;
  const { cats, brands, rel, used } = sc;
  for (let x = 0; x < m; x++) {
    const i = pool.item[order[x]!]!;
    cats[x] = spec.category[i] ?? -1;
    brands[x] = spec.brand[i] ?? -1;
    rel[x] = (1 - d) * (pool.score[order[x]!]! / best);
    used[x] = 0;
  }
  const shown = sc.shown();
  for (const c of out) shown.add(spec.category[c.item] ?? -1, spec.brand[c.item] ?? -1);
  while (out.length < n) {
    let pick = -1, pickVal = -Infinity;
    for (let x = 0; x < m; x++) {
      if (used[x]) continue;
      // relevance is sorted and redundancy only subtracts: nothing further on can win
      if (rel[x]! <= pickVal) break;
      if (capsOn && capped(spec, counts, pool.item[order[x]!]!)) {
        used[x] = 1;
        continue;
      }
      const v = rel[x]! - d * shown.redundancy(cats[x]!, brands[x]!);
      if (v > pickVal) {
        pickVal = v;
        pick = x;
      }
    }
    if (pick < 0) break;
    used[pick] = 1;
    const k = order[pick]!;
    out.push(entry(pool, k, reason));
    if (capsOn) count(spec, counts, pool.item[k]!);
    shown.add(cats[pick]!, brands[pick]!);
  }
  return out;
}

type Counts = { cat: Map<number, number> | null; brand: Map<number, number> | null };

function entry(pool: CandidatePool, k: number, reason: (code: number, arg: number) => Reason): Candidate {
  const code = pool.code[k]!, arg = pool.arg[k]!;
  return { item: pool.item[k]!, score: pool.score[k]!, sources: pool.src[k]!, reason: reason(code, arg), code, arg };
}

function capped(spec: RankSpec, c: Counts, i: number): boolean {
  const cat = spec.category[i] ?? -1, br = spec.brand[i] ?? -1;
  return (spec.maxPerCategory > 0 && cat >= 0 && (c.cat?.get(cat) ?? 0) >= spec.maxPerCategory) ||
    (spec.maxPerBrand > 0 && br >= 0 && (c.brand?.get(br) ?? 0) >= spec.maxPerBrand);
}

function count(spec: RankSpec, c: Counts, i: number): void {
  const cat = spec.category[i] ?? -1, br = spec.brand[i] ?? -1;
  if (cat >= 0) (c.cat ??= new Map()).set(cat, (c.cat.get(cat) ?? 0) + 1);
  if (br >= 0) (c.brand ??= new Map()).set(br, (c.brand.get(br) ?? 0) + 1);
}

/** rankPool over a list of candidates (each keeps its own reason). */
export function rankWithRules(candidates: Candidate[], spec: RankSpec, n: number): Candidate[] {
  let nItems = 0;
  for (const c of candidates) nItems = Math.max(nItems, c.item + 1);
  for (let k = 0; k < spec.pinned.length; k++) nItems = Math.max(nItems, spec.pinned[k]! + 1);
  const pool = new CandidatePool(nItems);
  candidates.forEach((c, k) => pool.add(c.item, c.score, c.sources, R.External, k));
  return rankPool(pool, spec, n, (_code, k) => candidates[k]!.reason);
}
