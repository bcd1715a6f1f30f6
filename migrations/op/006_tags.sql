-- tags module (docs/segments.md, "Tags"): manual tags on profiles with who / when, and rule tags
-- bound to a saved segment (its members carry the tag; who = 'segment:<id>', when = entry time).
create table profile_tags (
  workspace_id text not null,
  profile_id text not null,
  tag text not null,
  added_by text not null,
  added_at timestamptz not null default now(),
  primary key (workspace_id, profile_id, tag)
);
create index profile_tags_tag on profile_tags (workspace_id, tag);

create table tag_rules (
  workspace_id text not null,
  tag text not null,
  segment_id text not null,
  created_by text not null,
  created_at timestamptz not null default now(),
  primary key (workspace_id, tag)
);

-- clusters module (docs/segments.md, "Auto-segments"): fitted k-means models; `model` holds the
-- standardisation, centres, silhouettes and cluster descriptions (re-validated when read).
create table auto_segment_models (
  id text primary key,
  workspace_id text not null,
  created_at timestamptz not null default now(),
  as_of date,
  model jsonb not null
);
create index auto_segment_models_ws on auto_segment_models (workspace_id, created_at);
