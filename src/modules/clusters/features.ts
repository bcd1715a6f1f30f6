/**
 * Behavioural features for auto-segments: each is one computed-traits column (docs/profiles.md),
 * log-transformed (ln(1 + max(x, 0))) when heavy-tailed, then standardised over the population
 * (z = (t(x) − mean) / sd, population sd). A missing value is imputed with the mean (z = 0).
 * Each carries the words a marketer reads when a cluster is far above or below the population.
 */

export type Transform = 'log1p' | 'none';

export interface FeatureDef {
  /** API name (the camelCase trait name). */
  name: string;
  /** computed_traits column. */
  column: string;
  transform: Transform;
  high: { zh: string; en: string };
  low: { zh: string; en: string };
}

export const FEATURES: readonly FeatureDef[] = [
  { name: 'orders', column: 'orders', transform: 'log1p', high: { zh: '常回购', en: 'frequent buyers' }, low: { zh: '下单少', en: 'one-off buyers' } },
  { name: 'gmv', column: 'gmv', transform: 'log1p', high: { zh: '高消费', en: 'big spenders' }, low: { zh: '低消费', en: 'low spenders' } },
  { name: 'aov', column: 'aov', transform: 'log1p', high: { zh: '客单价高', en: 'big baskets' }, low: { zh: '客单价低', en: 'small baskets' } },
  { name: 'netRevenue', column: 'net_revenue', transform: 'log1p', high: { zh: '净消费高', en: 'high net spend' }, low: { zh: '净消费低', en: 'low net spend' } },
  { name: 'daysSinceLastOrder', column: 'days_since_last_order', transform: 'log1p', high: { zh: '久未下单', en: 'lapsed' }, low: { zh: '近期活跃', en: 'recently active' } },
  { name: 'purchaseDays', column: 'purchase_days', transform: 'log1p', high: { zh: '购买天数多', en: 'buy on many days' }, low: { zh: '购买天数少', en: 'buy on few days' } },
  { name: 'medianGapDays', column: 'median_gap_days', transform: 'log1p', high: { zh: '购买间隔长', en: 'long gaps between orders' }, low: { zh: '购买间隔短', en: 'short gaps between orders' } },
  { name: 'events30d', column: 'events_30d', transform: 'log1p', high: { zh: '近 30 天很活跃', en: 'very active lately' }, low: { zh: '近期不活跃', en: 'quiet lately' } },
  { name: 'eventsTotal', column: 'events_total', transform: 'log1p', high: { zh: '历史互动多', en: 'lots of activity overall' }, low: { zh: '历史互动少', en: 'little activity overall' } },
  { name: 'refundRate', column: 'refund_rate', transform: 'none', high: { zh: '常退款', en: 'often refund' }, low: { zh: '很少退款', en: 'rarely refund' } },
  { name: 'couponShare', column: 'coupon_share', transform: 'none', high: { zh: '爱用优惠券', en: 'coupon-driven (price-sensitive)' }, low: { zh: '很少用券', en: 'pay full price' } },
  { name: 'social90d', column: 'social_90d', transform: 'log1p', high: { zh: '社交活跃', en: 'socially active (share, invite, follow)' }, low: { zh: '很少分享', en: 'rarely share' } },
  { name: 'typicalPrice', column: 'typical_price', transform: 'log1p', high: { zh: '偏好高价商品', en: 'premium buyers' }, low: { zh: '偏好低价商品', en: 'bargain buyers' } },
  { name: 'churnProbability', column: 'churn_probability', transform: 'none', high: { zh: '流失风险高', en: 'high churn risk' }, low: { zh: '流失风险低', en: 'low churn risk' } },
  // Influence traits (docs/profiles.md, "Social influence"): usable once the workspace has them.
  { name: 'followers', column: 'followers', transform: 'log1p', high: { zh: '粉丝多', en: 'many followers' }, low: { zh: '粉丝少', en: 'few followers' } },
  { name: 'friends', column: 'friends', transform: 'log1p', high: { zh: '好友多', en: 'many friends' }, low: { zh: '好友少', en: 'few friends' } },
  { name: 'invitesSent', column: 'invites_sent', transform: 'log1p', high: { zh: '常邀请好友', en: 'invite friends often' }, low: { zh: '很少邀请', en: 'rarely invite' } },
  { name: 'invitesAccepted', column: 'invites_accepted', transform: 'log1p', high: { zh: '拉新能力强', en: 'bring in new users' }, low: { zh: '很少拉新', en: 'bring in few new users' } },
  { name: 'shares', column: 'shares', transform: 'log1p', high: { zh: '爱分享', en: 'share a lot' }, low: { zh: '很少分享商品', en: 'rarely share products' } },
  { name: 'shareClicks', column: 'share_clicks', transform: 'log1p', high: { zh: '分享带来点击', en: 'shares get clicks' }, low: { zh: '分享少有点击', en: 'shares get few clicks' } },
  { name: 'downstreamOrders', column: 'downstream_orders', transform: 'log1p', high: { zh: '分享带来订单', en: 'shares drive orders' }, low: { zh: '分享很少带来订单', en: 'shares drive few orders' } },
  { name: 'downstreamGmv', column: 'downstream_gmv', transform: 'log1p', high: { zh: '带货能力强', en: 'drive sales through shares' }, low: { zh: '带货少', en: 'drive little sales through shares' } },
  { name: 'centralityPercentile', column: 'centrality_percentile', transform: 'none', high: { zh: '社交网络核心', en: 'central in the social graph' }, low: { zh: '社交网络边缘', en: 'on the edge of the social graph' } },
];

export const FEATURE_NAMES = FEATURES.map((f) => f.name) as [string, ...string[]];

/** Used when the request names none: purchase frequency and spend, recency, activity, refunds, coupons, social. */
export const DEFAULT_FEATURES = ['orders', 'gmv', 'daysSinceLastOrder', 'events30d', 'refundRate', 'couponShare', 'social90d'];

export function featureDef(name: string): FeatureDef {
  const f = FEATURES.find((x) => x.name === name);
  if (!f) throw new RangeError(`unknown feature ${name}`);
  return f;
}

export function transform(t: Transform, x: number): number {
  return t === 'log1p' ? Math.log(1 + Math.max(x, 0)) : x;
}

/** Standardisation of one feature: z = (t(x) − mean) / sd on the transformed scale. */
export interface Scaling {
  name: string;
  column: string;
  transform: Transform;
  mean: number;
  sd: number;
}

/** Mean and population sd of t(x) over the non-missing values (NaN = missing); sd 0 when constant or empty. */
export function scalingOf(def: FeatureDef, values: Float64Array): Scaling {
  let n = 0;
  let s = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    n++;
    s += transform(def.transform, v);
  }
  const mean = n ? s / n : 0;
  let ss = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    const x = transform(def.transform, v) - mean;
    ss += x * x;
  }
  return { name: def.name, column: def.column, transform: def.transform, mean, sd: n ? Math.sqrt(ss / n) : 0 };
}

/** The z-score of a raw value (a missing one is 0: imputed with the mean). */
export function zOf(s: Scaling, v: number): number {
  return Number.isNaN(v) ? 0 : (transform(s.transform, v) - s.mean) / s.sd;
}
