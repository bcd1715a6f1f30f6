import type { DuckDBConnection } from '@duckdb/node-api';
import { dropTraitsIndexes } from './indexes.ts';
import { amountSql } from './facts.ts';
import type { FieldName } from '../events/index.ts';

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
  await c.run(`insert into social_actions (${COLS}) select * from (${extractSql('e.workspace_id = $1', 'l.workspace_id = $1')}) order by seq`, [ws]);
}


/** Replaces the social actions of the events with outbox seq in (after, upTo], all workspaces (incremental pass). */
export async function refreshSocialActions(c: DuckDBConnection, after: number, upTo: number): Promise<void> {
  await c.run('delete from social_actions where seq > $1 and seq <= $2', [after, upTo]);
  // The order lines by the same seq range (in seq order: the zone maps skip the rest of the table).
  await c.run(`insert into social_actions (${COLS}) ${extractSql('e.seq > $1 and e.seq <= $2', 'l.seq > $1 and l.seq <= $2')}`, [after, upTo]);
}
