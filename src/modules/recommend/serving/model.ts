import { CandidatePool } from './rules.ts';
import type { Snapshot } from './snapshot.ts';

/** Items kept per category in the per-category popularity lists. */
const PER_CATEGORY = 200;

/**
 * A loaded snapshot with the lookups serving needs (user key → row, product id → item,
 * per-category popularity). Immutable: a new version is a new ServingModel, swapped in whole.
 */
export class ServingModel {
  readonly userIndex: Map<string, number>;
  readonly itemIndex: Map<string, number>;
  /** Per category id: items in popularity order (the first PER_CATEGORY). */
  readonly categoryPopular: Int32Array[];
  readonly maxPop: number;
  /** Group key (GROUP_DIMENSIONS index, value) → group with a popularity ranking. */
  private readonly groupByValue: Map<string, number>;
  /** User key → row of gkPtr (the user's groups). */
  private readonly groupRowOfKey: Map<string, number>;
  /** Scratch for one request at a time (serving is synchronous). */
  readonly pool: CandidatePool;
  /** Per item: the generation of the request that blocked it (see nextBlockGeneration). */
  readonly blockMark: Uint32Array;
  private blockGen = 0;

  constructor(readonly snapshot: Snapshot, readonly dir: string | null) {
    this.userIndex = new Map(snapshot.userKeys.map((k, u) => [k, u]));
    this.itemIndex = new Map(snapshot.itemIds.map((id, i) => [id, i]));
    const a = snapshot.arrays;
    const lists: number[][] = snapshot.meta.categories.map(() => []);
    for (const i of a.popOrder) {
      const c = a.itemCategory[i]!;
      if (c >= 0 && lists[c]!.length < PER_CATEGORY) lists[c]!.push(i);
    }
    this.categoryPopular = lists.map((l) => Int32Array.from(l));
    const top = a.popOrder[0];
    this.maxPop = top === undefined ? 0 : a.popScore[top]!;
    this.groupByValue = new Map((snapshot.meta.groups ?? []).map((g, k) => [`${g.dimension}\u0000${g.value}`, k]));
    this.groupRowOfKey = new Map(snapshot.groupKeys.map((k, r) => [k, r]));
    this.pool = new CandidatePool(this.nItems);
    this.blockMark = new Uint32Array(this.nItems);
    this.versionBuf = Buffer.from(JSON.stringify(snapshot.meta.version), 'utf8');
  }

  private ids: Array<string | undefined> = [];
  private idBufs: Array<Buffer | undefined> = [];
  /** The version as a JSON string in UTF-8. */
  readonly versionBuf: Buffer;

  /** Item i's product id as JSON in UTF-8 (encoded once, then cached). */
  idBuf(i: number): Buffer {
    return (this.idBufs[i] ??= Buffer.from(this.idJson(i), 'utf8'));
  }

  /** Item i's product id as a JSON string (escaped once, then cached). */
  idJson(i: number): string {
    return (this.ids[i] ??= JSON.stringify(this.snapshot.itemIds[i]!));
  }

  /**
   * The popularity groups of a request, in the order serving uses them: the given city (the
   * request's context, e.g. an anonymous visitor's) if it has a ranking, then the user's own
   * groups from the snapshot (city, lifecycle stage, RFM segment; their city only when no city
   * was given). Writes group indices into `out` and returns how many.
   */
  groupsOf(userKey: string | null, city: string | undefined, out: Int32Array): number {
    let n = 0;
    const given = city ? this.groupByValue.get(`city\u0000${city}`) : undefined;
    if (given !== undefined) out[n++] = given;
    const row = userKey ? this.groupRowOfKey.get(userKey) : undefined;
    if (row !== undefined) {
      const a = this.snapshot.arrays, groups = this.snapshot.meta.groups!;
      for (let q = a.gkPtr[row]!; q < a.gkPtr[row + 1]! && n < out.length; q++) {
        const g = a.gkGroup[q]!;
        if (given !== undefined && groups[g]!.dimension === 'city') continue;
        out[n++] = g;
      }
    }
    return n;
  }

  /** A fresh generation for blockMark (marks of earlier requests no longer match). */
  nextBlockGeneration(): number {
    if (++this.blockGen === 0xffffffff) {
      this.blockMark.fill(0);
      this.blockGen = 1;
    }
    return this.blockGen;
  }

  get version(): string {
    return this.snapshot.meta.version;
  }

  get nItems(): number {
    return this.snapshot.itemIds.length;
  }
}
