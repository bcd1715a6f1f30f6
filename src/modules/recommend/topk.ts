/**
 * Top-k selection over a dense score vector: the k highest scores, best first, skipping
 * excluded indices and non-finite scores; ties go to the lower index (deterministic).
 */
export function topK(scores: ArrayLike<number>, k: number, exclude?: (i: number) => boolean, candidates?: ArrayLike<number>): Int32Array {
  const idx = new Int32Array(k);
  const val = new Float64Array(k);
  let n = 0;
  const m = candidates ? candidates.length : scores.length;
  for (let c = 0; c < m; c++) {
    const i = candidates ? candidates[c]! : c;
    const s = scores[i]!;
    if (!(s > -Infinity) || s !== s) continue;
    if (n === k && !(s > val[k - 1]! || (s === val[k - 1]! && i < idx[k - 1]!))) continue;
    if (exclude && exclude(i)) continue;
    let p = n < k ? n++ : k - 1;
    while (p > 0 && (s > val[p - 1]! || (s === val[p - 1]! && i < idx[p - 1]!))) {
      val[p] = val[p - 1]!;
      idx[p] = idx[p - 1]!;
      p--;
    }
    val[p] = s;
    idx[p] = i;
  }
  return n === k ? idx : idx.slice(0, n);
}
