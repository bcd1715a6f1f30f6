import type { ClusterRule } from './cluster.ts';
/**
 * The segment rule language (docs/segments.md): one JSON node per condition or combinator.
 * These types describe a rule that passed `validateRule`; the JSON contract is stable.
 */
export type Rule = AllRule | AnyRule | NotRule | TraitRule | EventRule | SocialRule | NearKolRule | SegmentRefRule | ClusterRule;
/** `{ cluster: { model, index } }`: nearest centre of an auto-segment model (cluster.ts). */
export type { ClusterRule };

export interface AllRule { all: Rule[] }
export interface AnyRule { any: Rule[] }
export interface NotRule { not: Rule }

/** `before` / `after` / `between` take an ISO date or time, or a time relative to `now`. */
export type TimeValue = string | { daysAgo: number };
export type Scalar = string | number | boolean;

export const TRAIT_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'contains', 'exists', 'not_exists', 'between', 'within_last_days', 'before', 'after'] as const;
export type TraitOp = (typeof TRAIT_OPS)[number];

export interface TraitRule { trait: string; op: TraitOp; value?: Scalar | Scalar[] | TimeValue | TimeValue[] }

export const PROPERTY_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'contains', 'exists', 'not_exists', 'between'] as const;
export type PropertyOp = (typeof PROPERTY_OPS)[number];
export interface PropertyFilter { property: string; op: PropertyOp; value?: string | number | Array<string | number> }

export const COUNT_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'] as const;
export type CountOp = (typeof COUNT_OPS)[number];

export interface EventRule {
  event: string;
  where?: PropertyFilter[];
  performed?: boolean;
  count?: { op: CountOp; value: number };
  sum?: { property: string; op: CountOp; value: number };
  within?: { days: number } | { since: string };
}

export const SOCIAL_RELATIONS = ['friend_of', 'follower_of', 'followed_by', 'invited_by'] as const;
export type SocialRelation = (typeof SOCIAL_RELATIONS)[number];
/** `resolved`: the referenced segment's rule, filled in by `expandRule` (never accepted from a client). */
export interface SocialRule { social: SocialRelation; of: { userId: string } | { segment: string; resolved?: Rule } }
export interface NearKolRule { social: 'near_kol'; hops: number }
export interface SegmentRefRule { segment: string; resolved?: Rule }

/** Order-line properties of `Order Completed` (matched on one line together). */
export const LINE_PROPERTIES: Record<string, { column: string; numeric: boolean }> = {
  category: { column: 'category', numeric: false },
  brand: { column: 'brand', numeric: false },
  product_id: { column: 'product_id', numeric: false },
  name: { column: 'name', numeric: false },
  price: { column: 'price', numeric: true },
  quantity: { column: 'quantity', numeric: true },
};
export const ORDER_EVENT = 'Order Completed';

export const isLineFilter = (event: string, f: PropertyFilter) => event === ORDER_EVENT && f.property in LINE_PROPERTIES;
