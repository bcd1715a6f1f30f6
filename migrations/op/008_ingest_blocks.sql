-- Ingest write path (src/modules/ingest/writer.ts, docs/ARCHITECTURE.md "The write path").
-- A group commit writes, per workspace, ONE body row holding its new events as newline-separated
-- JSON text (event_outbox_bodies), then, under the writer's advisory lock, one small block row in
-- event_outbox with a contiguous range of event seqs [seq, last_seq]: event k of the body has seq + k.
-- Dedupe keys and bodies are written before the lock, so concurrent groups (lanes, nodes) do that
-- work in parallel; only the seq allocation, the block row and the commit are serialised.
create sequence event_outbox_body_id;
create table event_outbox_bodies (
  id bigint primary key default nextval('event_outbox_body_id'),
  workspace_id text not null,
  n int not null,
  body text not null
);
-- Written once, read whole: no compression (it would cost CPU on every commit for little WAL).
alter table event_outbox_bodies alter column body set storage external;

-- Rows written before this migration become one-event blocks.
insert into event_outbox_bodies (id, workspace_id, n, body) select seq, workspace_id, 1, body::text from event_outbox;
select setval('event_outbox_body_id', greatest(coalesce((select max(id) from event_outbox_bodies), 0), 1));
alter table event_outbox add column last_seq bigint, add column body_id bigint;
update event_outbox set last_seq = seq, body_id = seq;
alter table event_outbox alter column last_seq set not null, alter column body_id set not null, drop column body;
create unique index event_outbox_last_seq on event_outbox (last_seq);

-- The per-event seq is the block's; the permanent dedupe key needs none.
alter table event_ids drop column seq;
-- messageIds are opaque: compare bytewise ("C"), not by the locale's collation.
alter table event_ids alter column workspace_id type text collate "C", alter column message_id type text collate "C";
