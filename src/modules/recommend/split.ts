import { Rng } from '../../platform/rng.ts';
import { csrFromTriples, type Csr } from './sparse.ts';
import type { Dataset } from './datasets/types.ts';

/** How each user's interactions are divided into training and test. */
export type SplitKind = 'random' | 'time' | 'leave-last-n';

export interface SplitOptions {
  kind: SplitKind;
  /** random / time: the share of each user's items held out (rounded, at least 1, never all). */
  testFraction: number;
  /** leave-last-n: how many of each user's latest items are held out (random ones without timestamps). */
  leaveN: number;
  seed: number;
  /** Users with fewer interactions are dropped before splitting. */
  minUserItems: number;
  /** After splitting, items with fewer training users are dropped from both sides. */
  minItemTrainUsers: number;
}

export const DEFAULT_SPLIT: SplitOptions = { kind: 'random', testFraction: 0.2, leaveN: 1, seed: 42, minUserItems: 5, minItemTrainUsers: 2 };

/** Side information re-indexed to a split's kept items. */
export interface SideInfo {
  friends?: Csr;
  itemText?: string[];
  itemTokens?: string[][];
  itemCategories?: Csr;
}

/**
 * A train / test split. Users keep the dataset's indices (dropped users have empty rows); items
 * are the kept ones, re-indexed 0..nItems-1 (`itemMap` gives the dataset's index).
 */
export interface Split {
  readonly options: SplitOptions;
  readonly train: Csr;
  /** Interaction time per stored entry of `train`, when the dataset has timestamps. */
  readonly trainTimes?: Float64Array;
  readonly test: Csr;
  readonly itemMap: Int32Array;
  /** Users with at least one test item among the kept items: the users evaluated. */
  readonly testUsers: Int32Array;
  /**
   * Per user, every held-out item, including those whose item was then dropped from the
   * catalog: they stay relevant (and unreachable), so recall and IDCG count them.
   */
  readonly heldOut: Int32Array;
  readonly side: SideInfo;
}

/**
 * Splits a dataset per user. The order is the protocol: drop users with fewer than
 * `minUserItems` items, split each remaining user, then keep items with at least
 * `minItemTrainUsers` training users, and evaluate users with a test item among them.
 * Deterministic for a seed.
 */
export function splitDataset(d: Dataset, o: SplitOptions): Split {
  if (o.kind === 'time' && !d.times) throw new Error(`dataset ${d.name} has no timestamps: use --split random or leave-last-n`);
  const x = d.interactions;
  const part = partitionRows(x, o.kind === 'random' ? undefined : d.times, o, (n) => n >= o.minUserItems);
  // item filter on training counts
  const counts = new Int32Array(x.nCols);
  for (let p = 0; p < part.length; p++) if (part[p] === 1) counts[x.indices[p]!]!++;
  const newIndex = new Int32Array(x.nCols).fill(-1);
  const kept: number[] = [];
  for (let i = 0; i < x.nCols; i++) if (counts[i]! >= o.minItemTrainUsers) newIndex[i] = kept.push(i) - 1;
  const itemMap = Int32Array.from(kept);
  const { train, trainTimes, test } = materialise(x, d.times, part, newIndex, itemMap.length);
  const testUsers: number[] = [];
  for (let u = 0; u < test.nRows; u++) if (test.indptr[u + 1]! > test.indptr[u]!) testUsers.push(u);
  const heldOut = new Int32Array(x.nRows);
  for (let u = 0; u < x.nRows; u++) for (let p = x.indptr[u]!; p < x.indptr[u + 1]!; p++) if (part[p] === 2) heldOut[u]!++;
  return { options: o, train, trainTimes, test, itemMap, testUsers: Int32Array.from(testUsers), heldOut, side: sideInfoFor(d, itemMap) };
}

/**
 * Holds out part of a training matrix (same users and items, no filtering): the validation split
 * the hybrid learns its weights on. Users with fewer than `minUserItems` items stay whole.
 */
export function carveValidation(train: Csr, times: Float64Array | undefined, o: SplitOptions): { train: Csr; trainTimes?: Float64Array; test: Csr; testUsers: Int32Array } {
  const part = partitionRows(train, o.kind === 'random' ? undefined : times, o, (n) => n >= Math.max(2, o.minUserItems));
  const identity = Int32Array.from({ length: train.nCols }, (_, i) => i);
  const r = materialise(train, times, part, identity, train.nCols);
  const users: number[] = [];
  for (let u = 0; u < r.test.nRows; u++) if (r.test.indptr[u + 1]! > r.test.indptr[u]!) users.push(u);
  return { ...r, testUsers: Int32Array.from(users) };
}

/** Per stored entry: 1 = train, 2 = test, 0 = dropped (user below the minimum). */
function partitionRows(x: Csr, times: Float64Array | undefined, o: SplitOptions, eligible: (n: number) => boolean): Uint8Array {
  const rng = new Rng(o.seed);
  const part = new Uint8Array(x.indices.length);
  const order: number[] = [];
  const key = new Float64Array(x.indices.length);
  for (let u = 0; u < x.nRows; u++) {
    const a = x.indptr[u]!, b = x.indptr[u + 1]!;
    const n = b - a;
    if (n === 0 || !eligible(n)) continue;
    order.length = 0;
    for (let p = a; p < b; p++) order.push(p);
    rng.shuffle(order); // random order; also the tie-break among equal timestamps
    if (times) {
      for (let q = 0; q < n; q++) key[order[q]!] = q;
      order.sort((p, q) => times[p]! - times[q]! || key[p]! - key[q]!);
    }
    const nTest = o.kind === 'leave-last-n' ? Math.min(o.leaveN, n - 1) : Math.min(n - 1, Math.max(1, Math.round(o.testFraction * n)));
    for (let q = 0; q < n; q++) part[order[q]!] = q >= n - nTest ? 2 : 1;
  }
  return part;
}

function materialise(x: Csr, times: Float64Array | undefined, part: Uint8Array, newIndex: Int32Array, nItems: number) {
  const tr: number[] = [], tc: number[] = [], tv: number[] = [], tt: number[] = [];
  const sr: number[] = [], sc: number[] = [], sv: number[] = [];
  for (let u = 0; u < x.nRows; u++) {
    for (let p = x.indptr[u]!; p < x.indptr[u + 1]!; p++) {
      const i = newIndex[x.indices[p]!]!;
      if (i < 0 || part[p] === 0) continue;
      if (part[p] === 1) {
        tr.push(u);
        tc.push(i);
        tv.push(x.data[p]!);
        if (times) tt.push(times[p]!);
      } else {
        sr.push(u);
        sc.push(i);
        sv.push(x.data[p]!);
      }
    }
  }
  // rows are visited in order and columns stay ascending, so entry order equals triple order
  const train = csrFromTriples(x.nRows, nItems, tr, tc, tv);
  const test = csrFromTriples(x.nRows, nItems, sr, sc, sv);
  return { train, trainTimes: times ? Float64Array.from(tt) : undefined, test };
}

/** The dataset's side information restricted and re-indexed to the kept items. */
export function sideInfoFor(d: Dataset, itemMap: Int32Array): SideInfo {
  let itemCategories: Csr | undefined;
  if (d.itemCategories) {
    const r: number[] = [], c: number[] = [];
    itemMap.forEach((orig, i) => {
      const m = d.itemCategories!;
      for (let p = m.indptr[orig]!; p < m.indptr[orig + 1]!; p++) {
        r.push(i);
        c.push(m.indices[p]!);
      }
    });
    itemCategories = csrFromTriples(itemMap.length, d.itemCategories.nCols, r, c);
  }
  return {
    friends: d.friends,
    itemText: d.itemText ? Array.from(itemMap, (i) => d.itemText![i] ?? '') : undefined,
    itemTokens: d.itemTokens ? Array.from(itemMap, (i) => d.itemTokens![i] ?? []) : undefined,
    itemCategories,
  };
}
