/**
 * A symmetric n×n matrix stored as its lower tiles (T×T, packed: tile (i, j) with i ≥ j at
 * index i(i+1)/2 + j), each tile row-major, padded to nt·T with the identity. The buffer may be a
 * SharedArrayBuffer so worker threads can work on it.
 */
export interface TiledSym {
  readonly n: number;
  readonly T: number;
  readonly nt: number;
  readonly data: Float64Array;
}

export const DEFAULT_TILE = 64;

/** Number of Float64 values a tiled matrix of size n needs. */
export function tiledLength(n: number, T = DEFAULT_TILE): number {
  const nt = Math.ceil(n / T);
  return ((nt * (nt + 1)) / 2) * T * T;
}

/** A zero matrix (identity on the padding) over a new buffer (shared when `shared`). */
export function createTiled(n: number, T = DEFAULT_TILE, shared = false): TiledSym {
  if (T % 4 !== 0) throw new Error('tile size must be a multiple of 4');
  const nt = Math.max(1, Math.ceil(n / T));
  const len = tiledLength(n, T) || T * T;
  const data = shared ? new Float64Array(new SharedArrayBuffer(len * 8)) : new Float64Array(len);
  const m = { n, T, nt, data };
  for (let k = n; k < nt * T; k++) data[offsetOf(m, k, k)] = 1;
  return m;
}

/** Offset of tile (i, j), i ≥ j. */
export function tileOffset(m: { T: number }, i: number, j: number): number {
  return ((i * (i + 1)) / 2 + j) * m.T * m.T;
}

/** Offset of element (r, c) of the symmetric matrix (either triangle). */
export function offsetOf(m: { T: number }, r: number, c: number): number {
  if (c > r) [r, c] = [c, r];
  const T = m.T;
  const ti = Math.floor(r / T), tj = Math.floor(c / T);
  return tileOffset(m, ti, tj) + (r - ti * T) * T + (c - tj * T);
}

/** Element (r, c) (symmetric: either triangle). */
export function getSym(m: TiledSym, r: number, c: number): number {
  return m.data[offsetOf(m, r, c)]!;
}

/** Adds v to (r, c) and, off the diagonal, to (c, r) too when both lie in one diagonal tile. */
export function addSym(m: TiledSym, r: number, c: number, v: number): void {
  if (c > r) [r, c] = [c, r];
  const T = m.T;
  const ti = Math.floor(r / T), tj = Math.floor(c / T);
  const o = tileOffset(m, ti, tj);
  const p = o + (r - ti * T) * T + (c - tj * T);
  m.data[p] = m.data[p]! + v;
  if (ti === tj && r !== c) {
    const q = o + (c - tj * T) * T + (r - ti * T);
    m.data[q] = m.data[q]! + v;
  }
}
