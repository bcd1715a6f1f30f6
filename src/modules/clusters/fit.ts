import { featureDef, scalingOf, zOf, type Scaling } from './features.ts';
import { kmeans, nearest } from './kmeans.ts';
import { meanSilhouettes } from './silhouette.ts';
import { describeCluster, type ClusterDescription } from './describe.ts';
import { Rng } from '../../platform/rng.ts';

/**
 * Auto-segments: standardise the features, run k-means for each k of the range on a seeded
 * sample (≤ `fitSample` points), score each k by the mean silhouette on a sub-sample
 * (≤ `silhouetteSample`), keep the k with the highest silhouette (ties: the smaller k), then
 * assign every point to its nearest centroid. Clusters are numbered by size, largest first.
 * Deterministic: the same data, features and seed give the same model.
 */

export interface FitOptions {
  /** A fixed k (silhouette still reported for it), or the range searched (default 2..8). */
  k?: number;
  kMin?: number;
  kMax?: number;
  seed?: number;
  nInit?: number;
  fitSample?: number;
  silhouetteSample?: number;
}

export const FIT_DEFAULTS = { kMin: 2, kMax: 8, seed: 42, nInit: 4, fitSample: 50_000, silhouetteSample: 5_000 };

export interface FittedCluster {
  index: number;
  size: number;
  share: number;
  /** Mean of each feature over the members, in the trait's own units (null: no member has it). */
  centroid: Record<string, number | null>;
  /** The centroid in standardised space (the model used for assignment), one value per used feature. */
  center: number[];
  /** z-score of the members' mean against the population, per used feature. */
  zScores: Record<string, number>;
  description: ClusterDescription;
}

export interface FittedModel {
  profiles: number;
  /** Features used, with their standardisation; features constant over the population are dropped. */
  features: Scaling[];
  dropped: string[];
  silhouettes: Array<{ k: number; silhouette: number; inertia: number }>;
  chosenK: number;
  fitSample: number;
  silhouetteSample: number;
  seed: number;
  clusters: FittedCluster[];
}

/** A feature matrix: `columns[name][i]` is point i's raw value (NaN = missing). */
export interface FeatureColumns {
  n: number;
  columns: Record<string, Float64Array>;
}

export class NotEnoughData extends Error {}

/** Fits synchronously (tests, small inputs). */
export function fitAutoSegments(data: FeatureColumns, featureNames: readonly string[], options: FitOptions = {}): FittedModel {
  const steps = fitSteps(data, featureNames, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** The same fit, giving the event loop a turn after each k and after the silhouettes (server use). */
export async function fitAutoSegmentsAsync(data: FeatureColumns, featureNames: readonly string[], options: FitOptions = {}): Promise<FittedModel> {
  const steps = fitSteps(data, featureNames, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function* fitSteps(data: FeatureColumns, featureNames: readonly string[], options: FitOptions): Generator<void, FittedModel> {
  const o = { ...FIT_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as typeof FIT_DEFAULTS & FitOptions;
  const { n } = data;
  const scalings = featureNames.map((f) => scalingOf(featureDef(f), data.columns[f]!));
  const used = scalings.filter((s) => s.sd > 0);
  const dropped = scalings.filter((s) => !(s.sd > 0)).map((s) => s.name);
  const d = used.length;
  if (d === 0) throw new NotEnoughData('every feature is constant over the population');
  const kMin = o.k ?? o.kMin;
  const kMax = Math.min(o.k ?? o.kMax, n - 1);
  if (n < 3 || kMin > kMax) throw new NotEnoughData(`${n} profiles are too few for k = ${kMin}${o.k ? '' : `..${o.kMax}`} (silhouette needs k < profiles)`);

  const z = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const s = used[j]!;
    const col = data.columns[s.name]!;
    for (let i = 0; i < n; i++) z[i * d + j] = zOf(s, col[i]!);
  }

  const rng = new Rng(o.seed);
  const fitIdx = n > o.fitSample ? rng.sample(n, o.fitSample).sort() : null;
  const fitN = fitIdx ? fitIdx.length : n;
  const fitPts = fitIdx ? gather(z, d, fitIdx) : z;
  const silIdx = fitN > o.silhouetteSample ? rng.sample(fitN, o.silhouetteSample).sort() : null;
  const silN = silIdx ? silIdx.length : fitN;
  const silPts = silIdx ? gather(fitPts, d, silIdx) : fitPts;

  const runs = [];
  for (let k = kMin; k <= kMax; k++) {
    runs.push(kmeans(fitPts, fitN, d, k, { seed: o.seed + k, nInit: o.nInit }));
    yield;
  }
  const sil = meanSilhouettes(silPts, silN, d, runs.map((r) => ({ k: r.k, labels: silIdx ? Int32Array.from(silIdx, (i) => r.labels[i]!) : r.labels })));
  yield;
  let best = 0;
  for (let i = 1; i < runs.length; i++) if (sil[i]! > sil[best]! + 1e-12) best = i;
  const chosen = runs[best]!;
  const k = chosen.k;

  // Number clusters by size on the fit sample (largest first; ties by the old index).
  const sampleSizes = new Int32Array(k);
  for (const l of chosen.labels) sampleSizes[l]!++;
  const order = Array.from({ length: k }, (_, c) => c).sort((a, b) => sampleSizes[b]! - sampleSizes[a]! || a - b);
  const centers = new Float64Array(k * d);
  order.forEach((old, c) => centers.set(chosen.centroids.subarray(old * d, old * d + d), c * d));

  const sizes = new Float64Array(k);
  const zSum = new Float64Array(k * d);
  const rawSum = new Float64Array(k * d);
  const rawN = new Float64Array(k * d);
  for (let i = 0; i < n; i++) {
    const [c] = nearest(z, i, centers, k, d);
    sizes[c]!++;
    for (let j = 0; j < d; j++) {
      zSum[c * d + j]! += z[i * d + j]!;
      const v = data.columns[used[j]!.name]![i]!;
      if (!Number.isNaN(v)) {
        rawSum[c * d + j]! += v;
        rawN[c * d + j]!++;
      }
    }
  }
  const clusters: FittedCluster[] = [];
  for (let c = 0; c < k; c++) {
    const zMeans = used.map((_, j) => (sizes[c] ? zSum[c * d + j]! / sizes[c]! : 0));
    clusters.push({
      index: c,
      size: sizes[c]!,
      share: sizes[c]! / n,
      centroid: Object.fromEntries(used.map((s, j) => [s.name, rawN[c * d + j] ? round(rawSum[c * d + j]! / rawN[c * d + j]!, 4) : null])),
      center: Array.from(centers.subarray(c * d, c * d + d)),
      zScores: Object.fromEntries(used.map((s, j) => [s.name, round(zMeans[j]!, 4)])),
      description: describeCluster(used.map((s) => s.name), zMeans),
    });
  }
  return {
    profiles: n,
    features: used,
    dropped,
    silhouettes: runs.map((r, i) => ({ k: r.k, silhouette: round(sil[i]!, 6), inertia: round(r.inertia, 4) })),
    chosenK: k,
    fitSample: fitN,
    silhouetteSample: silN,
    seed: o.seed,
    clusters,
  };
}

/** The cluster of one point given its raw feature values (the same rule as the SQL of a cluster condition). */
export function assignCluster(model: Pick<FittedModel, 'features' | 'clusters'>, raw: Record<string, number | null | undefined>): number {
  const d = model.features.length;
  const p = Float64Array.from(model.features, (s) => zOf(s, raw[s.name] ?? NaN));
  const centers = Float64Array.from(model.clusters.flatMap((c) => c.center));
  return nearest(p, 0, centers, model.clusters.length, d)[0];
}

function gather(z: Float64Array, d: number, idx: Int32Array): Float64Array {
  const out = new Float64Array(idx.length * d);
  idx.forEach((i, r) => out.set(z.subarray(i * d, i * d + d), r * d));
  return out;
}

const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;
