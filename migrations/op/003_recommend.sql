-- recommend module (serving): per-workspace settings, the per-user opt-out from personalised
-- recommendations (PIPL art. 24), the tracking-token secret, and impression / click feedback.
create table recommend_settings (
  workspace_id text primary key,
  settings jsonb not null,
  updated_at timestamptz not null default now()
);

create table recommend_opt_outs (
  workspace_id text not null,
  user_key text not null,
  opt_out boolean not null,
  updated_at timestamptz not null default now(),
  primary key (workspace_id, user_key)
);

create table recommend_secrets (
  workspace_id text primary key,
  secret text not null,
  created_at timestamptz not null default now()
);

-- One row per (response, type, product): replays of the same feedback insert nothing.
create table recommend_feedback (
  workspace_id text not null,
  token_id text not null,
  type text not null check (type in ('impression', 'click')),
  product_id text not null,
  placement text not null,
  model_version text,
  sources text[] not null,
  personalised boolean not null,
  user_key text,
  position int not null,
  served_at timestamptz not null,
  recorded_at timestamptz not null default now(),
  primary key (workspace_id, token_id, type, product_id)
);
create index recommend_feedback_served on recommend_feedback (workspace_id, served_at);
