/**
 * `event_fields`: a narrow copy of each logged event without its body: the columns of `events` but
 * `received_at` / `body`, whether the body mentions `share_id` (text search), and the properties
 * the traits read, as text exactly as DuckDB's `json_extract_string(body, path)` gives them (a
 * string as it is, a number in its JSON form, an object or array as compact JSON, JSON null as
 * null). Written at append with the event (the same transaction) and built from the log by the
 * event-store migration that introduced it; whole-log computations (the traits' full recompute,
 * the social actions) read it instead of parsing ~5 GB of bodies per 10 M events.
 *
 * The published schema (docs/architecture): one row per `events` row, same workspace_id / seq.
 */
export const FIELD_PATHS = {
  order_id: '$.properties.order_id',
  total: '$.properties.total',
  revenue: '$.properties.revenue',
  coupon: '$.properties.coupon',
  discount: '$.properties.discount',
  category: '$.properties.category',
  brand: '$.properties.brand',
  share_id: '$.properties.share_id',
  parent_share_id: '$.properties.parent_share_id',
  followee_id: '$.properties.followee_id',
  friend_id: '$.properties.friend_id',
  inviter_id: '$.properties.inviter_id',
  invite_id: '$.properties.invite_id',
  campaign_share_id: '$.context.campaign.share_id',
} as const;
export type FieldName = keyof typeof FIELD_PATHS;
export const FIELD_NAMES = Object.keys(FIELD_PATHS) as FieldName[];

/** The text DuckDB's JSON writer gives a number: JavaScript's shortest form without the exponent's '+'. */
function numberText(n: number): string {
  return JSON.stringify(n).replace('e+', 'e');
}

/** Compact JSON as DuckDB writes a nested value (json_extract_string of an object or array). */
function jsonText(v: unknown): string {
  if (v === null) return 'null';
  // JSON.stringify writes a non-finite number as null (bodies come from JSON: there are none).
  if (typeof v === 'number') return Number.isFinite(v) ? numberText(v) : 'null';
  if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => jsonText(x === undefined ? null : x)).join(',')}]`;
  if (typeof v === 'object') {
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) parts.push(`${JSON.stringify(k)}:${jsonText(x)}`);
    return `{${parts.join(',')}}`;
  }
  return 'null';
}

/** `json_extract_string` of a value found at a path: null for a missing value or JSON null. */
export function extractedText(v: unknown): string | null {
  if (v === undefined || v === null || (typeof v === 'number' && !Number.isFinite(v))) return null;
  if (typeof v === 'string') return v;
  return jsonText(v);
}

/** A member of an object (not of an array, which has no named member), else undefined. */
function member(x: unknown, k: string): unknown {
  return x !== null && typeof x === 'object' && !Array.isArray(x) && Object.hasOwn(x, k) ? (x as Record<string, unknown>)[k] : undefined;
}

/** Each field's path as its keys, split once. */
const PATH_KEYS = FIELD_NAMES.map((k) => FIELD_PATHS[k].slice(2).split('.'));

/** The fields of an event from its body (as stored: `bodyText` is the JSON text written to `events.body`). */
export function eventFieldsOf(body: unknown, bodyText: string): { mentionsShare: boolean; fields: Array<string | null> } {
  const props = member(body, 'properties');
  const fields = PATH_KEYS.map((keys) => {
    // '$.properties.<k>' from the properties object read once; other paths walked.
    if (keys.length === 2 && keys[0] === 'properties') return extractedText(member(props, keys[1]!));
    let x: unknown = body;
    for (const k of keys) x = member(x, k);
    return extractedText(x);
  });
  return { mentionsShare: bodyText.includes('share_id'), fields };
}

/** The same fields in SQL, over `events e` (the migration that builds the table from the log). */
export function eventFieldsSelectSql(): string {
  const paths = `[${FIELD_NAMES.map((k) => `'${FIELD_PATHS[k]}'`).join(', ')}]`;
  return `select workspace_id, seq, type, event, user_id, anonymous_id, ts, message_id, strpos(body::varchar, 'share_id') > 0 as mentions_share,
      ${FIELD_NAMES.map((k, i) => `x[${i + 1}] as ${k}`).join(', ')}
    from (select *, json_extract_string(body, ${paths}) as x from events)`;
}

export const EVENT_FIELDS_DDL = `create table if not exists event_fields (
  workspace_id varchar not null, seq bigint not null, type varchar not null, event varchar, user_id varchar, anonymous_id varchar,
  ts timestamptz not null, message_id varchar not null, mentions_share boolean not null,
  ${FIELD_NAMES.map((k) => `${k} varchar`).join(', ')})`;
