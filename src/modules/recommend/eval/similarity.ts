import type { Csr } from '../sparse.ts';

/**
 * Pairwise cosine similarities of a short list of rows of a binary-pattern matrix `m` (e.g.
 * items × users for co-occurrence, items × categories for category similarity): returns a
 * len×len row-major matrix. Uses a marker array over m's columns, cost Σ_pairs |row|.
 */
export function listCosines(m: Csr): (list: Int32Array) => Float64Array {
  const mark = new Int32Array(m.nCols).fill(-1);
  return (list) => {
    const k = list.length;
    const out = new Float64Array(k * k);
    for (let a = 0; a < k; a++) {
      const ia = list[a]!;
      const na = m.indptr[ia + 1]! - m.indptr[ia]!;
      for (let p = m.indptr[ia]!; p < m.indptr[ia + 1]!; p++) mark[m.indices[p]!] = a;
      for (let b = a + 1; b < k; b++) {
        const ib = list[b]!;
        const nb = m.indptr[ib + 1]! - m.indptr[ib]!;
        let inter = 0;
        for (let p = m.indptr[ib]!; p < m.indptr[ib + 1]!; p++) if (mark[m.indices[p]!] === a) inter++;
        const s = na > 0 && nb > 0 ? inter / Math.sqrt(na * nb) : 0;
        out[a * k + b] = s;
        out[b * k + a] = s;
      }
      for (let p = m.indptr[ia]!; p < m.indptr[ia + 1]!; p++) mark[m.indices[p]!] = -1;
    }
    return out;
  };
}
