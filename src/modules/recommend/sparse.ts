/**
 * Compressed sparse row matrices over typed arrays: the one representation of interactions,
 * friendships and item attributes in the recommender.
 */
export interface Csr {
  readonly nRows: number;
  readonly nCols: number;
  /** Row r's entries are indptr[r] .. indptr[r+1]-1; columns ascending within a row. */
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly data: Float32Array;
}

/** Number of stored entries in row r. */
export function rowNnz(m: Csr, r: number): number {
  return m.indptr[r + 1]! - m.indptr[r]!;
}

/**
 * Builds a CSR matrix from (row, col, value) triples. Duplicate (row, col) pairs are merged with
 * `merge` ('sum' adds the values, 'max' keeps the largest, 'last' the last given).
 */
export function csrFromTriples(
  nRows: number,
  nCols: number,
  rows: ArrayLike<number>,
  cols: ArrayLike<number>,
  values?: ArrayLike<number>,
  merge: 'sum' | 'max' | 'last' = 'sum',
): Csr {
  const n = rows.length;
  const counts = new Int32Array(nRows + 1);
  for (let e = 0; e < n; e++) {
    const r = rows[e]!;
    if (r < 0 || r >= nRows) throw new RangeError(`row ${r} out of range 0..${nRows - 1}`);
    const c = cols[e]!;
    if (c < 0 || c >= nCols) throw new RangeError(`column ${c} out of range 0..${nCols - 1}`);
    counts[r + 1]!++;
  }
  for (let r = 0; r < nRows; r++) counts[r + 1]! += counts[r]!;
  const order = new Int32Array(n);
  const fill = counts.slice(0, nRows);
  for (let e = 0; e < n; e++) order[fill[rows[e]!]!++] = e;
  // sort each row's entries by column (stable, so 'last' means the last given)
  const indptr = new Int32Array(nRows + 1);
  const indices = new Int32Array(n);
  const data = new Float32Array(n);
  let out = 0;
  const tmp: number[] = [];
  for (let r = 0; r < nRows; r++) {
    indptr[r] = out;
    tmp.length = 0;
    for (let p = counts[r]!; p < counts[r + 1]!; p++) tmp.push(order[p]!);
    tmp.sort((a, b) => cols[a]! - cols[b]! || a - b);
    let last = -1;
    for (const e of tmp) {
      const c = cols[e]!;
      const v = values ? values[e]! : 1;
      if (c === last) {
        const prev = data[out - 1]!;
        data[out - 1] = merge === 'sum' ? prev + v : merge === 'max' ? Math.max(prev, v) : v;
      } else {
        indices[out] = c;
        data[out] = v;
        out++;
        last = c;
      }
    }
  }
  indptr[nRows] = out;
  return { nRows, nCols, indptr, indices: indices.slice(0, out), data: data.slice(0, out) };
}

/** The transpose (columns become rows), rows of the result ascending. */
export function transpose(m: Csr): Csr {
  const nnz = m.indptr[m.nRows]!;
  const indptr = new Int32Array(m.nCols + 1);
  for (let p = 0; p < nnz; p++) indptr[m.indices[p]! + 1]!++;
  for (let c = 0; c < m.nCols; c++) indptr[c + 1]! += indptr[c]!;
  const fill = indptr.slice(0, m.nCols);
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  for (let r = 0; r < m.nRows; r++) {
    for (let p = m.indptr[r]!; p < m.indptr[r + 1]!; p++) {
      const q = fill[m.indices[p]!]!++;
      indices[q] = r;
      data[q] = m.data[p]!;
    }
  }
  return { nRows: m.nCols, nCols: m.nRows, indptr, indices, data };
}

/** The same pattern with every stored value set to 1. */
export function binarize(m: Csr): Csr {
  return { ...m, data: new Float32Array(m.data.length).fill(1) };
}

/** Number of stored entries per column. */
export function columnCounts(m: Csr): Int32Array {
  const out = new Int32Array(m.nCols);
  const nnz = m.indptr[m.nRows]!;
  for (let p = 0; p < nnz; p++) out[m.indices[p]!]!++;
  return out;
}

/** Whether row r has column c (binary search; rows are sorted). */
export function hasEntry(m: Csr, r: number, c: number): boolean {
  let lo = m.indptr[r]!, hi = m.indptr[r + 1]! - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = m.indices[mid]!;
    if (v === c) return true;
    if (v < c) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Row r's column indices (a view, not a copy). */
export function rowIndices(m: Csr, r: number): Int32Array {
  return m.indices.subarray(m.indptr[r]!, m.indptr[r + 1]!);
}

/** Row r's values (a view, not a copy). */
export function rowValues(m: Csr, r: number): Float32Array {
  return m.data.subarray(m.indptr[r]!, m.indptr[r + 1]!);
}

/** Position of (r, c) in `indices` / `data`, or -1 (binary search; rows are sorted). */
export function entryIndex(m: Csr, r: number, c: number): number {
  let lo = m.indptr[r]!, hi = m.indptr[r + 1]! - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = m.indices[mid]!;
    if (v === c) return mid;
    if (v < c) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * Per stored entry of `m`, the largest `t` among the triples naming it (e.g. the latest
 * interaction time), -Infinity where none did.
 */
export function latestPerEntry(m: Csr, rows: ArrayLike<number>, cols: ArrayLike<number>, t: ArrayLike<number>): Float64Array {
  const out = new Float64Array(m.indices.length).fill(-Infinity);
  for (let e = 0; e < rows.length; e++) {
    const p = entryIndex(m, rows[e]!, cols[e]!);
    if (p >= 0 && t[e]! > out[p]!) out[p] = t[e]!;
  }
  return out;
}
