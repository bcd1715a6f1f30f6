// Names and definitions (zh-CN / en) of the computed traits, shown on hover in User 360 and used
// as field labels in the segment builder. Source of truth: docs/profiles.md (keep in step).
import type { Lang } from '../i18n';

export type TraitGroup = 'activity' | 'purchase' | 'price' | 'repeat' | 'rfm' | 'lifecycle' | 'churn' | 'interest' | 'influence';

export interface TraitDef {
  group: TraitGroup;
  /** How the value is shown. */
  kind: 'int' | 'money' | 'ratio' | 'number' | 'time' | 'date' | 'text' | 'bool' | 'weights';
  label: Record<Lang, string>;
  def: Record<Lang, string>;
}

const d = (group: TraitGroup, kind: TraitDef['kind'], zh: string, en: string, defZh: string, defEn: string): TraitDef => ({
  group,
  kind,
  label: { 'zh-CN': zh, en },
  def: { 'zh-CN': defZh, en: defEn },
});

/** Keyed by the camelCase name the API returns (`GET /api/v1/users/:id/traits`). */
export const TRAIT_DEFS: Record<string, TraitDef> = {
  firstSeenAt: d('activity', 'time', '首次出现', 'First seen', '截至计算日，此人最早一条事件的时间', 'Time of the person’s first event up to the as-of day'),
  lastSeenAt: d('activity', 'time', '最近出现', 'Last seen', '截至计算日，此人最近一条事件的时间', 'Time of the person’s last event up to the as-of day'),
  eventsTotal: d('activity', 'int', '事件总数', 'Events (all)', '截至计算日此人的全部事件数', 'All events of the person up to the as-of day'),
  events30d: d('activity', 'int', '近 30 天事件', 'Events, 30 days', '截至计算日结束的 30 天内的事件数', 'Events in the 30 days to the end of the as-of day'),
  eventsPrev30d: d('activity', 'int', '前 30 天事件', 'Events, previous 30 days', '再往前 30 天（第 31–60 天）的事件数，用于看活跃趋势', 'Events in the 30 days before those (days 31–60): the activity trend'),
  social90d: d('activity', 'int', '近 90 天社交行为', 'Social actions, 90 days', '90 天内的分享、邀请、接受邀请、关注、加好友、评价次数', 'Product Shared, Invite Sent, Invite Accepted, User Followed, Friend Added, Product Reviewed in 90 days'),

  orders: d('purchase', 'int', '订单数', 'Orders', '截至计算日的订单数（Order Completed，按 order_id 去重，已取消的不计）', 'Orders up to the as-of day (Order Completed, one per order_id, cancelled ones excluded)'),
  gmv: d('purchase', 'money', '成交额 GMV', 'GMV', '全部订单金额之和（退款前）', 'Sum of order totals (before refunds)'),
  netRevenue: d('purchase', 'money', '净收入', 'Net revenue', 'GMV 减去退款金额', 'GMV minus the amount refunded'),
  aov: d('purchase', 'money', '客单价', 'Average order value', 'GMV ÷ 订单数', 'GMV ÷ orders'),
  firstOrderAt: d('purchase', 'time', '首单时间', 'First order', '第一笔订单的时间', 'Time of the first order'),
  lastOrderAt: d('purchase', 'time', '最近下单', 'Last order', '最近一笔订单的时间', 'Time of the last order'),
  daysSinceLastOrder: d('purchase', 'int', '距上次下单天数', 'Days since last order', '计算日减去最近下单日', 'As-of day minus the day of the last order'),
  purchaseDays: d('purchase', 'int', '购买天数', 'Purchase days', '有订单的不同日期数', 'Distinct days with an order'),
  refundedOrders: d('purchase', 'int', '退款订单数', 'Refunded orders', '有任意退款的订单数', 'Orders with any refund'),
  refundedAmount: d('purchase', 'money', '退款金额', 'Refunded amount', '退款总额（每单不超过订单金额）', 'Amount refunded (at most each order’s total)'),
  refundRate: d('purchase', 'ratio', '退款率', 'Refund rate', '退款订单数 ÷ 订单数', 'Refunded orders ÷ orders'),
  couponOrders: d('price', 'int', '用券订单数', 'Orders with a coupon', '带优惠券或折扣 > 0 的订单数', 'Orders with a coupon or a discount > 0'),
  couponShare: d('price', 'ratio', '用券占比（价格敏感度）', 'Coupon share (price sensitivity)', '用券订单数 ÷ 订单数：越高越价格敏感', 'Orders with a coupon ÷ orders: the higher, the more price-sensitive'),
  typicalPrice: d('price', 'money', '典型价格', 'Typical price', '所购商品单价的中位数', 'Median unit price of the lines bought'),
  priceP25: d('price', 'money', '价格 P25', 'Price P25', '所购商品单价的 25% 分位数', '25th percentile of the unit prices bought'),
  priceP75: d('price', 'money', '价格 P75', 'Price P75', '所购商品单价的 75% 分位数', '75th percentile of the unit prices bought'),
  priceBand: d('price', 'text', '价格带', 'Price band', 'low / mid / high：典型价格在本工作区买家中的三分位', 'low / mid / high: tercile of the typical price among the workspace’s buyers'),

  repeatFrequency: d('repeat', 'int', '复购次数', 'Repeat frequency', '购买天数 − 1（BG/NBD 的 frequency）', 'Purchase days − 1 (BG/NBD frequency)'),
  repeatRecencyWeeks: d('repeat', 'number', '复购跨度（周）', 'Repeat recency (weeks)', '（最后购买日 − 首次购买日）÷ 7（BG/NBD 的 recency）', '(last purchase day − first purchase day) / 7 (BG/NBD recency)'),
  repeatTWeeks: d('repeat', 'number', '客户年龄（周）', 'Customer age (weeks)', '（计算日 − 首次购买日）÷ 7（BG/NBD 的 T）', '(as-of day − first purchase day) / 7 (BG/NBD T)'),
  medianGapDays: d('repeat', 'number', '购买间隔中位数（天）', 'Median gap (days)', '相邻购买日之间间隔的中位数', 'Median of the gaps between consecutive purchase days'),
  nextPurchaseFrom: d('repeat', 'date', '预计下次购买（起）', 'Next purchase (from)', '最后购买日 + 间隔的 25% 分位数；早于计算日表示已逾期', 'Last purchase day + the 25th percentile gap; before the as-of day means overdue'),
  nextPurchaseTo: d('repeat', 'date', '预计下次购买（止）', 'Next purchase (to)', '最后购买日 + 间隔的 75% 分位数', 'Last purchase day + the 75th percentile gap'),

  rfmRecencyDays: d('rfm', 'int', 'RFM 最近购买（天）', 'RFM recency (days)', '计算日减去窗口内最后一次下单日', 'As-of day minus the day of the last order in the RFM window'),
  rfmFrequency: d('rfm', 'int', 'RFM 频次', 'RFM frequency', 'RFM 窗口内的订单数', 'Orders in the RFM window'),
  rfmMonetary: d('rfm', 'money', 'RFM 金额', 'RFM monetary', 'RFM 窗口内的净消费（金额 − 退款）', 'Net spend in the RFM window (totals − refunds)'),
  rScore: d('rfm', 'int', 'R 分', 'R score', '最近购买的五分位得分 1–5（越近越高）', 'Recency quintile score 1–5 (more recent = higher)'),
  fScore: d('rfm', 'int', 'F 分', 'F score', '频次的五分位得分 1–5', 'Frequency quintile score 1–5'),
  mScore: d('rfm', 'int', 'M 分', 'M score', '金额的五分位得分 1–5', 'Monetary quintile score 1–5'),
  rfmCell: d('rfm', 'text', 'RFM 单元', 'RFM cell', 'R、F、M 三位数字', 'R, F and M as three digits'),
  rfmSegment: d('rfm', 'text', 'RFM 分群', 'RFM segment', '按 R/F 两位代码对应的标准命名分群（冠军客户、忠诚客户……）', 'The standard named segment of the two-digit R/F code (Champions, Loyal Customers, …)'),

  lifecycleStage: d('lifecycle', 'text', '生命周期阶段', 'Lifecycle stage', '潜在、新客、活跃、回流、复活、流失风险、沉睡、已流失：按购买日与配置的窗口判定', 'prospect, new, active, returning, resurrected, at risk, dormant, churned: from purchase days and the configured windows'),
  lifecycleSince: d('lifecycle', 'date', '进入该阶段', 'Stage since', '最近一次阶段变化的日期', 'Day of the last stage change'),

  churnProbability: d('churn', 'ratio', '流失概率', 'Churn probability', '未来 N 天（churn.horizonDays）不再下单的概率：用本工作区历史训练的逻辑回归', 'Probability of no order in the next N days (churn.horizonDays): a logistic regression trained on the workspace’s own history'),

  topCategories: d('interest', 'weights', '偏好类目', 'Favourite categories', '时间衰减的兴趣权重：浏览 1、加购 3、购买 5，按半衰期衰减，占比最高的 5 个', 'Time-decayed interest: viewed 1, added 3, bought 5, halved every half-life; top 5 by share'),
  topBrands: d('interest', 'weights', '偏好品牌', 'Favourite brands', '同偏好类目，按品牌统计', 'As favourite categories, by brand'),

  followers: d('influence', 'int', '粉丝数', 'Followers', '当前关注此人的用户数（计算日结束时仍有效的关注）', 'Profiles with a live follow edge to this person'),
  following: d('influence', 'int', '关注数', 'Following', '此人当前关注的用户数', 'Profiles this person follows (live edges)'),
  friends: d('influence', 'int', '好友数', 'Friends', '当前有效的好友关系数', 'Profiles with a live friendship with this person'),
  invitesSent: d('influence', 'int', '发出邀请', 'Invites sent', '此人发出的不同邀请数（按 invite_id）', 'Distinct invite_ids of this person’s Invite Sent events'),
  invitesAccepted: d('influence', 'int', '邀请成功', 'Invites accepted', '接受了此人邀请（inviter_id 为此人）的用户数', 'Profiles who accepted an invite naming this person as inviter'),
  shares: d('influence', 'int', '分享次数', 'Shares', '此人发起的分享数（不同 share_id）', 'Shares (distinct share_id) this person made'),
  shareClicks: d('influence', 'int', '分享点击', 'Share clicks', '通过此人的分享带来的访问（每个分享 × 访客计一次，不含本人）', 'Visits through this person’s shares: distinct (share, visitor) pairs, the sharer’s own visits excluded'),
  downstreamOrders: d('influence', 'int', '下游订单', 'Downstream orders', '归因到此人的分享、或其下 influence.depth 代内转发的分享的订单数', 'Orders credited to this person’s shares or to shares up to influence.depth generations below them'),
  downstreamGmv: d('influence', 'money', '下游成交额', 'Downstream GMV', '上述下游订单的金额合计（退款前）', 'Sum of those orders’ totals (before refunds)'),
  centrality: d('influence', 'number', '网络中心度', 'Centrality', '社交图（关注、好友、邀请）上的 PageRank × 节点数（平均为 1）：越高越有影响力', 'PageRank on the social graph (follow, friend, invite edges) × the number of nodes (mean 1): the higher, the more influential'),
  centralityPercentile: d('influence', 'number', '中心度百分位', 'Centrality percentile', '中心度低于此人的节点占比（0–100）', 'Share of graph nodes with a lower centrality (0–100)'),
  isKol: d('influence', 'bool', 'KOL', 'KOL', '粉丝数 ≥ influence.kol.minFollowers，或中心度百分位 ≥ influence.kol.minCentralityPercentile', 'followers ≥ influence.kol.minFollowers or centrality percentile ≥ influence.kol.minCentralityPercentile'),
};

/** Influence traits in display order (shown when the influence columns exist). */
export const INFLUENCE_KEYS = ['followers', 'following', 'friends', 'invitesSent', 'invitesAccepted', 'shares', 'shareClicks', 'downstreamOrders', 'downstreamGmv', 'centrality', 'centralityPercentile', 'isKol'];

export const TRAIT_GROUPS: TraitGroup[] = ['purchase', 'price', 'repeat', 'rfm', 'lifecycle', 'churn', 'interest', 'activity', 'influence'];
