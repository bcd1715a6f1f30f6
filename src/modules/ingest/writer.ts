import type { OpStore, SqlRunner } from '../../platform/opstore/index.ts';
import { appError } from '../../platform/errors.ts';
import type { StoredEvent } from './schema.ts';

interface Pending {
  workspaceId: string;
  events: StoredEvent[];
  resolve: (r: { stored: number }) => void;
  reject: (e: unknown) => void;
}

const INSERT_SQL = `
with input as (
  select distinct on (workspace_id, message_id) x.e->>'workspace_id' as workspace_id, x.e->>'message_id' as message_id, x.e->'body' as body, x.n
  from jsonb_array_elements($1::jsonb) with ordinality as x(e, n)
  order by workspace_id, message_id, x.n
), ins as (
  -- seq follows submission order (the first occurrence of a duplicate), not messageId order
  insert into event_ids (workspace_id, message_id, seq)
  select workspace_id, message_id, nextval('event_seq') from input order by n
  on conflict do nothing
  returning workspace_id, message_id, seq
)
insert into event_outbox (seq, workspace_id, body)
select ins.seq, ins.workspace_id, input.body from ins join input using (workspace_id, message_id)`;

/** Writes events durably and exactly once: a permanent (workspace, messageId) key plus the outbox row. */
export async function insertEvents(q: SqlRunner, rows: Array<{ workspaceId: string; events: StoredEvent[] }>): Promise<number> {
  const flat: Array<{ workspace_id: string; message_id: string; body: StoredEvent }> = [];
  for (const r of rows) for (const e of r.events) flat.push({ workspace_id: r.workspaceId, message_id: e.messageId, body: e });
  if (!flat.length) return 0;
  // One writer at a time, so outbox seq order equals commit order (consumers read by seq).
  await q.query('select pg_advisory_xact_lock(4242002)');
  const r = await q.query(INSERT_SQL, [JSON.stringify(flat)]);
  return r.rowCount;
}

/**
 * Group commit: concurrent requests' events are written together in one transaction, and each
 * request is answered only after that transaction commits (a 2xx means durable). If a combined
 * transaction fails, each request is retried alone so one request's failure is its own.
 */
export class IngestWriter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private closed = false;
  constructor(private readonly db: OpStore, private readonly maxEventsPerTx = 5000) {}

  write(workspaceId: string, events: StoredEvent[]): Promise<{ stored: number }> {
    if (this.closed) return Promise.reject(appError('SHUTTING_DOWN', undefined, undefined, 5));
    if (!events.length) return Promise.resolve({ stored: 0 });
    return new Promise((resolve, reject) => {
      this.queue.push({ workspaceId, events, resolve, reject });
      if (!this.flushing) this.flushing = this.loop();
    });
  }

  get pendingRequests(): number {
    return this.queue.length;
  }

  /** True while requests wait for or are in a commit. */
  get busy(): boolean {
    return this.queue.length > 0 || this.flushing !== null;
  }

  /** Stops accepting writes and waits until every accepted write has committed or failed. */
  async drain(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
  }

  private async loop(): Promise<void> {
    try {
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
    } finally {
      this.flushing = null;
    }
  }

  private async commit(group: Pending[]): Promise<void> {
    try {
      await this.db.tx((q) => insertEvents(q, group));
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
        await this.db.tx((q) => insertEvents(q, [p]));
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
