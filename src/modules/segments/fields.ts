/**
 * The allow-listed trait fields of the rule language: API name → computed_traits column and type.
 * The compiler only ever writes column names from this table. Influence fields are listed ahead
 * of their columns: while a column does not exist, the field is missing (null) for everyone.
 */
export type FieldType = 'number' | 'text' | 'time' | 'list' | 'flag' | 'identify';

export interface TraitField { column: string; type: FieldType; /** the column is a DATE (not a timestamp) */ date?: boolean }

const n = (column: string): TraitField => ({ column, type: 'number' });
const t = (column: string): TraitField => ({ column, type: 'text' });
const tm = (column: string, date = false): TraitField => ({ column, type: 'time', date });

export const TRAIT_FIELDS: Record<string, TraitField> = {
  orders: n('orders'), gmv: n('gmv'), netRevenue: n('net_revenue'), aov: n('aov'),
  daysSinceLastOrder: n('days_since_last_order'), purchaseDays: n('purchase_days'),
  refundedOrders: n('refunded_orders'), refundedAmount: n('refunded_amount'), refundRate: n('refund_rate'),
  couponOrders: n('coupon_orders'), couponShare: n('coupon_share'), repeatFrequency: n('repeat_frequency'),
  medianGapDays: n('median_gap_days'), typicalPrice: n('typical_price'),
  rfmRecencyDays: n('rfm_recency_days'), rfmFrequency: n('rfm_frequency'), rfmMonetary: n('rfm_monetary'),
  rScore: n('r_score'), fScore: n('f_score'), mScore: n('m_score'), churnProbability: n('churn_probability'),
  eventsTotal: n('events_total'), events30d: n('events_30d'), eventsPrev30d: n('events_prev_30d'), social90d: n('social_90d'),
  followers: n('followers'), following: n('following'), friends: n('friends'), invitesSent: n('invites_sent'), invitesAccepted: n('invites_accepted'),
  shares: n('shares'), shareClicks: n('share_clicks'), downstreamOrders: n('downstream_orders'), downstreamGmv: n('downstream_gmv'),
  centrality: n('centrality'), centralityPercentile: n('centrality_percentile'),
  priceBand: t('price_band'), rfmSegment: t('rfm_segment'), rfmCell: t('rfm_cell'), lifecycleStage: t('lifecycle_stage'),
  userId: t('user_id'), anonymousId: t('anonymous_id'),
  firstOrderAt: tm('first_order_at'), lastOrderAt: tm('last_order_at'), firstSeenAt: tm('first_seen_at'), lastSeenAt: tm('last_seen_at'),
  lifecycleSince: tm('lifecycle_since', true), nextPurchaseFrom: tm('next_purchase_from', true), nextPurchaseTo: tm('next_purchase_to', true),
  topCategories: { column: 'top_categories', type: 'list' }, topBrands: { column: 'top_brands', type: 'list' },
  isKol: { column: 'is_kol', type: 'flag' },
};

/** Identify traits: `traits.<key>`. */
export const IDENTIFY_PREFIX = 'traits.';
export const KEY_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The field of a trait name, or null when it is not allow-listed. */
export function traitField(name: string): TraitField | null {
  if (Object.hasOwn(TRAIT_FIELDS, name)) return TRAIT_FIELDS[name]!;
  if (name.startsWith(IDENTIFY_PREFIX) && KEY_RE.test(name.slice(IDENTIFY_PREFIX.length))) return { column: name.slice(IDENTIFY_PREFIX.length), type: 'identify' };
  return null;
}

/** The operators each type accepts. */
export const OPS_BY_TYPE: Record<FieldType, readonly string[]> = {
  number: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'between', 'exists', 'not_exists'],
  text: ['eq', 'neq', 'in', 'not_in', 'contains', 'exists', 'not_exists'],
  time: ['before', 'after', 'between', 'within_last_days', 'exists', 'not_exists'],
  list: ['contains', 'exists', 'not_exists'],
  flag: ['eq', 'exists', 'not_exists'],
  identify: ['eq', 'neq', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'between', 'contains', 'exists', 'not_exists'],
};
