/**
 * Mean silhouette (Rousseeuw 1987) with Euclidean distance, as scikit-learn computes it:
 * s(i) = (b − a) / max(a, b), a = mean distance to the other members of i's cluster, b = the
 * smallest mean distance to another cluster's members; s(i) = 0 when i is alone in its cluster.
 * Several labelings of the same points are scored in one pass (each pair distance computed once).
 */
export function meanSilhouettes(points: Float64Array, n: number, d: number, labelings: ReadonlyArray<{ labels: ArrayLike<number>; k: number }>): number[] {
  const L = labelings.length;
  // sums[l][i * k + c]: total distance from i to the members of cluster c under labeling l.
  const sums = labelings.map((x) => new Float64Array(n * x.k));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) {
        const x = points[i * d + c]! - points[j * d + c]!;
        s += x * x;
      }
      const dist = Math.sqrt(s);
      for (let l = 0; l < L; l++) {
        const { labels, k } = labelings[l]!;
        const t = sums[l]!;
        t[i * k + labels[j]!]! += dist;
        t[j * k + labels[i]!]! += dist;
      }
    }
  }
  return labelings.map(({ labels, k }, l) => {
    const sizes = new Float64Array(k);
    for (let i = 0; i < n; i++) sizes[labels[i]!]!++;
    const t = sums[l]!;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const own = labels[i]!;
      if (sizes[own]! <= 1) continue;
      const a = t[i * k + own]! / (sizes[own]! - 1);
      let b = Infinity;
      for (let c = 0; c < k; c++) if (c !== own && sizes[c]! > 0) b = Math.min(b, t[i * k + c]! / sizes[c]!);
      if (!Number.isFinite(b)) continue;
      const m = Math.max(a, b);
      total += m > 0 ? (b - a) / m : 0;
    }
    return n ? total / n : 0;
  });
}
