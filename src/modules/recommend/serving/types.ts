/** Names shared by training, snapshots and serving. */

/** Where recommendations are shown; each has its own settings. */
export const PLACEMENTS = ['home', 'product', 'cart', 'email'] as const;
export type Placement = (typeof PLACEMENTS)[number];

/** What a user did with an item, as read from the event store. */
export const INTERACTION_KINDS = ['view', 'cart', 'order', 'share'] as const;
export type InteractionKind = (typeof INTERACTION_KINDS)[number];

/** Social ties, as read from the event store. */
export const EDGE_TYPES = ['friend', 'follow', 'invite', 'share'] as const;
export type EdgeType = (typeof EDGE_TYPES)[number];

/**
 * Where a recommended item came from. A bit per source in a `sources` mask; the first seven are
 * the models of the hybrid, the rest are serving's own signals and rules.
 */
export const SOURCE_NAMES = ['popular', 'itemknn', 'ease', 'als', 'content', 'social', 'session', 'fbt', 'pinned', 'boost'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

export const sourceBit = (n: SourceName): number => 1 << SOURCE_NAMES.indexOf(n);

const namesOf = new Map<number, readonly SourceName[]>();

/** The names in a sources mask, in SOURCE_NAMES order (a shared, frozen array per mask). */
export function sourceNames(mask: number): readonly SourceName[] {
  let names = namesOf.get(mask);
  if (!names) {
    const out: SourceName[] = [];
    for (let b = 0; b < SOURCE_NAMES.length; b++) if (mask & (1 << b)) out.push(SOURCE_NAMES[b]!);
    namesOf.set(mask, (names = Object.freeze(out)));
  }
  return names;
}

/** The hybrid components serving trains by default (content included, for new items). */
export const SERVING_COMPONENTS = ['popular', 'itemknn', 'ease', 'als', 'content', 'social', 'session'] as const;

export type Lang = 'zh-CN' | 'en';

/**
 * Why an item is recommended, turned into text at request time (reasons.ts). `anchor` is an item
 * index (the viewed / carted / context item the recommendation hangs on), `count` a number of
 * friends, `text` a category name, a city or a segment's value.
 */
export type Reason =
  | { code: 'friends_bought'; count: number }
  | { code: 'friends_shared'; count: number }
  | { code: 'because_viewed'; anchor: number }
  | { code: 'session'; anchor: number }
  | { code: 'also_viewed'; anchor: number }
  | { code: 'similar'; anchor: number }
  | { code: 'bought_together'; anchor: number }
  | { code: 'new_item' }
  | { code: 'for_you' }
  | { code: 'popular' }
  | { code: 'popular_category'; text: string }
  | { code: 'popular_city'; text: string }
  | { code: 'popular_segment'; text: string }
  | { code: 'pinned' };
