/**
 * Ranking metrics for one user's top list against their held-out (relevant) items, binary
 * relevance. `isRelevant(item)` answers membership; `nRelevant` is the number of held-out items.
 *
 * - precision@K = hits / K
 * - recall@K    = hits / nRelevant
 * - ndcg@K      = DCG / IDCG, DCG = Σ_{hit at rank r (1-based)} 1/log2(r + 1), IDCG over min(K, nRelevant) hits
 * - map@K       = (Σ_{hit at rank r} precision@r) / min(K, nRelevant)
 * - hit@K       = 1 if any hit
 */
export interface UserMetrics {
  precision: number;
  recall: number;
  ndcg: number;
  map: number;
  hit: number;
}

export function userMetrics(rec: ArrayLike<number>, k: number, isRelevant: (item: number) => boolean, nRelevant: number): UserMetrics {
  let hits = 0, dcg = 0, ap = 0;
  const n = Math.min(k, rec.length);
  for (let r = 0; r < n; r++) {
    if (!isRelevant(rec[r]!)) continue;
    hits++;
    dcg += 1 / Math.log2(r + 2);
    ap += hits / (r + 1);
  }
  const ideal = Math.min(k, nRelevant);
  let idcg = 0;
  for (let r = 0; r < ideal; r++) idcg += 1 / Math.log2(r + 2);
  return {
    precision: hits / k,
    recall: nRelevant > 0 ? hits / nRelevant : 0,
    ndcg: idcg > 0 ? dcg / idcg : 0,
    map: ideal > 0 ? ap / ideal : 0,
    hit: hits > 0 ? 1 : 0,
  };
}

/** NDCG@k alone (the hybrid's tuning objective). */
export function ndcgAt(rec: ArrayLike<number>, k: number, isRelevant: (item: number) => boolean, nRelevant: number): number {
  return userMetrics(rec, k, isRelevant, nRelevant).ndcg;
}

/** Share of the catalog appearing in at least one list's top k. */
export function catalogCoverage(lists: ArrayLike<number>[], k: number, nItems: number): number {
  const seen = new Uint8Array(nItems);
  let n = 0;
  for (const l of lists) {
    for (let r = 0; r < Math.min(k, l.length); r++) {
      if (seen[l[r]!]) continue;
      seen[l[r]!] = 1;
      n++;
    }
  }
  return nItems > 0 ? n / nItems : 0;
}

/**
 * Mean self-information of recommended items: −log2(share of training users having the item),
 * averaged over the top k of every list (higher = less popular items).
 */
export function novelty(lists: ArrayLike<number>[], k: number, itemUsers: ArrayLike<number>, nUsers: number): number {
  let sum = 0, n = 0;
  for (const l of lists) {
    for (let r = 0; r < Math.min(k, l.length); r++) {
      const c = itemUsers[l[r]!]!;
      if (c <= 0) continue;
      sum += -Math.log2(c / nUsers);
      n++;
    }
  }
  return n > 0 ? sum / n : 0;
}

/**
 * Intra-list diversity: the mean over lists of the mean pairwise dissimilarity 1 − sim(i, j)
 * of the top k. `sim` is given per list by `pairSims(list)` (a k×k row-major matrix, so each
 * source can compute a list's pairs its own efficient way).
 */
export function intraListDiversity(lists: ArrayLike<number>[], k: number, pairSims: (list: Int32Array) => Float64Array): number {
  let sum = 0, n = 0;
  for (const l of lists) {
    const m = Math.min(k, l.length);
    if (m < 2) continue;
    const top = Int32Array.from({ length: m }, (_, r) => l[r]!);
    const s = pairSims(top);
    let d = 0;
    for (let a = 0; a < m; a++) for (let b = a + 1; b < m; b++) d += 1 - s[a * m + b]!;
    sum += d / ((m * (m - 1)) / 2);
    n++;
  }
  return n > 0 ? sum / n : 0;
}
