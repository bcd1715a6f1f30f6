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
