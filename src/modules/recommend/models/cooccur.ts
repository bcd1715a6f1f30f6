import { transpose, type Csr } from '../sparse.ts';

/**
 * Item–item co-occurrence over a binary users × items matrix, row by row: calls `emit(i, cols,
 * vals, count)` for each item i with the items j it co-occurs with (j ≠ i, unordered) and
 * c_ij = Σ_u w_u over the users having both. `cols` / `vals` are scratch buffers reused across
 * rows. Cost Σ_u |I_u|².
 */
export function forEachCooccurrenceRow(
  x: Csr,
  userWeight: Float64Array | undefined,
  emit: (i: number, cols: Int32Array, vals: Float64Array, count: number) => void,
): void {
  const xt = transpose(x);
  const acc = new Float64Array(x.nCols);
  const touched = new Int32Array(x.nCols);
  const vals = new Float64Array(x.nCols);
  for (let i = 0; i < x.nCols; i++) {
    let nt = 0;
    for (let p = xt.indptr[i]!; p < xt.indptr[i + 1]!; p++) {
      const u = xt.indices[p]!;
      const w = userWeight ? userWeight[u]! : 1;
      for (let q = x.indptr[u]!; q < x.indptr[u + 1]!; q++) {
        const j = x.indices[q]!;
        if (j === i) continue;
        if (acc[j] === 0) touched[nt++] = j;
        acc[j] = acc[j]! + w;
      }
    }
    for (let a = 0; a < nt; a++) {
      const j = touched[a]!;
      vals[a] = acc[j]!;
      acc[j] = 0;
    }
    emit(i, touched, vals, nt);
  }
}

/** Builds a CSR from rows emitted in row order (cols need not be sorted). */
export class RowBuilder {
  private indptr: number[] = [0];
  private idx: number[] = [];
  private val: number[] = [];
  push(cols: ArrayLike<number>, vals: ArrayLike<number>, count: number): void {
    for (let a = 0; a < count; a++) {
      this.idx.push(cols[a]!);
      this.val.push(vals[a]!);
    }
    this.indptr.push(this.idx.length);
  }
  build(nRows: number, nCols: number): Csr {
    return { nRows, nCols, indptr: Int32Array.from(this.indptr), indices: Int32Array.from(this.idx), data: Float32Array.from(this.val) };
  }
}

/**
 * Keeps the `k` largest of vals[0..count) (with their cols), in place at the front; returns the
 * new count. k ≤ 0 keeps all.
 */
export function keepLargest(cols: Int32Array, vals: Float64Array, count: number, k: number): number {
  if (k <= 0 || count <= k) return count;
  // quickselect on vals (descending), moving cols along
  let lo = 0, hi = count - 1;
  while (lo < hi) {
    const pivot = vals[(lo + hi) >> 1]!;
    let i = lo, j = hi;
    while (i <= j) {
      while (vals[i]! > pivot) i++;
      while (vals[j]! < pivot) j--;
      if (i <= j) {
        const tv = vals[i]!; vals[i] = vals[j]!; vals[j] = tv;
        const tc = cols[i]!; cols[i] = cols[j]!; cols[j] = tc;
        i++;
        j--;
      }
    }
    if (k - 1 <= j) hi = j;
    else if (k - 1 >= i) lo = i;
    else break;
  }
  return k;
}
