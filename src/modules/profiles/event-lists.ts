import type { DuckDBConnection } from '@duckdb/node-api';
import type { EventStoreDb } from '../../platform/eventstore/duckdb.ts';
import { Params } from './params.ts';
import { EVENT_VALUE_COLUMNS, eventValues, type Scope } from './facts.ts';

/**
 * Each user id's and anonymous id's events, as lists (`traits_event_lists`, event-store migration
 * 10): what the incremental pass reads to recompute a person. Why: a read of a person's events
 * from the log goes through the `events` ART indexes, which fetch row by row and column by column
 * (~10 µs each at 11 M events): 60–100 ms for a person with 2–3 k events, the tail of the pass.
 * Here a person's history is a few rows (one index lookup each, the lists read in bulk).
 *
 * - Values: `eventValues` (facts.ts), the same extraction and casts scopeLookups reads from the
 *   log, so the JS facts get the same values either way. One row per (id, appending pass): the
 *   traits pass appends its range's events (`appendEventLists`, in its transaction, before the
 *   scope is recomputed), and a read that finds more than COMPACT_ABOVE rows for an id merges them.
 * - Coverage: `traits_lists_state.seq`: every event with a seq up to it is in the lists. The pass
 *   uses the lists when they cover its cursor, and builds them (`rebuildEventLists`) when they do
 *   not (a log loaded without passes, a database from before migration 10).
 * - They depend on the log only (not on profiles, merges or settings): a full recompute keeps them.
 */

/** The list columns, in table order (EVENT_VALUE_COLUMNS without workspace_id). */
const LIST_COLUMNS = EVENT_VALUE_COLUMNS.filter((c) => c !== 'workspace_id');
/** An id with more rows than this is merged into one row when read. */
export const COMPACT_ABOVE = 16;
/** The build runs in this many slices of each id kind (the list aggregate holds a slice in memory). */
const SLICES = 16;

/** The aggregate of a group's events: one list of structs sorted by seq (one sort, not one per column), then a list per column. */
const EVS = `list({${LIST_COLUMNS.map((c) => `'${c}': ${c}`).join(', ')}} order by seq) as evs`;
const LISTS = LIST_COLUMNS.map((c) => `list_transform(evs, x -> x.${c}) as ${c}`).join(', ');
const insertHead = `insert into traits_event_lists (workspace_id, kind, value, ${LIST_COLUMNS.join(', ')})`;

/** Every event with a seq up to this is in the lists; null when they were never built. */
export async function eventListsSeq(db: EventStoreDb): Promise<number | null> {
  const s = (await db.read<{ s: number | bigint | null }>('select max(seq) as s from traits_lists_state'))[0]?.s;
  return s === null || s === undefined ? null : Number(s);
}

async function setEventListsSeq(c: DuckDBConnection, seq: number) {
  const r = await c.run('update traits_lists_state set seq = $1', [seq]);
  if (r.rowsChanged === 0) await c.run('insert into traits_lists_state values ($1)', [seq]);
}

/** Appends the events with seq in (after, upTo] (one row per id of the range) and moves the coverage to upTo; nothing when upTo ≤ after. On the caller's transaction. */
export async function appendEventLists(c: DuckDBConnection, after: number, upTo: number): Promise<void> {
  if (upTo <= after) return;
  await c.run(
    `${insertHead}
       with v as materialized (select * from ${eventValues('e.seq > $1 and e.seq <= $2')})
       select workspace_id, kind, value, ${LISTS} from (
         select workspace_id, kind, value, ${EVS} from (
           select 'user_id' as kind, user_id as value, * from v where user_id is not null
           union all
           select 'anonymous_id' as kind, anonymous_id as value, * from v where anonymous_id is not null)
         group by workspace_id, kind, value)`,
    [after, upTo]);
  await setEventListsSeq(c, upTo);
}

/**
 * Builds the lists from the log up to `upTo` (every event is in the log's order by seq). Three
 * transactions of its own (the caller holds the traits lock): the old rows and the index go first
 * (an index present when a transaction starts makes its commit remove deleted rows one by one),
 * then the rows, slice by slice, then the index with the coverage. Until the last commits the
 * coverage is absent and passes read the log.
 */
export async function rebuildEventLists(
  tx: <T>(f: (c: DuckDBConnection) => Promise<T>) => Promise<T>, upTo: number, progress?: (done: number, total: number) => void,
): Promise<void> {
  await tx(async (c) => {
    await c.run('delete from traits_lists_state');
    await c.run('drop index if exists traits_event_lists_value');
    await c.run('delete from traits_event_lists');
  });
  await tx(async (c) => {
    // The log's values once (one parse of each body), then the lists slice by slice from them.
    await c.run(`create or replace temp table traits_event_values as select * from ${eventValues('e.seq <= $1')}`, [upTo]);
    let done = 0;
    for (const kind of ['user_id', 'anonymous_id'] as const) {
      for (let s = 0; s < SLICES; s++) {
        await c.run(
          `${insertHead} select workspace_id, '${kind}', ${kind}, ${LISTS} from (
             select workspace_id, ${kind}, ${EVS} from traits_event_values
             where ${kind} is not null and hash(${kind}) % ${SLICES} = ${s} group by workspace_id, ${kind})`);
        progress?.(++done, 2 * SLICES);
      }
    }
    await c.run('drop table traits_event_values');
  });
  await tx(async (c) => {
    await c.run('create index if not exists traits_event_lists_value on traits_event_lists (value)');
    await setEventListsSeq(c, upTo);
  });
}

/**
 * A scope's events, each as scopeLookups returns a row, with the id kind it was found by: from the
 * lists, which cover the events up to `tail.after`, and from the log for the seqs in
 * (tail.after, tail.upTo]. The pass appends its range to the lists only after this read: a scan of
 * a table the same transaction has appended to can fail inside DuckDB 1.5 when it runs on several
 * threads (an internal error, "BatchedDataCollection::Merge"), so a read here never follows an
 * append in its transaction (the merge below deletes before it inserts).
 */
export async function readEventLists(
  c: DuckDBConnection, scope: Scope, cutoffIso: string, halfLifeDays: number, tail: { after: number; upTo: number },
): Promise<Array<{ kind: 'user_id' | 'anonymous_id'; row: unknown[] }>> {
  const users = new Set(scope.userIds);
  const anons = new Set(scope.anonymousIds);
  const values = [...new Set([...users, ...anons])];
  if (!values.length) return [];
  const p = new Params();
  const cutoff = `${p.add(cutoffIso)}::timestamptz`;
  const decay = (ts: string) => `pow(0.5, (epoch(${cutoff}) - epoch(${ts})) / 86400.0 / ${p.add(halfLifeDays)})`;
  const r = await c.runAndReadAll(
    `select kind, value, rowid, workspace_id, seq, event, list_transform(ts, t -> epoch_us(t)) as us, message_id, user_id, anonymous_id,
       order_id, total, revenue, coupon, discount, category, brand, list_transform(ts, t -> ${decay('t')}) as decay, obody
     from traits_event_lists where value in ${p.inList(values)}`,
    p.values, p.types);
  const out: Array<{ kind: 'user_id' | 'anonymous_id'; row: unknown[] }> = [];
  const rowsOfId = new Map<string, { value: string; rowids: bigint[] }>();
  for (const x of r.getRowsJS()) {
    const kind = x[0] as 'user_id' | 'anonymous_id';
    const value = x[1] as string;
    if (!(kind === 'user_id' ? users : anons).has(value)) continue;
    const ws = x[3] as string;
    const k = `${ws}\u0001${kind}\u0001${value}`;
    let g = rowsOfId.get(k);
    if (!g) rowsOfId.set(k, (g = { value, rowids: [] }));
    g.rowids.push(x[2] as bigint);
    const [seq, event, us, mid, uid, aid, oid, total, revenue, coupon, discount, category, brand, dec, obody] = x.slice(4) as unknown[][];
    for (let i = 0; i < seq!.length; i++) {
      out.push({
        kind,
        row: [seq![i], event![i], us![i], mid![i], uid![i], aid![i], ws, oid![i], total![i], revenue![i], coupon![i], discount![i], category![i], brand![i], dec![i], obody![i]],
      });
    }
  }
  if (tail.upTo > tail.after) {
    // The seq zone maps of the log keep this to its last row groups.
    const t = new Params();
    const tc = `${t.add(cutoffIso)}::timestamptz`;
    const rows = await c.runAndReadAll(
      `select seq, event, epoch_us(ts) as us, message_id, user_id, anonymous_id, workspace_id, order_id, total, revenue, coupon, discount,
         category, brand, pow(0.5, (epoch(${tc}) - epoch(ts)) / 86400.0 / ${t.add(halfLifeDays)}), obody
       from ${eventValues(`e.seq > ${t.add(tail.after)} and e.seq <= ${t.add(tail.upTo)}`)}`,
      t.values, t.types);
    for (const row of rows.getRowsJS()) {
      if (row[4] !== null && users.has(row[4] as string)) out.push({ kind: 'user_id', row });
      if (row[5] !== null && anons.has(row[5] as string)) out.push({ kind: 'anonymous_id', row });
    }
  }
  const merge = [...rowsOfId.values()].filter((g) => g.rowids.length > COMPACT_ABOVE);
  if (merge.length) await compact(c, merge);
  return out;
}

/** Merges each id's rows (found by the values' index, picked by rowid) into one, on the caller's write transaction: deletes, then inserts. */
async function compact(c: DuckDBConnection, ids: Array<{ value: string; rowids: bigint[] }>) {
  const p = new Params();
  const rows = `(select rowid as r, * from traits_event_lists where value in ${p.inList(ids.map((g) => g.value))})`;
  const picked = `list_contains([${ids.flatMap((g) => g.rowids).map(String).join(', ')}]::bigint[], r)`;
  const merged = LIST_COLUMNS.map((col) => `flatten(list(${col} order by seq[1])) as ${col}`).join(', ');
  await c.run(`create or replace temp table traits_lists_merged as select workspace_id, kind, value, ${merged} from ${rows} where ${picked} group by workspace_id, kind, value`, p.values, p.types);
  await c.run(`delete from traits_event_lists where rowid in (select r from ${rows} where ${picked})`, p.values, p.types);
  await c.run(`${insertHead} select workspace_id, kind, value, ${LIST_COLUMNS.join(', ')} from traits_lists_merged`);
  await c.run('drop table traits_lists_merged');
}
