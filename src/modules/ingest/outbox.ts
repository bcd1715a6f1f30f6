import type { SqlRunner } from '../../platform/opstore/index.ts';
import type { StoredEvent } from './schema.ts';

export interface OutboxRow {
  seq: number;
  workspaceId: string;
  body: StoredEvent;
}

/** Acknowledged events after `afterSeq`, in commit order, for the consumers (projector, event store). */
export async function readOutbox(q: SqlRunner, afterSeq: number, limit: number): Promise<OutboxRow[]> {
  const r = await q.query<{ seq: number; workspace_id: string; body: StoredEvent }>(
    'select seq, workspace_id, body from event_outbox where seq > $1 order by seq limit $2',
    [afterSeq, limit],
  );
  return r.rows.map((x) => ({ seq: x.seq, workspaceId: x.workspace_id, body: x.body }));
}

export async function getCursor(q: SqlRunner, consumer: string): Promise<number> {
  const r = await q.query<{ seq: number }>('select seq from consumer_cursors where consumer = $1', [consumer]);
  return r.rows[0]?.seq ?? 0;
}

export async function setCursor(q: SqlRunner, consumer: string, seq: number): Promise<void> {
  await q.query(
    `insert into consumer_cursors (consumer, seq, updated_at) values ($1, $2, now())
     on conflict (consumer) do update set seq = greatest(consumer_cursors.seq, excluded.seq), updated_at = now()`,
    [consumer, seq],
  );
}

/** Drops outbox rows every consumer has passed; the permanent messageId keys stay in event_ids. */
export async function trimOutbox(q: SqlRunner, consumers: string[]): Promise<number> {
  const r = await q.query<{ s: number | null; n: number }>('select min(seq) as s, count(*) as n from consumer_cursors where consumer = any($1)', [consumers]);
  const row = r.rows[0];
  if (!row || row.s === null || Number(row.n) < consumers.length) return 0;
  const d = await q.query('delete from event_outbox where seq <= $1', [row.s]);
  return d.rowCount;
}

export async function outboxBacklog(q: SqlRunner, consumer: string): Promise<number> {
  const r = await q.query<{ n: number }>(
    'select count(*) as n from event_outbox where seq > coalesce((select seq from consumer_cursors where consumer = $1), 0)',
    [consumer],
  );
  return Number(r.rows[0]?.n ?? 0);
}

export async function countStoredIds(q: SqlRunner, workspaceId: string): Promise<number> {
  const r = await q.query<{ n: number }>('select count(*) as n from event_ids where workspace_id = $1', [workspaceId]);
  return Number(r.rows[0]?.n ?? 0);
}
