-- segments module (docs/segments.md): saved segment definitions. The materialised membership,
-- entry / exit changes and sizes over time live in the event store (segment_members,
-- segment_changes, segment_sizes), next to the traits they are computed from.
create table segments (
  id text primary key,
  workspace_id text not null,
  name text not null,
  description text not null default '',
  rule jsonb not null,
  refresh_minutes integer not null default 60,
  created_by text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  refreshed_at timestamptz,
  refreshed_seq bigint,
  size bigint,
  last_error text,
  unique (workspace_id, name)
);
create index segments_ws on segments (workspace_id, created_at);
