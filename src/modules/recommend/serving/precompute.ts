import { transpose, type Csr } from '../sparse.ts';
import { topK } from '../topk.ts';
import type { Recommender } from '../models/types.ts';
import type { ContentRecommender } from '../models/content.ts';
import type { ItemKnnRecommender } from '../models/itemknn.ts';
import type { PopularRecommender } from '../models/popular.ts';
import type { SessionRecommender } from '../models/session.ts';
import { SparseBlend } from './blend.ts';
import { associationRules } from './fbt.ts';
import type { TrainingInput } from './input.ts';
import type { Prepared } from './prepare.ts';
import type { PrecomputedArrays } from './snapshot.ts';
import { sourceBit, type SourceName } from './types.ts';

export interface Component {
  name: string;
  weight: number;
  model: Recommender;
}

export interface PrecomputeOptions {
  /** Recommendations kept per user. */
  candidates: number;
  /** Per-model top list length kept for the inspector (0 = none). */
  topK: number;
  /** Related items kept per item. */
  neighbours: number;
  popular: PopularRecommender;
  itemknn?: ItemKnnRecommender;
  session?: SessionRecommender;
  content?: ContentRecommender;
  /** A new item: first seen within this many days of the data's end and with fewer than `newItemUsers` users. */
  newItemDays: number;
  newItemUsers: number;
  /** New items added to each user's list (by content similarity), and the rank they are placed at. */
  newItemsPerUser: number;
  newItemRank: number;
  /** Users given a precomputed list (default all with history or friends). */
  precomputeUser?: (u: number) => boolean;
  /** Called every few hundred users (progress; a chance to yield). */
  onUsers?: (done: number, total: number) => Promise<void> | void;
}

const HISTORY = 50;
/** A component counts as a source of an item when its contribution is at least this share of the largest one. */
const SOURCE_SHARE = 0.3;

/**
 * Precomputes what serving reads: per user the hybrid's top list (with the components that
 * contributed, the history item it hangs on, how many friends bought / shared it, and new items
 * by content similarity), each model's own top list for the inspector, the user's history and
 * purchases; per item related items (item-kNN + session co-visitation + content), frequently-
 * bought-together rules and next-item lists; and the popularity ranking.
 */
export async function precompute(
  input: TrainingInput,
  p: Prepared,
  comps: Component[],
  o: PrecomputeOptions,
): Promise<{ arrays: PrecomputedArrays; tops: { items: Int32Array; scores: Float32Array } | undefined; topModels: string[]; usersWithLists: number; fbtRules: number }> {
  const x = p.data.train, nUsers = x.nRows, nItems = x.nCols;
  const friends = p.data.side.friends!;

  // --- popularity
  const pop = o.popular.popularity();
  const popScore = Float32Array.from(pop);
  const popOrder = Int32Array.from(Array.from({ length: nItems }, (_, i) => i).filter((i) => pop[i]! > 0).sort((a, b) => pop[b]! - pop[a]! || a - b));

  // --- new items
  const itemUsers = new Int32Array(nItems);
  for (let q = 0; q < x.indices.length; q++) itemUsers[x.indices[q]!]!++;
  const newItems: number[] = [];
  const cutoff = p.asOf - o.newItemDays * 86400;
  for (let i = 0; i < nItems; i++) {
    const fs = input.items.firstSeen[i]!;
    if (itemUsers[i]! < o.newItemUsers && (Number.isNaN(fs) || fs >= cutoff)) newItems.push(i);
  }
  const newMark = new Uint8Array(nItems);
  for (const i of newItems) newMark[i] = 1;
  // --- per user (keys of identified users; anonymous traffic is served by session at request time)
  const K = o.candidates, T = o.topK;
  const blend = new SparseBlend(comps, nItems);
  const topModels = T > 0 ? blend.names : [];
  const M = topModels.length;
  const tops = T > 0 ? { items: new Int32Array(nUsers * M * T).fill(-1), scores: new Float32Array(nUsers * M * T) } : undefined;
  const mark = new Uint8Array(nItems);
  const slot = new Int32Array(nItems).fill(-1);
  const bits = comps.map((c) => (isSource(c.name) ? sourceBit(c.name) : 0));
  const sims = o.itemknn?.sims ?? o.session?.neighbourRows();
  const contentIdx = comps.findIndex((c) => c.name === 'content');
  const blended = blend.blended;

  const candPtr = new Int32Array(nUsers + 1);
  const cItem: number[] = [], cScore: number[] = [], cSrc: number[] = [], cAnchor: number[] = [], cFb: number[] = [], cFs: number[] = [], cFlag: number[] = [];
  let usersWithLists = 0;
  for (let u = 0; u < nUsers; u++) {
    candPtr[u] = cItem.length;
    if (o.onUsers && u % 500 === 499) await o.onUsers(u + 1, nUsers);
    const a = x.indptr[u]!, b = x.indptr[u + 1]!;
    const hasFriends = friends.indptr[u + 1]! > friends.indptr[u]!;
    if ((a === b && !hasFriends) || !(o.precomputeUser?.(u) ?? true)) continue;
    const excluded = x.indices.subarray(a, b);
    blend.score(u, excluded);
    if (tops) {
      for (let c = 0; c < M; c++) {
        const base = (u * M + c) * T;
        blend.top(c, T).forEach((t, k) => {
          tops.items[base + k] = t.item;
          tops.scores[base + k] = t.score;
        });
      }
    }
    for (const i of excluded) mark[i] = 1;
    const cands = Array.from(topK(blended, K, (i) => mark[i] === 1));
    // new items by content similarity, placed at newItemRank
    if (contentIdx >= 0 && newItems.length && o.newItemsPerUser > 0 && a < b) {
      const cs = blend.scores(contentIdx);
      for (const i of cands) mark[i] = 2;
      const fresh = topK(cs, o.newItemsPerUser, (i) => mark[i] !== 0 || !(cs[i]! > 0), newItems);
      for (const i of cands) mark[i] = 0;
      for (const i of fresh) cands.splice(Math.min(o.newItemRank, cands.length), 0, ~i);
    }
    if (cands.length) {
      usersWithLists++;
      // scores normalised to (0.1, 1]; a new item takes its neighbour's score
      let hi = -Infinity, lo = Infinity;
      for (const c of cands) if (c >= 0) {
        hi = Math.max(hi, blended[c]!);
        lo = Math.min(lo, blended[c]!);
      }
      const start = cItem.length;
      let prev = 1;
      for (const c of cands) {
        const isNew = c < 0, i = isNew ? ~c : c;
        let score: number, src = 0;
        if (isNew) {
          score = prev * 0.999;
          src = sourceBit('content');
        } else {
          score = hi > lo ? 0.1 + (0.9 * (blended[i]! - lo)) / (hi - lo) : 1;
          let best = 0;
          for (let m = 0; m < comps.length; m++) best = Math.max(best, blend.contribution(m, i));
          for (let m = 0; m < comps.length; m++) if (best > 0 && blend.contribution(m, i) >= SOURCE_SHARE * best) src |= bits[m]!;
          if (!src) src = sourceBit('popular');
        }
        prev = score;
        slot[i] = cItem.length;
        cItem.push(i);
        cScore.push(score);
        cSrc.push(src);
        cAnchor.push(-1);
        cFb.push(0);
        cFs.push(0);
        // a new item the blend itself ranked (through content: nobody has interacted with it) is new too
        cFlag.push(isNew || (itemUsers[i] === 0 && newMark[i] === 1) ? 1 : 0);
      }
      // anchors: the history item most similar to each recommendation
      if (sims) {
        const best = new Float64Array(cItem.length - start);
        for (const i of excluded) {
          for (let q = sims.indptr[i]!; q < sims.indptr[i + 1]!; q++) {
            const s = slot[sims.indices[q]!]!;
            if (s < start) continue;
            if (sims.data[q]! > best[s - start]!) {
              best[s - start] = sims.data[q]!;
              cAnchor[s] = i;
            }
          }
        }
      }
      // friends who bought / shared it
      let seen = 0;
      for (let q = friends.indptr[u]!; q < friends.indptr[u + 1]! && seen < 500; q++, seen++) {
        const f = friends.indices[q]!;
        countFriend(p.orders, f, slot, start, cFb);
        countFriend(p.shares, f, slot, start, cFs);
      }
      for (let s = start; s < cItem.length; s++) slot[cItem[s]!] = -1;
    }
    for (const i of excluded) mark[i] = 0;
    blend.release(excluded);
  }
  candPtr[nUsers] = cItem.length;
  await o.onUsers?.(nUsers, nUsers);

  // --- history and purchases
  const histPtr = new Int32Array(nUsers + 1), purchPtr = new Int32Array(nUsers + 1);
  const hItem: number[] = [], hTs: number[] = [], hKinds: number[] = [], pItem: number[] = [], pTs: number[] = [];
  const times = p.data.trainTimes!;
  for (let u = 0; u < nUsers; u++) {
    histPtr[u] = hItem.length;
    const a = x.indptr[u]!, b = x.indptr[u + 1]!;
    const order = Array.from({ length: b - a }, (_, k) => a + k).sort((q, r) => times[r]! - times[q]! || x.indices[q]! - x.indices[r]!);
    for (const q of order.slice(0, HISTORY)) {
      hItem.push(x.indices[q]!);
      hTs.push(times[q]!);
      hKinds.push(kindBitsOf(p.kinds, u, x.indices[q]!));
    }
    purchPtr[u] = pItem.length;
    for (let q = p.orders.indptr[u]!; q < p.orders.indptr[u + 1]!; q++) {
      pItem.push(p.orders.indices[q]!);
      pTs.push(p.orderTimes[q]!);
    }
  }
  histPtr[nUsers] = hItem.length;
  purchPtr[nUsers] = pItem.length;

  // --- per item
  const nbr = itemNeighbours(nItems, o);
  const rules = associationRules(input.baskets.ptr, input.baskets.items, nItems);
  const sess = topRows(o.session?.neighbourRows(), nItems, 30);

  return {
    arrays: {
      itemCategory: p.itemCategory,
      itemBrand: p.itemBrand,
      itemPrice: input.items.price,
      itemFirstSeen: input.items.firstSeen,
      popScore,
      popOrder,
      candPtr,
      candItem: Int32Array.from(cItem),
      candScore: Float32Array.from(cScore),
      candSources: Uint16Array.from(cSrc),
      candAnchor: Int32Array.from(cAnchor),
      candFriendsBought: Uint8Array.from(cFb, (v) => Math.min(255, v)),
      candFriendsShared: Uint8Array.from(cFs, (v) => Math.min(255, v)),
      candFlags: Uint8Array.from(cFlag),
      histPtr,
      histItem: Int32Array.from(hItem),
      histTs: Float64Array.from(hTs),
      histKinds: Uint8Array.from(hKinds),
      purchPtr,
      purchItem: Int32Array.from(pItem),
      purchTs: Float64Array.from(pTs),
      nbrPtr: nbr.ptr,
      nbrItem: nbr.item,
      nbrScore: nbr.score,
      nbrSources: nbr.sources,
      fbtPtr: rules.confidence.indptr,
      fbtItem: rules.confidence.indices,
      fbtConf: rules.confidence.data,
      fbtLift: rules.lift,
      fbtSupport: rules.support,
      sessPtr: sess.ptr,
      sessItem: sess.item,
      sessScore: sess.score,
    },
    tops,
    topModels,
    usersWithLists,
    fbtRules: rules.confidence.indices.length,
  };
}

function isSource(name: string): name is SourceName {
  return ['popular', 'itemknn', 'ease', 'als', 'content', 'social', 'session'].includes(name);
}

function countFriend(m: Csr, f: number, slot: Int32Array, start: number, out: number[]) {
  if (f >= m.nRows) return;
  for (let q = m.indptr[f]!; q < m.indptr[f + 1]!; q++) {
    const s = slot[m.indices[q]!]!;
    if (s >= start) out[s] = out[s]! + 1;
  }
}

function kindBitsOf(m: Csr, u: number, i: number): number {
  let lo = m.indptr[u]!, hi = m.indptr[u + 1]! - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = m.indices[mid]!;
    if (v === i) return m.data[mid]!;
    if (v < i) lo = mid + 1;
    else hi = mid - 1;
  }
  return 0;
}

/** Each row's `k` largest entries, best first, scaled so the row's best is 1. */
function topRows(m: Csr | undefined, nRows: number, k: number): { ptr: Int32Array; item: Int32Array; score: Float32Array } {
  const ptr = new Int32Array(nRows + 1);
  const item: number[] = [], score: number[] = [];
  for (let r = 0; r < nRows; r++) {
    ptr[r] = item.length;
    if (!m || r >= m.nRows) continue;
    const a = m.indptr[r]!, b = m.indptr[r + 1]!;
    const order = Array.from({ length: b - a }, (_, q) => a + q).sort((p, q) => m.data[q]! - m.data[p]! || m.indices[p]! - m.indices[q]!).slice(0, k);
    const max = order.length ? m.data[order[0]!]! : 0;
    for (const q of order) {
      if (!(m.data[q]! > 0)) continue;
      item.push(m.indices[q]!);
      score.push(max > 0 ? m.data[q]! / max : 0);
    }
  }
  ptr[nRows] = item.length;
  return { ptr, item: Int32Array.from(item), score: Float32Array.from(score) };
}

/** Related items: item-kNN (weight 1), session co-visitation (0.8), content similarity (0.3), each row scaled to its best. */
function itemNeighbours(nItems: number, o: PrecomputeOptions): { ptr: Int32Array; item: Int32Array; score: Float32Array; sources: Uint16Array } {
  const parts: Array<{ m: Csr; w: number; bit: number }> = [];
  if (o.itemknn?.sims) parts.push({ m: o.itemknn.sims, w: 1, bit: sourceBit('itemknn') });
  const next = o.session?.neighbourRows();
  if (next) parts.push({ m: next, w: 0.8, bit: sourceBit('session') });
  const vec = o.content?.vectors;
  const post = vec ? transpose(vec) : undefined;
  const acc = new Float64Array(nItems), src = new Uint16Array(nItems), touched = new Int32Array(nItems), cacc = new Float64Array(nItems);
  const ctouched = new Int32Array(nItems);
  const ptr = new Int32Array(nItems + 1);
  const item: number[] = [], score: number[] = [], sources: number[] = [];
  for (let i = 0; i < nItems; i++) {
    ptr[i] = item.length;
    let nt = 0;
    const add = (j: number, v: number, bit: number) => {
      if (j === i || !(v > 0)) return;
      if (acc[j] === 0 && src[j] === 0) touched[nt++] = j;
      acc[j] = acc[j]! + v;
      src[j] = src[j]! | bit;
    };
    for (const { m, w, bit } of parts) {
      let max = 0;
      for (let q = m.indptr[i]!; q < m.indptr[i + 1]!; q++) max = Math.max(max, m.data[q]!);
      if (max > 0) for (let q = m.indptr[i]!; q < m.indptr[i + 1]!; q++) add(m.indices[q]!, (w * m.data[q]!) / max, bit);
    }
    if (vec && post) {
      let nc = 0, max = 0;
      for (let q = vec.indptr[i]!; q < vec.indptr[i + 1]!; q++) {
        const t = vec.indices[q]!, wt = vec.data[q]!;
        if (wt === 0) continue;
        for (let r = post.indptr[t]!; r < post.indptr[t + 1]!; r++) {
          const j = post.indices[r]!;
          if (j === i) continue;
          if (cacc[j] === 0) ctouched[nc++] = j;
          cacc[j] = cacc[j]! + wt * post.data[r]!;
        }
      }
      for (let k = 0; k < nc; k++) max = Math.max(max, cacc[ctouched[k]!]!);
      for (let k = 0; k < nc; k++) {
        const j = ctouched[k]!;
        if (max > 0 && cacc[j]! >= 0.5 * max) add(j, (0.3 * cacc[j]!) / max, sourceBit('content'));
        cacc[j] = 0;
      }
    }
    const cand = touched.subarray(0, nt);
    const top = topK(acc, o.neighbours, undefined, cand);
    const best = top.length ? acc[top[0]!]! : 0;
    for (const j of top) {
      item.push(j);
      score.push(best > 0 ? acc[j]! / best : 0);
      sources.push(src[j]!);
    }
    for (const j of cand) {
      acc[j] = 0;
      src[j] = 0;
    }
  }
  ptr[nItems] = item.length;
  return { ptr, item: Int32Array.from(item), score: Float32Array.from(score), sources: Uint16Array.from(sources) };
}
