/**
 * A sorted sequence with positions (the rank arrays of rank-cache.ts): `lowerBound`, `at`,
 * `insert` and `removeAt` in O(log n + chunk + n / chunk), where a plain array's splice moves up to
 * n entries (a million-row ranking: ~1 ms per splice, eight per incremental pass). The entries are
 * kept in chunks of at most 2·`chunk` (each sorted, each chunk's entries before the next's), with
 * the position of each chunk's first entry.
 */
export class RankList<T> {
  private chunks: T[][] = [];
  /** starts[k]: the position of chunks[k][0]. */
  private starts: number[] = [];
  private n = 0;

  /** `sorted`: the entries in `cmp` order (not checked). */
  constructor(private readonly cmp: (a: T, b: T) => number, sorted: readonly T[] = [], private readonly chunk = 1024) {
    if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`rank list: chunk size must be a whole number of at least 1, got ${chunk}`);
    for (let i = 0; i < sorted.length; i += chunk) this.chunks.push(sorted.slice(i, i + chunk));
    this.n = sorted.length;
    this.reindex(0);
  }

  get length(): number {
    return this.n;
  }

  /** The entry at a position (0-based); undefined outside 0…length−1. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.n) return undefined;
    const k = this.chunkOf(i);
    return this.chunks[k]![i - this.starts[k]!];
  }

  /** The position of the first entry not before `e` (length when every entry is before it). */
  lowerBound(e: T): number {
    const k = this.firstChunkNotBefore(e);
    if (k === this.chunks.length) return this.n;
    const xs = this.chunks[k]!;
    let lo = 0;
    let hi = xs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmp(xs[mid]!, e) < 0) lo = mid + 1;
      else hi = mid;
    }
    return this.starts[k]! + lo;
  }

  /** Inserts `e` before the first entry not before it; returns its position. */
  insert(e: T): number {
    if (!this.chunks.length) {
      this.chunks.push([e]);
      this.n = 1;
      this.reindex(0);
      return 0;
    }
    const at = this.lowerBound(e);
    // The chunk holding position `at`, or the last one when `at` is the end.
    const k = at === this.n ? this.chunks.length - 1 : this.chunkOf(at);
    const xs = this.chunks[k]!;
    xs.splice(at - this.starts[k]!, 0, e);
    this.n++;
    if (xs.length > 2 * this.chunk) this.chunks.splice(k + 1, 0, xs.splice(this.chunk));
    this.reindex(k);
    return at;
  }

  /** Removes the entry at a position; returns it. */
  removeAt(i: number): T {
    if (!(i >= 0 && i < this.n)) throw new Error(`rank list: no position ${i} in ${this.n} entries`);
    const k = this.chunkOf(i);
    const xs = this.chunks[k]!;
    const [e] = xs.splice(i - this.starts[k]!, 1);
    this.n--;
    if (!xs.length) this.chunks.splice(k, 1);
    this.reindex(k);
    return e!;
  }

  /** The entries in order (tests). */
  toArray(): T[] {
    return this.chunks.flat();
  }

  /** The chunk holding position i (0 ≤ i < length). */
  private chunkOf(i: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The first chunk whose last entry is not before `e` (chunks.length when none). */
  private firstChunkNotBefore(e: T): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const xs = this.chunks[mid]!;
      if (this.cmp(xs[xs.length - 1]!, e) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private reindex(from: number): void {
    this.starts.length = this.chunks.length;
    let s = from > 0 ? this.starts[from - 1]! + this.chunks[from - 1]!.length : 0;
    for (let k = Math.max(0, from); k < this.chunks.length; k++) {
      this.starts[k] = s;
      s += this.chunks[k]!.length;
    }
  }
}
