import type { Csr } from '../sparse.ts';
import type { SideInfo } from '../split.ts';
import { topK } from '../topk.ts';

/** What a model is trained on: a users × items matrix (values = interaction strength) and side information. */
export interface TrainData {
  readonly train: Csr;
  /** Interaction time (unix seconds) per stored entry of `train`, when known. */
  readonly trainTimes?: Float64Array;
  readonly side: SideInfo;
}

/** Services the caller gives a model while it trains. */
export interface FitContext {
  /** Threads a model may use (the main one included). */
  threads: number;
  seed: number;
  /** Progress / diagnostics (one line each), e.g. to stderr. */
  log?: (line: string) => void;
  /** Called at memory-heavy points so the caller can sample the resident set. */
  probe?: () => void;
  /**
   * Fitted models shared between models of one evaluation (the hybrid's components): returns
   * the model `name` fitted on `data`, fitting it once.
   */
  component?: (name: string, data: TrainData) => Promise<Recommender>;
}

/** Facts a model reports about its training (shown in evaluation reports). */
export type FitInfo = Record<string, number | string | number[]>;

/**
 * A recommender. `score` writes one score per item (higher is better; -Infinity = cannot
 * recommend); `recommend` is the top k of those, skipping `exclude` (e.g. the user's training
 * items). Users and items are the indices of the training matrix.
 */
export interface Recommender {
  readonly name: string;
  fit(data: TrainData, ctx: FitContext): Promise<FitInfo>;
  score(user: number, out: Float64Array): void;
  recommend(user: number, k: number, exclude?: ArrayLike<number>): Int32Array;
  readonly nItems: number;
  /** Bytes of the typed arrays the fitted model holds (what serving it needs in memory). */
  memoryBytes?(): number;
}

/** Sum of the byteLength of typed arrays and CSR matrices (undefined ones count 0). */
export function bytesOf(...parts: Array<ArrayBufferView | { indptr: ArrayBufferView; indices: ArrayBufferView; data: ArrayBufferView } | undefined>): number {
  let n = 0;
  for (const p of parts) {
    if (!p) continue;
    n += 'indptr' in p ? p.indptr.byteLength + p.indices.byteLength + p.data.byteLength : p.byteLength;
  }
  return n;
}

/** The shared part of every model: `recommend` from `score`. */
export abstract class BaseRecommender implements Recommender {
  abstract readonly name: string;
  protected nItemsFit = 0;
  private buf?: Float64Array;
  private mark?: Uint8Array;

  get nItems(): number {
    return this.nItemsFit;
  }

  abstract fit(data: TrainData, ctx: FitContext): Promise<FitInfo>;
  abstract score(user: number, out: Float64Array): void;

  recommend(user: number, k: number, exclude?: ArrayLike<number>): Int32Array {
    const n = this.nItemsFit;
    if (!this.buf || this.buf.length !== n) {
      this.buf = new Float64Array(n);
      this.mark = new Uint8Array(n);
    }
    const s = this.buf, mark = this.mark!;
    s.fill(0);
    this.score(user, s);
    if (exclude) for (let p = 0; p < exclude.length; p++) mark[exclude[p]!] = 1;
    const out = topK(s, k, exclude ? (i) => mark[i] === 1 : undefined);
    if (exclude) for (let p = 0; p < exclude.length; p++) mark[exclude[p]!] = 0;
    return out;
  }
}
