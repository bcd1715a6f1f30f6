/**
 * RFM scoring: quintile scores 1–5 over the workspace's buyers and the named R×F segments.
 *
 * Scores follow the common reference implementation (pandas):
 *   R = qcut(recency.rank(method='first'), 5, labels=[5,4,3,2,1])
 *   F = qcut(frequency.rank(method='first'), 5, labels=[1,2,3,4,5])
 *   M = qcut(monetary.rank(method='first'), 5, labels=[1,2,3,4,5])
 * Ties are broken by rank, i.e. by a fixed order of the buyers: their userId (profiles without one
 * after, by anonymousId), then the profile id. For rank r of n, qcut's bin is the smallest k with
 * r <= 1 + (n-1)·k/5, computed here in integers: k = max(1, ceil(5(r-1)/(n-1))).
 */

/** The named segments on the two-digit R/F code, in the regex map of the common RFM tutorials. */
export const RFM_SEGMENT_MAP: ReadonlyArray<readonly [RegExp, string]> = [
  [/^[1-2][1-2]$/, 'Hibernating'],
  [/^[1-2][3-4]$/, 'At Risk'],
  [/^[1-2]5$/, "Can't Lose Them"],
  [/^3[1-2]$/, 'About to Sleep'],
  [/^33$/, 'Need Attention'],
  [/^[3-4][4-5]$/, 'Loyal Customers'],
  [/^41$/, 'Promising'],
  [/^51$/, 'New Customers'],
  [/^[4-5][2-3]$/, 'Potential Loyalists'],
  [/^5[4-5]$/, 'Champions'],
];

export const RFM_SEGMENTS = [
  'Champions', 'Loyal Customers', 'Potential Loyalists', 'New Customers', 'Promising',
  'Need Attention', 'About to Sleep', 'At Risk', "Can't Lose Them", 'Hibernating',
] as const;
export type RfmSegment = (typeof RFM_SEGMENTS)[number];

/** The segment of an R score and an F score (1–5 each). */
export function rfmSegment(r: number, f: number): RfmSegment {
  const code = `${r}${f}`;
  for (const [re, name] of RFM_SEGMENT_MAP) if (re.test(code)) return name as RfmSegment;
  throw new Error(`no RFM segment for code ${code}`);
}

/** qcut's bin (1..q) of rank r (1-based) among n ranked items. */
export function qcutBin(r: number, n: number, q = 5): number {
  if (n <= 1) return 1;
  return Math.max(1, Math.ceil((q * (r - 1)) / (n - 1)));
}

/** SQL for qcutBin over integer expressions (exact integer arithmetic). */
const binSql = (r: string, n: string, q: number) => `(case when ${n} <= 1 then 1 else greatest(1, (${q} * (${r} - 1) + ${n} - 2) // (${n} - 1)) end)`;

/** The tie-breaking order of profiles (after the value): userId, then anonymousId, then profile id. */
export const PROFILE_ORDER = `(user_id is null), user_id, anonymous_id, profile_id`;

const segmentCase = () => {
  const whens: string[] = [];
  for (let r = 1; r <= 5; r++) for (let f = 1; f <= 5; f++) whens.push(`when ${r * 10 + f} then '${rfmSegment(r, f).replace(/'/g, "''")}'`);
  return `case s.r * 10 + s.f ${whens.join(' ')} end`;
};

/**
 * Statements that (re)score every buyer of workspace $1 from the stored rfm_* facts, and rank the
 * typical price into terciles (price_band low / mid / high, same rank rule). Workspace-relative,
 * so they run over the whole workspace after any full or partial recompute.
 */
export function rescoreStatements(): string[] {
  return [
    `update computed_traits set r_score = null, f_score = null, m_score = null, rfm_cell = null, rfm_segment = null
     where workspace_id = $1 and coalesce(rfm_frequency, 0) = 0 and r_score is not null`,
    `update computed_traits t set r_score = s.r, f_score = s.f, m_score = s.m,
       rfm_cell = s.r::varchar || s.f::varchar || s.m::varchar, rfm_segment = ${segmentCase()}
     from (
       select profile_id,
         6 - ${binSql('row_number() over (order by rfm_recency_days, ' + PROFILE_ORDER + ')', 'count(*) over ()', 5)} as r,
         ${binSql('row_number() over (order by rfm_frequency, ' + PROFILE_ORDER + ')', 'count(*) over ()', 5)} as f,
         ${binSql('row_number() over (order by rfm_monetary, ' + PROFILE_ORDER + ')', 'count(*) over ()', 5)} as m
       from computed_traits where workspace_id = $1 and rfm_frequency > 0
     ) s
     where t.workspace_id = $1 and t.profile_id = s.profile_id
       and (t.r_score is distinct from s.r or t.f_score is distinct from s.f or t.m_score is distinct from s.m or t.rfm_segment is null)`,
    `update computed_traits t set price_band = s.band
     from (
       select profile_id,
         ['low', 'mid', 'high'][${binSql('row_number() over (order by typical_price, ' + PROFILE_ORDER + ')', 'count(*) over ()', 3)}] as band
       from computed_traits where workspace_id = $1 and typical_price is not null
     ) s
     where t.workspace_id = $1 and t.profile_id = s.profile_id and t.price_band is distinct from s.band`,
  ];
}
