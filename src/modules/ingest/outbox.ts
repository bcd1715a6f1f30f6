import type { SqlRunner } from '../../platform/opstore/index.ts';
import type { StoredEvent } from './schema.ts';

export interface OutboxRow {
  seq: number;
  workspaceId: string;
  body: StoredEvent;
}

/**
 * Up to `limit` acknowledged events after `afterSeq`, in commit order, for the consumers (projector,
 * event store). A consumer may stop in the middle of an outbox block: a block row holds its events
 * row points at a body of newline-joined JSON texts with seqs [seq, last_seq] (migration 008), event k at seq + k.
 */
export async function readOutbox(q: SqlRunner, afterSeq: number, limit: number): Promise<OutboxRow[]> {
  const r = await q.query<{ seq: number; last_seq: number; workspace_id: string; body: string }>(
    `select t.seq, t.last_seq, t.workspace_id, b.body from (
       select seq, last_seq, workspace_id, body_id,
              sum(last_seq - greatest(seq - 1, $1)) over (order by last_seq) - (last_seq - greatest(seq - 1, $1)) as before
       from (select * from event_outbox where last_seq > $1 order by last_seq limit $2) o
     ) t join event_outbox_bodies b on b.id = t.body_id
     where t.before < $2 order by t.last_seq`,
    [afterSeq, limit],
  );
  const out: OutboxRow[] = [];
  for (const row of r.rows) {
    const first = Number(row.seq);
    const lines = row.body.split('\n');
    for (let k = 0; k < lines.length; k++) {
      const seq = first + k;
      if (seq <= afterSeq) continue;
      if (out.length >= limit) return out;
      out.push({ seq, workspaceId: row.workspace_id, body: JSON.parse(lines[k]!) as StoredEvent });
    }
  }
  return out;
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

/** Drops outbox blocks every consumer has passed (returns their event count); the permanent messageId keys stay in event_ids. */
export async function trimOutbox(q: SqlRunner, consumers: string[]): Promise<number> {
  const r = await q.query<{ s: number | null; n: number }>('select min(seq) as s, count(*) as n from consumer_cursors where consumer = any($1)', [consumers]);
  const row = r.rows[0];
  if (!row || row.s === null || Number(row.n) < consumers.length) return 0;
  const d = await q.query<{ n: number | null }>(
    `with d as (delete from event_outbox where last_seq <= $1 returning body_id, last_seq - seq + 1 as k),
          b as (delete from event_outbox_bodies where id in (select body_id from d))
     select sum(k) as n from d`,
    [row.s],
  );
  return Number(d.rows[0]?.n ?? 0);
}

export async function outboxBacklog(q: SqlRunner, consumer: string): Promise<number> {
  const r = await q.query<{ n: number }>(
    `select coalesce(sum(o.last_seq - greatest(o.seq - 1, c.at)), 0) as n
     from event_outbox o, (select coalesce((select seq from consumer_cursors where consumer = $1), 0) as at) c
     where o.last_seq > c.at`,
    [consumer],
  );
  return Number(r.rows[0]?.n ?? 0);
}

export async function countStoredIds(q: SqlRunner, workspaceId: string): Promise<number> {
  const r = await q.query<{ n: number }>('select count(*) as n from event_ids where workspace_id = $1', [workspaceId]);
  return Number(r.rows[0]?.n ?? 0);
}
