// The segment rule language as the builder edits it (docs/segments.md, "The rule language").
// The builder works on the JSON itself: every node is addressed by its path from the root, which
// is also how the API names the offending part of a bad rule (`rule.all[2].where[0].value`).

export type TimeValue = string | { daysAgo: number };
export type Scalar = string | number | boolean;
export interface TraitRule { trait: string; op: string; value?: Scalar | Scalar[] | TimeValue | TimeValue[] }
export interface PropertyFilter { property: string; op: string; value?: string | number | Array<string | number> }
export interface EventRule {
  event: string;
  where?: PropertyFilter[];
  performed?: boolean;
  count?: { op: string; value: number };
  sum?: { property: string; op: string; value: number };
  within?: { days: number } | { since: string };
}
export interface SocialRule { social: string; of?: { userId: string } | { segment: string }; hops?: number }
export interface SegmentRefRule { segment: string }
export type Rule = { all: Rule[] } | { any: Rule[] } | { not: Rule } | TraitRule | EventRule | SocialRule | SegmentRefRule;

export type FieldType = 'number' | 'text' | 'time' | 'list' | 'flag' | 'identify';
/** `other`: a node the builder does not edit (e.g. a newer kind such as an auto-segment cluster); kept as it is. */
export type NodeKind = 'all' | 'any' | 'not' | 'trait' | 'event' | 'social' | 'segment' | 'other';

export function kindOf(r: Rule): NodeKind {
  if ('all' in r) return 'all';
  if ('any' in r) return 'any';
  if ('not' in r) return 'not';
  if ('trait' in r) return 'trait';
  if ('event' in r) return 'event';
  if ('social' in r) return 'social';
  if ('segment' in r) return 'segment';
  return 'other';
}

const NUM = ['orders', 'gmv', 'netRevenue', 'aov', 'daysSinceLastOrder', 'purchaseDays', 'refundedOrders', 'refundedAmount', 'refundRate', 'couponOrders', 'couponShare', 'repeatFrequency', 'medianGapDays', 'typicalPrice', 'rfmRecencyDays', 'rfmFrequency', 'rfmMonetary', 'rScore', 'fScore', 'mScore', 'churnProbability', 'eventsTotal', 'events30d', 'eventsPrev30d', 'social90d', 'followers', 'following', 'friends', 'invitesSent', 'invitesAccepted', 'shares', 'shareClicks', 'downstreamOrders', 'downstreamGmv', 'centrality', 'centralityPercentile'];
const TEXT = ['lifecycleStage', 'rfmSegment', 'priceBand', 'rfmCell', 'userId', 'anonymousId'];
const TIME = ['lastOrderAt', 'firstOrderAt', 'lastSeenAt', 'firstSeenAt', 'lifecycleSince', 'nextPurchaseFrom', 'nextPurchaseTo'];
const LIST = ['topCategories', 'topBrands'];

/** The allow-listed trait fields and their types (docs/segments.md, trait conditions). */
export const FIELD_TYPES: Record<string, FieldType> = {
  ...Object.fromEntries(NUM.map((k) => [k, 'number' as const])),
  ...Object.fromEntries(TEXT.map((k) => [k, 'text' as const])),
  ...Object.fromEntries(TIME.map((k) => [k, 'time' as const])),
  ...Object.fromEntries(LIST.map((k) => [k, 'list' as const])),
  isKol: 'flag',
};

export const IDENTIFY_PREFIX = 'traits.';
export const fieldType = (field: string): FieldType | null => (field.startsWith(IDENTIFY_PREFIX) ? 'identify' : FIELD_TYPES[field] ?? null);

/** Fields with a closed set of values (a dropdown instead of free text). */
export const ENUM_VALUES: Record<string, string[]> = {
  lifecycleStage: ['prospect', 'new', 'active', 'returning', 'resurrected', 'at_risk', 'dormant', 'churned'],
  rfmSegment: ['Champions', 'Loyal Customers', 'Potential Loyalists', 'New Customers', 'Promising', 'Need Attention', 'About to Sleep', 'At Risk', "Can't Lose Them", 'Hibernating'],
  priceBand: ['low', 'mid', 'high'],
};

export const OPS_BY_TYPE: Record<FieldType, string[]> = {
  number: ['gte', 'gt', 'lte', 'lt', 'eq', 'neq', 'between', 'in', 'not_in', 'exists', 'not_exists'],
  text: ['eq', 'neq', 'in', 'not_in', 'contains', 'exists', 'not_exists'],
  time: ['within_last_days', 'before', 'after', 'between', 'exists', 'not_exists'],
  list: ['contains', 'exists', 'not_exists'],
  flag: ['eq', 'exists', 'not_exists'],
  identify: ['eq', 'neq', 'in', 'not_in', 'contains', 'gt', 'gte', 'lt', 'lte', 'between', 'exists', 'not_exists'],
};
export const PROPERTY_OPS = ['eq', 'neq', 'in', 'not_in', 'contains', 'gt', 'gte', 'lt', 'lte', 'between', 'exists', 'not_exists'];
export const COUNT_OPS = ['gte', 'gt', 'eq', 'neq', 'lte', 'lt'];
export const SOCIAL_RELATIONS = ['friend_of', 'follower_of', 'followed_by', 'invited_by', 'near_kol'];
/** Track events of the tracking plan (docs/tracking-plan.md), offered in the event picker; any name may be typed. */
export const KNOWN_EVENTS = ['Order Completed', 'Product Viewed', 'Product Added', 'Checkout Started', 'Cart Viewed', 'Products Searched', 'Product Shared', 'Share Clicked', 'Invite Sent', 'Invite Accepted', 'User Followed', 'Friend Added', 'Product Reviewed', 'Order Refunded', 'Order Cancelled', 'Coupon Applied'];
/** Order-line properties of Order Completed (one line must match them all). */
export const LINE_PROPERTIES = ['category', 'brand', 'product_id', 'name', 'price', 'quantity'];

export const NO_VALUE_OPS = new Set(['exists', 'not_exists']);
export const LIST_OPS = new Set(['in', 'not_in']);

/** A sensible value when the operator of a field changes (keeps what still fits). */
export function defaultValue(type: FieldType, op: string, field: string, prev?: unknown): TraitRule['value'] | undefined {
  if (NO_VALUE_OPS.has(op)) return undefined;
  if (LIST_OPS.has(op)) return Array.isArray(prev) ? (prev as Scalar[]) : prev !== undefined && prev !== '' && !Array.isArray(prev) && typeof prev !== 'object' ? [prev as Scalar] : [];
  if (op === 'between') return type === 'time' ? [{ daysAgo: 30 }, { daysAgo: 0 }] : [0, 100];
  if (op === 'within_last_days') return typeof prev === 'number' ? prev : 30;
  if (type === 'time') return { daysAgo: 30 };
  if (type === 'flag') return true;
  if (type === 'number') return typeof prev === 'number' ? prev : 1;
  if (ENUM_VALUES[field]) return typeof prev === 'string' && ENUM_VALUES[field]!.includes(prev) ? prev : ENUM_VALUES[field]![0];
  return typeof prev === 'string' ? prev : '';
}

export const newTrait = (): TraitRule => ({ trait: 'orders', op: 'gte', value: 1 });
export const newEvent = (): EventRule => ({ event: 'Order Completed', performed: true, within: { days: 30 } });
export const newSocial = (): SocialRule => ({ social: 'friend_of', of: { userId: '' } });
export const newSegmentRef = (id = ''): SegmentRefRule => ({ segment: id });
export const newGroup = (): Rule => ({ any: [newTrait()] });

/** The builder's link for a starting rule (`/segments/new?rule=<JSON>`). */
export const newSegmentLink = (rule: Rule) => `/segments/new?rule=${encodeURIComponent(JSON.stringify(rule))}`;

// ---- paths ----

export type Path = Array<string | number>;

/** `['all', 2, 'where', 0, 'value']` → `rule.all[2].where[0].value` (the API's notation). */
export function pathString(path: Path): string {
  let s = 'rule';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : `.${p}`;
  return s;
}

export function getAt(root: unknown, path: Path): unknown {
  let x = root as Record<string | number, unknown> | undefined;
  for (const p of path) x = x?.[p] as Record<string | number, unknown> | undefined;
  return x;
}

/** A copy of root with the value at path replaced (undefined deletes an object key). */
export function setAt<T>(root: T, path: Path, value: unknown): T {
  if (!path.length) return value as T;
  const [head, ...rest] = path;
  if (Array.isArray(root)) {
    const copy = [...root];
    copy[head as number] = setAt(copy[head as number], rest, value);
    return copy as T;
  }
  const obj = { ...(root as Record<string, unknown>) };
  const next = setAt(obj[head as string], rest, value);
  if (next === undefined) delete obj[head as string];
  else obj[head as string] = next;
  return obj as T;
}

/** A copy of root without the array element at path. */
export function removeAt<T>(root: T, path: Path): T {
  const parent = path.slice(0, -1);
  const idx = path[path.length - 1] as number;
  const arr = getAt(root, parent) as unknown[];
  return setAt(root, parent, arr.filter((_, i) => i !== idx));
}

/** Every node's path (groups and conditions), for placing the API's errors. */
export function nodePaths(rule: Rule, base: Path = []): Path[] {
  const out: Path[] = [base];
  const k = kindOf(rule);
  if (k === 'all' || k === 'any') (rule as Record<string, Rule[]>)[k]!.forEach((c, i) => out.push(...nodePaths(c, [...base, k, i])));
  if (k === 'not') out.push(...nodePaths((rule as { not: Rule }).not, [...base, 'not']));
  return out;
}

export interface RuleIssue { path: string; message: string; code?: string }

/** Issues grouped by the deepest node whose path prefixes theirs (unplaced ones go to the root, ''). */
export function placeIssues(rule: Rule | null, issues: RuleIssue[]): Map<string, RuleIssue[]> {
  const out = new Map<string, RuleIssue[]>();
  const nodes = rule ? nodePaths(rule).map(pathString).sort((a, b) => b.length - a.length) : [];
  for (const is of issues) {
    const p = is.path.startsWith('body.') ? is.path.slice(5) : is.path;
    const at = nodes.find((n) => p === n || p.startsWith(n + '.') || p.startsWith(n + '[')) ?? 'rule';
    out.set(at, [...(out.get(at) ?? []), { ...is, path: p }]);
  }
  return out;
}

/**
 * Local checks before asking the server (blank names, empty lists): issues at the same paths the
 * server would use, so they show in the same places. The server remains the authority.
 */
export function localIssues(rule: Rule, base: Path = []): RuleIssue[] {
  const out: RuleIssue[] = [];
  const k = kindOf(rule);
  const at = (p: Path, code: string) => out.push({ path: pathString([...base, ...p]), message: code, code: 'LOCAL' });
  if (k === 'all' || k === 'any') {
    const kids = (rule as Record<string, Rule[]>)[k]!;
    if (!kids.length) at([k], 'emptyGroup');
    kids.forEach((c, i) => out.push(...localIssues(c, [...base, k, i])));
  } else if (k === 'not') out.push(...localIssues((rule as { not: Rule }).not, [...base, 'not']));
  else if (k === 'trait') {
    const r = rule as TraitRule;
    if (r.trait.startsWith(IDENTIFY_PREFIX) && !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(r.trait.slice(IDENTIFY_PREFIX.length))) at(['trait'], 'badKey');
    if (!NO_VALUE_OPS.has(r.op) && blank(r.value)) at(['value'], 'needValue');
  } else if (k === 'event') {
    const r = rule as EventRule;
    if (!r.event.trim()) at(['event'], 'needEvent');
    r.where?.forEach((f, i) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(f.property)) at(['where', i, 'property'], 'badKey');
      if (!NO_VALUE_OPS.has(f.op) && blank(f.value)) at(['where', i, 'value'], 'needValue');
    });
    if (r.sum && !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(r.sum.property)) at(['sum', 'property'], 'badKey');
    if (r.within && 'since' in r.within && !r.within.since) at(['within', 'since'], 'needValue');
  } else if (k === 'social') {
    const r = rule as SocialRule;
    if (r.social !== 'near_kol' && r.of && blank('userId' in r.of ? r.of.userId : r.of.segment)) at(['of'], 'needValue');
  } else if (k === 'segment' && !(rule as SegmentRefRule).segment) at(['segment'], 'needSegment');
  return out;
}

function blank(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
  if (typeof v === 'number') return !Number.isFinite(v);
  if (Array.isArray(v)) return v.length === 0 || v.some(blank);
  return false;
}
