import { Rng } from '../../platform/rng.ts';

/**
 * k-means (Lloyd's algorithm) with k-means++ seeding, deterministic for a seed.
 * Points are a row-major Float64Array of n rows × d columns. Squared Euclidean distance; a point
 * equally near two centroids goes to the lower index. An empty cluster is re-seeded with the point
 * farthest from its centroid. Lloyd stops when no label changes, when the centroids move less
 * than `tolerance` (sum of squared shifts; the inputs are standardised), or after `maxIterations`.
 * The best of `nInit` seeded runs (lowest inertia) is kept.
 */

export interface KMeansResult {
  k: number;
  /** k × d, row-major. */
  centroids: Float64Array;
  labels: Int32Array;
  /** Sum of squared distances of the points to their centroids. */
  inertia: number;
  iterations: number;
}

export interface KMeansOptions {
  seed?: number;
  nInit?: number;
  maxIterations?: number;
  tolerance?: number;
}

/** Squared distance between row i of `a` and row j of `b` (both d columns). */
export function sqDist(a: Float64Array, i: number, b: Float64Array, j: number, d: number): number {
  let s = 0;
  const oi = i * d;
  const oj = j * d;
  for (let c = 0; c < d; c++) {
    const x = a[oi + c]! - b[oj + c]!;
    s += x * x;
  }
  return s;
}

/** Index of the nearest centroid to row i of `points` (ties: the lower index) and its squared distance. */
export function nearest(points: Float64Array, i: number, centroids: Float64Array, k: number, d: number): [number, number] {
  let best = 0;
  let bestD = Infinity;
  for (let c = 0; c < k; c++) {
    const dist = sqDist(points, i, centroids, c, d);
    if (dist < bestD) {
      bestD = dist;
      best = c;
    }
  }
  return [best, bestD];
}

/** k-means++ seeding: the first centre uniformly, each next one with probability ∝ D(x)². */
export function kmeansPlusPlus(points: Float64Array, n: number, d: number, k: number, rng: Rng): Float64Array {
  const centroids = new Float64Array(k * d);
  const copy = (c: number, i: number) => centroids.set(points.subarray(i * d, i * d + d), c * d);
  copy(0, rng.int(n));
  const dmin = new Float64Array(n);
  for (let i = 0; i < n; i++) dmin[i] = sqDist(points, i, centroids, 0, d);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) total += dmin[i]!;
    let pick = rng.int(n);
    if (total > 0) {
      let r = rng.next() * total;
      for (let i = 0; i < n; i++) {
        r -= dmin[i]!;
        if (r < 0) {
          pick = i;
          break;
        }
        if (i === n - 1) pick = i;
      }
    }
    copy(c, pick);
    for (let i = 0; i < n; i++) {
      const x = sqDist(points, i, centroids, c, d);
      if (x < dmin[i]!) dmin[i] = x;
    }
  }
  return centroids;
}

/** Lloyd iterations from the given centroids (stopping rules above). */
export function lloyd(points: Float64Array, n: number, d: number, k: number, init: Float64Array, maxIterations = 100, tolerance = 1e-4): KMeansResult {
  const centroids = Float64Array.from(init);
  const labels = new Int32Array(n).fill(-1);
  const dist = new Float64Array(n);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      let c = 0;
      let dd = Infinity;
      for (let cc = 0; cc < k; cc++) {
        const x = sqDist(points, i, centroids, cc, d);
        if (x < dd) {
          dd = x;
          c = cc;
        }
      }
      dist[i] = dd;
      if (labels[i] !== c) {
        labels[i] = c;
        changed++;
      }
    }
    if (changed === 0) break;
    const sums = new Float64Array(k * d);
    const counts = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      const c = labels[i]!;
      counts[c]!++;
      for (let j = 0; j < d; j++) sums[c * d + j]! += points[i * d + j]!;
    }
    const taken = new Set<number>();
    let shift = 0;
    for (let c = 0; c < k; c++) {
      if (counts[c]! > 0) {
        for (let j = 0; j < d; j++) {
          const x = sums[c * d + j]! / counts[c]!;
          shift += (x - centroids[c * d + j]!) ** 2;
          centroids[c * d + j] = x;
        }
        continue;
      }
      shift = Infinity;
      // Empty cluster: move it to the point farthest from its centroid (not already used).
      let far = -1;
      for (let i = 0; i < n; i++) if (!taken.has(i) && (far < 0 || dist[i]! > dist[far]!)) far = i;
      if (far >= 0) {
        taken.add(far);
        dist[far] = 0;
        centroids.set(points.subarray(far * d, far * d + d), c * d);
      }
    }
    if (shift < tolerance) break;
  }
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    const [c, dd] = nearest(points, i, centroids, k, d);
    labels[i] = c;
    inertia += dd;
  }
  return { k, centroids, labels, inertia, iterations };
}

/** k-means: the best of `nInit` k-means++ seeded Lloyd runs (lowest inertia; ties: the earlier run). */
export function kmeans(points: Float64Array, n: number, d: number, k: number, opts: KMeansOptions = {}): KMeansResult {
  if (k < 1 || k > n) throw new RangeError(`k must be in 1..${n}`);
  const rng = new Rng(opts.seed ?? 42);
  let best: KMeansResult | null = null;
  for (let run = 0; run < (opts.nInit ?? 4); run++) {
    const init = kmeansPlusPlus(points, n, d, k, rng);
    const r = lloyd(points, n, d, k, init, opts.maxIterations, opts.tolerance);
    if (!best || r.inertia < best.inertia) best = r;
  }
  return best!;
}
