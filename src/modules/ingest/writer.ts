import type { OpStore, SqlRunner } from '../../platform/opstore/index.ts';
import { appError } from '../../platform/errors.ts';
import type { StoredEvent } from './schema.ts';

interface Pending {
  workspaceId: string;
  events: StoredEvent[];
  /** The events as INSERT_SQL's JSON array items, serialised when the request arrives. */
  encoded: Encoded;
  resolve: (r: { stored: number }) => void;
  reject: (e: unknown) => void;
}

/*
 * One statement, so a group commit is one round trip (autocommit) and no BEGIN / COMMIT waits in
 * the event loop. The advisory lock is taken first (the input rows are joined to it, so no row,
 * and no nextval, exists before it is held) and held until commit: one writer at a time, so outbox
 * seq order equals commit order even with several nodes, and consumers can read by seq.
 */
const INSERT_SQL = `
with lock as materialized (select pg_advisory_xact_lock(4242002) is not null as held),
input as (
  -- no (workspace_id, message_id) twice: insertEncoded keeps the first occurrence
  select x.e->>'workspace_id' as workspace_id, x.e->>'message_id' as message_id, x.e->'body' as body, x.n
  from lock, jsonb_array_elements($1::jsonb) with ordinality as x(e, n)
  where lock.held
), ins as (
  -- seq follows submission order, not messageId order
  insert into event_ids (workspace_id, message_id, seq)
  select workspace_id, message_id, nextval('event_seq') from input order by n
  on conflict do nothing
  returning workspace_id, message_id, seq
)
insert into event_outbox (seq, workspace_id, body)
select ins.seq, ins.workspace_id, input.body from ins join input using (workspace_id, message_id)`;

/** One request's events as items of INSERT_SQL's JSON array, with their messageIds. */
interface Encoded {
  workspaceId: string;
  messageIds: string[];
  items: string[];
}

function encodeEvents(workspaceId: string, events: StoredEvent[]): Encoded {
  const ws = JSON.stringify(workspaceId);
  const items = new Array<string>(events.length);
  const messageIds = new Array<string>(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    messageIds[i] = e.messageId;
    items[i] = `{"workspace_id":${ws},"message_id":${JSON.stringify(e.messageId)},"body":${JSON.stringify(e)}}`;
  }
  return { workspaceId, messageIds, items };
}

/** One statement for all of `requests`; a (workspace, messageId) repeated in them is sent once (its first occurrence). */
async function insertEncoded(q: SqlRunner, requests: Encoded[]): Promise<number> {
  const seen = new Map<string, Set<string>>();
  const items: string[] = [];
  for (const r of requests) {
    let ids = seen.get(r.workspaceId);
    if (!ids) seen.set(r.workspaceId, (ids = new Set()));
    for (let i = 0; i < r.items.length; i++) {
      const id = r.messageIds[i]!;
      if (ids.has(id)) continue;
      ids.add(id);
      items.push(r.items[i]!);
    }
  }
  if (!items.length) return 0;
  const res = await q.query(INSERT_SQL, [`[${items.join(',')}]`]);
  return res.rowCount;
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
 * Up to `maxInFlight` groups are sent at once (default: 2 on PostgreSQL, 1 on PGlite, which runs
 * statements one at a time anyway). A second group waits inside PostgreSQL for the advisory lock,
 * with its JSON already transferred and parsed, and starts the moment the first one commits:
 * commits stay one at a time and in seq order, without a round trip to this process between them.
 */
export class IngestWriter {
  private queue: Pending[] = [];
  private lanes = new Set<Promise<void>>();
  private closed = false;
  private readonly maxInFlight: number;
  constructor(private readonly db: OpStore, private readonly maxEventsPerTx = 5000, maxInFlight?: number) {
    this.maxInFlight = Math.max(1, maxInFlight ?? (db.kind === 'postgres' ? 2 : 1));
  }

  write(workspaceId: string, events: StoredEvent[]): Promise<{ stored: number }> {
    if (this.closed) return Promise.reject(appError('SHUTTING_DOWN', undefined, undefined, 5));
    if (!events.length) return Promise.resolve({ stored: 0 });
    // Serialised now, while an earlier group may be committing, rather than inside the commit.
    let encoded: Encoded;
    try {
      encoded = encodeEvents(workspaceId, events);
    } catch (e) {
      return Promise.reject(toStoreError(e));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ workspaceId, events, encoded, resolve, reject });
      if (this.lanes.size < this.maxInFlight) this.startLane();
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

  /** True while requests wait for or are in a commit. */
  get busy(): boolean {
    return this.queue.length > 0 || this.lanes.size > 0;
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
      while (this.queue.length && (n === 0 || n + this.queue[0]!.events.length <= this.maxEventsPerTx)) {
        const p = this.queue.shift()!;
        group.push(p);
        n += p.events.length;
      }
      await this.commit(group);
    }
  }

  private async commit(group: Pending[]): Promise<void> {
    try {
      await insertEncoded(this.db, group.map((p) => p.encoded));
      for (const p of group) p.resolve({ stored: p.events.length });
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
        p.resolve({ stored: p.events.length });
      } catch (e) {
        p.reject(toStoreError(e));
      }
    }
  }
}

function toStoreError(e: unknown) {
  return appError('STORE_UNAVAILABLE', `the event could not be committed: ${(e as Error)?.message ?? e}`, undefined, 5);
}
