import type { DuckDBConnection } from '@duckdb/node-api';
import { dropTraitsIndexes } from './indexes.ts';
import { amountSql } from './facts.ts';
import { Params } from './params.ts';
import type { FieldName } from '../events/index.ts';
import { readRows, type EventStoreDb } from '../../platform/eventstore/duckdb.ts';

/**
 * `social_actions`: the events the influence traits read, extracted once from the event log
 * (`event_fields`: the events' narrow copy with the properties read here; `order_lines`: the event
 * store's published schema) into narrow rows, so that the influence statements never parse event bodies. One row per (event, kind); an event may give two
 * (an `Order Completed` landing through a share link is a touch and an order).
 *
 * | kind | from | columns |
 * |---|---|---|
 * | follow / unfollow | `User Followed` / `User Unfollowed` | other_user_id = followee_id |
 * | friend / unfriend | `Friend Added` / `Friend Removed` | other_user_id = friend_id |
 * | invite_sent | `Invite Sent` | invite_id |
 * | invite_accepted | `Invite Accepted` | other_user_id = inviter_id, invite_id |
 * | share | `Product Shared` with a share_id | share_id, parent_share_id (unless equal to share_id) |
 * | touch | any event but `Product Shared` with `context.campaign.share_id`, or a `share_id` property on `Share Link Opened` / page / screen (as the social module reads it) | share_id |
 * | order | `Order Completed` | order_id, share_id (the order's own), amount (total, else revenue, else Σ lines) |
 * | cancel | `Order Cancelled` | order_id |
 *
 * The full recompute rebuilds a workspace's rows; each incremental pass replaces the rows of the
 * outbox seq range it covers (all workspaces), so replaying a range is harmless.
 */

const SOCIAL_NAMES = ['User Followed', 'User Unfollowed', 'Friend Added', 'Friend Removed', 'Invite Accepted', 'Invite Sent', 'Product Shared', 'Order Completed', 'Order Cancelled'];
/** Whether an event's body mentions a share (`event_fields.mentions_share`: a substring test of the body); `e.`-qualified. */
export const MENTIONS_SHARE = `e.mentions_share`;
/** Whether an event of `event_fields e` can give a social action (the extraction's first filter). */
export const SOCIAL_ACTION_EVENTS = `(e.event in (${SOCIAL_NAMES.map((n) => `'${n}'`).join(', ')}) or ${MENTIONS_SHARE})`;
const socialNames = new Set(SOCIAL_NAMES);
/** SOCIAL_ACTION_EVENTS in JS, over an event's name and MENTIONS_SHARE read with it (the incremental pass skips ranges without one). */
export const maySocialAction = (event: string | null, mentionsShare: boolean): boolean => mentionsShare || (event !== null && socialNames.has(event));

const p = (k: FieldName) => `nullif(e.${k}, '')`;
const d = (k: FieldName) => `try_cast(e.${k} as double)`;
const COLS = 'workspace_id, seq, ts, kind, user_id, anonymous_id, other_user_id, share_id, parent_share_id, invite_id, order_id, amount';
/** The inserted columns: COLS and `share_def` (share_id on `share` rows: a share's definition by index; migrations 13–14). */
const INSERT_COLS = `${COLS}, share_def`;
/** Rows of COLS with their share_def (every write path goes through it: the one definition of the column). */
const withShareDef = (sql: string) => `select *, case when kind = 'share' then share_id end from (${sql}) x(${COLS})`;

/**
 * One scan of the events' narrow copy: the events named below, and those whose body mentions
 * `share_id`, materialised; the kinds are read from that.
 */
function extractSql(where: string, linesWhere: string): string {
  const base = `e.workspace_id, e.seq, e.ts`;
  const actor = `e.user_id, e.anonymous_id`;
  const none = (n: number) => Array.from({ length: n }, () => 'null').join(', ');
  const edgeKind = `case e.event when 'User Followed' then 'follow' when 'User Unfollowed' then 'unfollow' when 'Friend Added' then 'friend'
    when 'Friend Removed' then 'unfriend' else 'invite_accepted' end`;
  const other = `case when e.event in ('User Followed', 'User Unfollowed') then ${p('followee_id')}
    when e.event in ('Friend Added', 'Friend Removed') then ${p('friend_id')} else ${p('inviter_id')} end`;
  const touch = `coalesce(nullif(e.campaign_share_id, ''),
    case when e.event = 'Share Link Opened' or e.type in ('page', 'screen') then ${p('share_id')} end)`;
  return `with e0 as materialized (
      select * from event_fields e
      where ${where} and ${SOCIAL_ACTION_EVENTS}),
    lines as (
      select l.workspace_id, l.seq, round(sum(coalesce(l.price, 0) * l.quantity), 2) as s from order_lines l
      where ${linesWhere} and (l.workspace_id, l.seq) in (select workspace_id, seq from e0 where event = 'Order Completed') group by 1, 2)
    select ${base}, ${edgeKind}, ${actor}, ${other}, ${none(2)}, case when e.event = 'Invite Accepted' then ${p('invite_id')} end, ${none(2)}
    from e0 e where e.type = 'track' and e.event in ('User Followed', 'User Unfollowed', 'Friend Added', 'Friend Removed', 'Invite Accepted')
    union all
    select ${base}, 'invite_sent', ${actor}, ${none(3)}, ${p('invite_id')}, ${none(2)}
    from e0 e where e.type = 'track' and e.event = 'Invite Sent'
    union all
    select ${base}, 'share', ${actor}, null, ${p('share_id')}, nullif(${p('parent_share_id')}, ${p('share_id')}), ${none(3)}
    from e0 e where e.type = 'track' and e.event = 'Product Shared' and ${p('share_id')} is not null
    union all
    select * from (select ${base}, 'touch', ${actor}, null, ${touch} as share_id, ${none(4)}
      from e0 e where e.type in ('track', 'page', 'screen') and e.event is distinct from 'Product Shared'
        and ${MENTIONS_SHARE}) where share_id is not null
    union all
    select ${base}, 'order', ${actor}, null, ${p('share_id')}, ${none(2)}, ${p('order_id')},
      round(coalesce(${amountSql(d('total'))}, ${amountSql(d('revenue'))}, ${amountSql('ln.s')}, 0), 2)::decimal(18,2)
    from e0 e left join lines ln on ln.workspace_id = e.workspace_id and ln.seq = e.seq where e.event = 'Order Completed'
    union all
    select ${base}, 'cancel', ${actor}, ${none(4)}, ${p('order_id')}, null
    from e0 e where e.event = 'Order Cancelled' and ${p('order_id')} is not null`;
}

/** Rebuilds a workspace's social actions from its whole log (full recompute). */
export async function rebuildSocialActions(c: DuckDBConnection, ws: string): Promise<void> {
  // The indexes are built again after the recompute's commit (indexes.ts).
  await dropTraitsIndexes(c, 'social_actions');
  await c.run('delete from social_actions where workspace_id = $1', [ws]);
  // In seq order, so that a pass's delete of its seq range reads one zone of the table.
  await c.run(`insert into social_actions (${INSERT_COLS}) ${withShareDef(extractSql('e.workspace_id = $1', 'l.workspace_id = $1'))} order by seq`, [ws]);
}


/** Up to this many seqs, a pass's range is extracted row by row (`rangeActions`), else by `extractSql`. */
export const ROW_PATH_MAX = 1000;

/** A social action of the row path (the columns of `social_actions`; ts in µs since the epoch, amount as decimal text). */
export interface SocialActionRow {
  workspaceId: string; seq: number; us: number; kind: string; userId: string | null; anonymousId: string | null;
  otherUserId: string | null; shareId: string | null; parentShareId: string | null; inviteId: string | null; orderId: string | null; amount: string | null;
}

/**
 * Replaces the social actions of the events with outbox seq in (after, upTo], all workspaces
 * (incremental pass). A short range (≤ ROW_PATH_MAX seqs) is extracted row by row and returned
 * (influence.ts `influenceChanges` reads them instead of the table); a longer one by the
 * set-based statement of the full rebuild (null). Both give the same rows
 * (test/profiles/social-actions.test.ts): the extraction's single-statement form costs DuckDB
 * ~20 ms whatever its input, the row path a few. `extracted`: the range's rows as `readPassRange`
 * gave them (read before the transaction: the event log's rows of a seq range do not change).
 */
export async function refreshSocialActions(c: DuckDBConnection, after: number, upTo: number, extracted?: SocialActionRow[] | null): Promise<SocialActionRow[] | null> {
  await c.run('delete from social_actions where seq > $1 and seq <= $2', [after, upTo]);
  if (upTo - after <= ROW_PATH_MAX) {
    const rows = extracted ?? await rangeActions(c, after, upTo);
    await insertActions(c, rows);
    return rows;
  }
  // The order lines by the same seq range (in seq order: the zone maps skip the rest of the table).
  await c.run(`insert into social_actions (${INSERT_COLS}) ${withShareDef(extractSql('e.seq > $1 and e.seq <= $2', 'l.seq > $1 and l.seq <= $2'))}`, [after, upTo]);
  return null;
}

const EDGE_EVENTS: Record<string, [kind: string, other: 'followee' | 'friend' | 'inviter']> = {
  'User Followed': ['follow', 'followee'], 'User Unfollowed': ['unfollow', 'followee'], 'Friend Added': ['friend', 'friend'],
  'Friend Removed': ['unfriend', 'friend'], 'Invite Accepted': ['invite_accepted', 'inviter'],
};

/** A row of ACTION_COLUMNS. */
export interface ActionSource {
  workspace_id: string; seq: number; us: number; type: string; event: string | null; user_id: string | null; anonymous_id: string | null;
  followee: string | null; friend: string | null; inviter: string | null; invite: string | null; share: string | null; parent: string | null;
  campaign: string | null; order_id: string | null; amount: string | null; mentions: boolean;
}

/**
 * The columns of `event_fields e` the row path reads (ActionSource): extractSql's property
 * expressions (nullif, try_cast, amountSql, rounding to a decimal) in SQL.
 */
export const ACTION_COLUMNS = `e.workspace_id, e.seq, epoch_us(e.ts) as us, e.type, e.event, e.user_id, e.anonymous_id, ${p('followee_id')} as followee,
       ${p('friend_id')} as friend, ${p('inviter_id')} as inviter, ${p('invite_id')} as invite, ${p('share_id')} as share, ${p('parent_share_id')} as parent,
       ${p('campaign_share_id')} as campaign, ${p('order_id')} as order_id,
       case when e.event = 'Order Completed' then round(coalesce(${amountSql(d('total'))}, ${amountSql(d('revenue'))}), 2)::decimal(18,2)::varchar end as amount,
       ${MENTIONS_SHARE} as mentions`;

/** `extractSql`'s rows of a seq range, row by row: ACTION_COLUMNS in SQL, the branches in JS (actionsOf). */
export async function rangeActions(c: DuckDBConnection, after: number, upTo: number): Promise<SocialActionRow[]> {
  const rows = await readRows<ActionSource>(c, `select ${ACTION_COLUMNS} from event_fields e where e.seq > $1 and e.seq <= $2 and ${SOCIAL_ACTION_EVENTS} order by e.seq`, [after, upTo]);
  return actionsOf(rows, (ws, seq) => linesAmount((sql, params) => readRows(c, sql, params), ws, seq));
}

/**
 * The social actions of ActionSource rows (in seq order; a row that cannot give one gives none).
 * `amountOf`: an order's amount from its lines, when it gives neither total nor revenue.
 */
export async function actionsOf(rows: ActionSource[], amountOf: (ws: string, seq: number) => Promise<string>): Promise<SocialActionRow[]> {
  const out: SocialActionRow[] = [];
  for (const x of rows) {
    const { type, event, share, parent, invite } = x;
    if (!maySocialAction(event, x.mentions)) continue;
    const row = (kind: string, o: Partial<SocialActionRow> = {}): SocialActionRow => ({
      workspaceId: x.workspace_id, seq: Number(x.seq), us: Number(x.us), kind, userId: x.user_id, anonymousId: x.anonymous_id,
      otherUserId: null, shareId: null, parentShareId: null, inviteId: null, orderId: null, amount: null, ...o,
    });
    const edge = event === null ? undefined : EDGE_EVENTS[event];
    if (type === 'track' && edge) {
      const other = { followee: x.followee, friend: x.friend, inviter: x.inviter }[edge[1]] ?? null;
      out.push(row(edge[0], { otherUserId: other, inviteId: event === 'Invite Accepted' ? invite ?? null : null }));
    }
    if (type === 'track' && event === 'Invite Sent') out.push(row('invite_sent', { inviteId: invite ?? null }));
    if (type === 'track' && event === 'Product Shared' && share) out.push(row('share', { shareId: share, parentShareId: parent === share ? null : parent ?? null }));
    if ((type === 'track' || type === 'page' || type === 'screen') && event !== 'Product Shared' && x.mentions) {
      const touch = x.campaign ?? (event === 'Share Link Opened' || type === 'page' || type === 'screen' ? share ?? null : null);
      if (touch !== null) out.push(row('touch', { shareId: touch }));
    }
    if (event === 'Order Completed') out.push(row('order', { shareId: share ?? null, orderId: x.order_id ?? null, amount: x.amount ?? await amountOf(x.workspace_id, Number(x.seq)) }));
    if (event === 'Order Cancelled' && x.order_id) out.push(row('cancel', { orderId: x.order_id }));
  }
  return out;
}

/** A read of rows as objects (a connection's, or the event store's reader). */
type ReadRows = <T>(sql: string, params: Array<string | number>) => Promise<T[]>;

/** An order's amount from its lines when it gives neither total nor revenue (extractSql's `lines`; no line: 0). */
async function linesAmount(read: ReadRows, ws: string, seq: number): Promise<string> {
  const r = await read<{ a: string }>(
    `select round(coalesce(${amountSql('s')}, 0), 2)::decimal(18,2)::varchar as a from (
       select round(sum(coalesce(l.price, 0) * l.quantity), 2) as s from order_lines l where l.workspace_id = $1 and l.seq = $2)`,
    [ws, seq],
  );
  return r[0]!.a;
}

/** Inserts row-path actions (one statement over bound lists; the decimal and timestamp from their exact text). */
async function insertActions(c: DuckDBConnection, rows: SocialActionRow[]): Promise<void> {
  if (!rows.length) return;
  const q = new Params();
  const col = (f: (r: SocialActionRow) => string | number | null) => `unnest(${q.list(rows.map((r) => { const v = f(r); return v === null ? null : String(v); }))})`;
  await c.run(
    `insert into social_actions (${INSERT_COLS}) ${withShareDef(`select ${col((r) => r.workspaceId)}, ${col((r) => r.seq)}::bigint, make_timestamptz(${col((r) => r.us)}::bigint),
       ${col((r) => r.kind)}, ${col((r) => r.userId)}, ${col((r) => r.anonymousId)}, ${col((r) => r.otherUserId)}, ${col((r) => r.shareId)},
       ${col((r) => r.parentShareId)}, ${col((r) => r.inviteId)}, ${col((r) => r.orderId)}, ${col((r) => r.amount)}::decimal(18,2)`)}`,
    q.values, q.types,
  );
}

/** An event of a pass's range: its workspace, seq, ids, name, and whether it can give a social action. */
export interface PassEvent { workspaceId: string; seq: number; userId: string | null; anonymousId: string | null; event: string | null; social: boolean }

/**
 * A pass's seq range of the event log in one read on the store's reader, before the pass's
 * transaction (the log's rows of a seq range do not change): its events in seq order and, for a
 * short range (the row path), its social actions, which refreshSocialActions then writes without
 * reading the range again. A longer range reads the ids only (`actions` null).
 */
export async function readPassRange(es: EventStoreDb, after: number, upTo: number): Promise<{ events: PassEvent[]; actions: SocialActionRow[] | null }> {
  const short = upTo - after <= ROW_PATH_MAX;
  const cols = short ? ACTION_COLUMNS : `e.workspace_id, e.seq, e.user_id, e.anonymous_id, e.event, ${MENTIONS_SHARE} as mentions`;
  const rows = (await es.read<ActionSource>(`select ${cols} from event_fields e where e.seq > $1 and e.seq <= $2`, [after, upTo])).sort((a, b) => a.seq - b.seq);
  const events = rows.map((x) => ({
    workspaceId: x.workspace_id, seq: x.seq, userId: x.user_id, anonymousId: x.anonymous_id, event: x.event, social: maySocialAction(x.event, x.mentions),
  }));
  const actions = short ? await actionsOf(rows, (ws, seq) => linesAmount((sql, params) => es.read(sql, params), ws, seq)) : null;
  return { events, actions };
}
