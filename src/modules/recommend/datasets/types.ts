import type { Csr } from '../sparse.ts';

/**
 * A dataset for offline evaluation: implicit interactions between users and items, with the side
 * information some models use. Users and items are dense indices 0..n-1; `userIds` / `itemIds`
 * give the external ids.
 */
export interface Dataset {
  readonly name: string;
  readonly userIds: string[];
  readonly itemIds: string[];
  /** One entry per (user, item): value = strength (listening count, rating count, ...). */
  readonly interactions: Csr;
  /**
   * Latest interaction time per stored entry of `interactions` (unix seconds, same order as its
   * `data`), when the dataset has timestamps.
   */
  readonly times?: Float64Array;
  /** Symmetric friendship graph (users × users, value = 1), when the dataset has one. */
  readonly friends?: Csr;
  /** Free text per item (names, titles), for content models. */
  readonly itemText?: string[];
  /** Item attributes as tokens per item (e.g. `category:3`, `brand:17`), for content models. */
  readonly itemTokens?: string[][];
  /** Item × category membership (value = 1), for category diversity. */
  readonly itemCategories?: Csr;
}
