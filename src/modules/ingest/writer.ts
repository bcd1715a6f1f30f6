import type { OpStore, SqlRunner } from '../../platform/opstore/index.ts';
import { appError } from '../../platform/errors.ts';
import type { StoredEvent } from './schema.ts';
import type { EncodedEvents } from './normalize.ts';

interface Pending {
  /** The request's events as INSERT_SQL's parameters, serialised when the request arrives. */
  encoded: Encoded;
  /** How many events the request holds (answered as `stored` once committed). */
  count: number;
  resolve: (r: { stored: number }) => void;
  reject: (e: unknown) => void;
}

/*
 * One statement, so a group commit is one round trip (autocommit) and no BEGIN / COMMIT waits in
 * the event loop. Steps, in the order the CTEs force:
 *  1. `ins`: the permanent dedupe keys. Sorted, so two groups holding the same ids take their row
 *     locks in the same order and cannot deadlock; a key being inserted by an uncommitted group
 *     makes this one wait for that commit, then count it as a duplicate.
 *  2. `bodies`: per workspace, one row with the new events as newline-joined JSON text. When the
 *     group is one workspace's and nothing in it was a duplicate (the common case), that text is
 *     the parameter $3 itself: the statement never splits or re-joins the bodies. Otherwise the
 *     new events are picked out of $3 by position (hash semi-join, no sort of the wide rows).
 *  3. `lock`: the writer's advisory lock, taken only once 1 and 2 are done (it reads all of
 *     `bodies`), so concurrent groups (other lanes, other nodes) do 1 and 2 in parallel. Held until
 *     commit: one group at a time allocates seqs, so seq order equals commit order even with several
 *     nodes, and consumers can read by seq.
 *  4. `alloc`: a contiguous range of seqs for the new events (nextval, then setval to its end; only
 *     this statement uses event_seq, and only under the lock).
 *  5. One small block row per body in event_outbox: seqs [seq, last_seq], event k at seq + k.
 * Under the lock there are only 4, 5 and the commit's WAL flush.
 */
const INSERT_SQL = `
with keys as (
  -- no (workspace_id, message_id) twice: insertEncoded keeps the first occurrence
  select x.workspace_id, x.message_id, x.n
  from unnest($1::text[], $2::text[]) with ordinality as x(workspace_id, message_id, n)
), ins as (
  insert into event_ids (workspace_id, message_id)
  select workspace_id, message_id from keys order by workspace_id, message_id
  on conflict do nothing
  returning workspace_id, message_id
), inserted as materialized (
  select count(*) as k from ins
), bodies as (
  insert into event_outbox_bodies (workspace_id, n, body)
  -- one workspace ($4), every event new: the body is the parameter as sent
  select $4::text, k, $3::text from inserted where $4::text is not null and k = $5::bigint
  union all
  -- otherwise, per workspace, the new events in submission order
  select keys.workspace_id, count(*), string_agg(b.body, E'\\n' order by b.n)
  from keys join unnest(string_to_array($3::text, E'\\n')) with ordinality as b(body, n) using (n)
  where (select k from inserted) > 0 and ($4::text is null or (select k from inserted) <> $5::bigint)
    and (keys.workspace_id, keys.message_id) in (select workspace_id, message_id from ins)
  group by keys.workspace_id
  returning id, workspace_id, n::bigint as k
), lock as materialized (
  select pg_advisory_xact_lock(4242002) is not null as held from (select count(*) from bodies) c
), alloc as materialized (
  -- nextval runs per row of the filtered subquery (offset 0 keeps it there), i.e. after the lock
  select first, setval('event_seq', first + total - 1) as last
  from (select nextval('event_seq') as first, total from (select sum(k)::bigint as total from bodies, lock where lock.held) t where total > 0 offset 0) a
)
insert into event_outbox (seq, last_seq, workspace_id, body_id)
select alloc.first + b.before, alloc.first + b.before + b.k - 1, b.workspace_id, b.id
from alloc, (select bodies.*, coalesce(sum(k) over (order by id rows between unbounded preceding and 1 preceding), 0)::bigint as before from bodies) b
returning last_seq - seq + 1 as k`;

/**
 * One request's events as INSERT_SQL's parameters: their messageIds and stored JSON texts, the
 * texts already UTF-8 (serialised once, by validation: normalize.ts). A group's texts are joined
 * with newlines into one parameter, which is safe because JSON.stringify never writes a raw
 * newline (it escapes them inside strings). Joining buffers is a copy; joining the JS strings of a
 * group and encoding the result measured 3-4x slower (the strings are two-byte as soon as one
 * event has CJK text).
 */
interface Encoded extends EncodedEvents {
  workspaceId: string;
}

const NEWLINE = Buffer.from('\n');

function encodeEvents(workspaceId: string, events: StoredEvent[]): Encoded {
  const bodies = new Array<Buffer>(events.length);
  const messageIds = new Array<string>(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    messageIds[i] = e.messageId;
    bodies[i] = Buffer.from(JSON.stringify(e));
  }
  return { workspaceId, messageIds, bodies };
}

/** One statement for all of `requests`; a (workspace, messageId) repeated in them is sent once (its first occurrence). */
async function insertEncoded(q: SqlRunner, requests: Encoded[]): Promise<number> {
  const workspaces: string[] = [];
  const ids: string[] = [];
  let only: string | null = requests[0]?.workspaceId ?? null;
  const bodies: Buffer[] = [];
  const seen = new Map<string, Set<string>>();
  for (const r of requests) {
    let wsIds = seen.get(r.workspaceId);
    if (!wsIds) seen.set(r.workspaceId, (wsIds = new Set()));
    for (let i = 0; i < r.bodies.length; i++) {
      const id = r.messageIds[i]!;
      if (wsIds.has(id)) continue;
      wsIds.add(id);
      workspaces.push(r.workspaceId);
      if (r.workspaceId !== only) only = null;
      ids.push(id);
      if (bodies.length) bodies.push(NEWLINE);
      bodies.push(r.bodies[i]!);
    }
  }
  if (!ids.length) return 0;
  // A Buffer parameter is text as UTF-8 bytes (SqlRunner's contract): no re-encoding of the group.
  const res = await q.query<{ k: number }>(INSERT_SQL, [workspaces, ids, Buffer.concat(bodies), only, ids.length], { prepare: 'liebian_ingest_v1' });
  let stored = 0;
  for (const r of res.rows) stored += Number(r.k);
  return stored;
}

/**
 * Writes events durably and exactly once: a permanent (workspace, messageId) key plus the outbox
 * row. Inside `q`'s transaction when it is one; on the store itself, the statement is its own.
 */
export async function insertEvents(q: SqlRunner, rows: Array<{ workspaceId: string; events: StoredEvent[] }>): Promise<number> {
  return insertEncoded(q, rows.map((r) => encodeEvents(r.workspaceId, r.events)));
}

/**
 * Group commit: concurrent requests' events are written together in one transaction, and each
 * request is answered only after that transaction commits (a 2xx means durable). If a combined
 * transaction fails, each request is retried alone so one request's failure is its own.
 *
 * Up to `maxInFlight` groups are sent at once (default: 3 on PostgreSQL, 1 on PGlite, which runs
 * statements one at a time anyway). Their dedupe keys and bodies are written in parallel by
 * separate backends; only the seq allocation and the commit take turns (INSERT_SQL). A commit has
 * a fixed cost (the WAL flush), so the first lane starts at once (an idle writer adds no wait) and
 * another starts only when `minGroupEvents` events are queued: under load, groups grow instead of
 * lanes splitting the traffic into many small commits.
 */
export class IngestWriter {
  private queue: Pending[] = [];
  private lanes = new Set<Promise<void>>();
  private closed = false;
  private queuedEvents = 0;
  private readonly maxInFlight: number;
  constructor(private readonly db: OpStore, private readonly maxEventsPerTx = 5000, maxInFlight?: number, private readonly minGroupEvents = 400) {
    this.maxInFlight = Math.max(1, maxInFlight ?? (db.kind === 'postgres' ? 3 : 1));
  }

  write(workspaceId: string, events: StoredEvent[]): Promise<{ stored: number }> {
    // Serialised now, while an earlier group may be committing, rather than inside the commit.
    let encoded: Encoded;
    try {
      encoded = encodeEvents(workspaceId, events);
    } catch (e) {
      return Promise.reject(toStoreError(e));
    }
    return this.writeEncoded(workspaceId, encoded);
  }

  /**
   * A request for the writer has arrived (the collection routes call this first, before parsing
   * and authentication, which may wait on the store themselves): the writer counts as busy from now.
   */
  expect(): void {
    this.lastWriteAt = performance.now();
  }

  /** write() for events validated and serialised by encodeBatch / encodeMessage (the collection routes). */
  writeEncoded(workspaceId: string, events: EncodedEvents): Promise<{ stored: number }> {
    if (this.closed) return Promise.reject(appError('SHUTTING_DOWN', undefined, undefined, 5));
    const count = events.messageIds.length;
    if (!count) return Promise.resolve({ stored: 0 });
    const encoded: Encoded = { workspaceId, messageIds: events.messageIds, bodies: events.bodies };
    this.lastWriteAt = performance.now();
    return new Promise((resolve, reject) => {
      this.queue.push({ encoded, count, resolve, reject });
      this.queuedEvents += count;
      if (this.lanes.size === 0 || (this.lanes.size < this.maxInFlight && this.queuedEvents >= this.minGroupEvents)) this.startLane();
    });
  }

  /**
   * Starts a lane; when it ends, another starts if requests are queued: a request queued after a
   * lane saw the queue empty but before the lane was removed from `lanes` would otherwise wait forever.
   */
  private startLane(): void {
    const lane: Promise<void> = this.lane().finally(() => {
      this.lanes.delete(lane);
      if (this.queue.length && this.lanes.size < this.maxInFlight) this.startLane();
    });
    this.lanes.add(lane);
  }

  get pendingRequests(): number {
    return this.queue.length;
  }

  private lastWriteAt = -Infinity;

  /**
   * True while requests wait for or are in a commit, or one arrived in the last BUSY_GRACE_MS:
   * under a steady stream the queue empties for moments between groups, and work started in such
   * a moment would hold up the requests that arrive during it.
   */
  get busy(): boolean {
    return this.queue.length > 0 || this.lanes.size > 0 || performance.now() - this.lastWriteAt < BUSY_GRACE_MS;
  }

  /** Stops accepting writes and waits until every accepted write has committed or failed. */
  async drain(): Promise<void> {
    this.closed = true;
    while (this.lanes.size) await Promise.all([...this.lanes]);
  }

  /** Commits groups from the queue until it is empty (one of up to maxInFlight at a time). */
  private async lane(): Promise<void> {
    while (this.queue.length) {
      const group: Pending[] = [];
      let n = 0;
      while (this.queue.length && (n === 0 || n + this.queue[0]!.count <= this.maxEventsPerTx)) {
        const p = this.queue.shift()!;
        this.queuedEvents -= p.count;
        group.push(p);
        n += p.count;
      }
      await this.commit(group);
    }
  }

  private async commit(group: Pending[]): Promise<void> {
    try {
      await insertEncoded(this.db, group.map((p) => p.encoded));
      for (const p of group) p.resolve({ stored: p.count });
      return;
    } catch (e) {
      if (group.length === 1) {
        group[0]!.reject(toStoreError(e));
        return;
      }
    }
    for (const p of group) {
      try {
        await insertEncoded(this.db, [p.encoded]);
        p.resolve({ stored: p.count });
      } catch (e) {
        p.reject(toStoreError(e));
      }
    }
  }
}

/** How long after a write the writer still counts as busy (see `busy`). */
const BUSY_GRACE_MS = 500;

function toStoreError(e: unknown) {
  return appError('STORE_UNAVAILABLE', `the event could not be committed: ${(e as Error)?.message ?? e}`, undefined, 5);
}
