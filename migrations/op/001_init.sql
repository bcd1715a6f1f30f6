-- workspaces module: tenants, keys, console accounts
create table workspaces (
  id text primary key,
  name text not null,
  settings jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);

create table api_keys (
  id text primary key,
  workspace_id text not null references workspaces(id),
  kind text not null check (kind in ('write', 'secret')),
  prefix text not null,
  hash text not null unique,
  label text,
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);

create table console_users (
  id text primary key,
  workspace_id text not null references workspaces(id),
  email text not null unique,
  password_hash text not null,
  role text not null default 'admin',
  failed_logins int not null default 0,
  locked_until timestamptz,
  disabled_at timestamptz,
  created_at timestamptz not null default now()
);

create table console_sessions (
  token_hash text primary key,
  user_id text not null references console_users(id),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);

-- ingest module: permanent messageId dedupe and the durable outbox of acknowledged events
create table event_ids (
  workspace_id text not null,
  message_id text not null,
  seq bigint not null,
  primary key (workspace_id, message_id)
);

create table event_outbox (
  seq bigint primary key,
  workspace_id text not null,
  body jsonb not null
);

create sequence event_seq;

create table consumer_cursors (
  consumer text primary key,
  seq bigint not null default 0,
  updated_at timestamptz not null default now()
);

-- identity module: profiles, the identity graph, merges and traits
create table profiles (
  id text primary key,
  workspace_id text not null,
  merged_into text,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index profiles_ws on profiles (workspace_id);

create table identities (
  workspace_id text not null,
  kind text not null,
  value text not null,
  profile_id text not null,
  first_seen timestamptz not null,
  primary key (workspace_id, kind, value)
);
create index identities_profile on identities (profile_id);

create table identity_merges (
  id bigserial primary key,
  workspace_id text not null,
  from_profile text not null,
  into_profile text not null,
  cause text not null,
  message_id text,
  moved jsonb not null,
  at timestamptz not null default now(),
  undone_at timestamptz
);
create index identity_merges_ws on identity_merges (workspace_id, into_profile);

create table profile_traits (
  profile_id text not null,
  key text not null,
  value jsonb,
  updated_at timestamptz not null,
  source_profile text not null,
  primary key (profile_id, key)
);

-- catalog module
create table products (
  workspace_id text not null,
  product_id text not null,
  sku text,
  name text,
  category text,
  brand text,
  price numeric,
  currency text,
  image_url text,
  url text,
  stock int,
  tags jsonb not null default '[]'::jsonb,
  source text not null default 'event',
  first_seen timestamptz not null,
  updated_at timestamptz not null,
  primary key (workspace_id, product_id)
);

-- commerce module: orders and their line items
create table orders (
  workspace_id text not null,
  order_id text not null,
  user_key text not null,
  status text not null default 'completed',
  total numeric,
  revenue numeric,
  discount numeric,
  refunded numeric not null default 0,
  coupon text,
  currency text,
  share_id text,
  message_id text not null,
  ordered_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (workspace_id, order_id)
);
create index orders_user on orders (workspace_id, user_key);

create table order_items (
  workspace_id text not null,
  order_id text not null,
  line int not null,
  product_id text,
  sku text,
  name text,
  category text,
  brand text,
  price numeric,
  quantity int not null default 1,
  primary key (workspace_id, order_id, line)
);

-- social module: the graph, shares (cascades) and share touches (attribution)
create table social_edges (
  workspace_id text not null,
  src text not null,
  dst text not null,
  type text not null,
  created_at timestamptz not null,
  removed_at timestamptz,
  message_id text not null,
  primary key (workspace_id, type, src, dst)
);
create index social_edges_dst on social_edges (workspace_id, dst);

create table shares (
  workspace_id text not null,
  share_id text not null,
  parent_share_id text,
  root_share_id text not null,
  generation int not null default 0,
  sharer text not null,
  product_id text,
  channel text,
  shared_at timestamptz not null,
  primary key (workspace_id, share_id)
);
create index shares_root on shares (workspace_id, root_share_id);
create index shares_sharer on shares (workspace_id, sharer);

create table share_touches (
  workspace_id text not null,
  share_id text not null,
  visitor text not null,
  message_id text not null,
  touched_at timestamptz not null,
  primary key (workspace_id, message_id)
);
create index share_touches_visitor on share_touches (workspace_id, visitor, touched_at);
create index share_touches_share on share_touches (workspace_id, share_id);

create table share_conversions (
  workspace_id text not null,
  share_id text not null,
  order_id text not null,
  buyer text not null,
  amount numeric not null default 0,
  converted_at timestamptz not null,
  primary key (workspace_id, order_id)
);
create index share_conversions_share on share_conversions (workspace_id, share_id);
