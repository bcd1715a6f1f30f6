-- Computed traits (src/flows/traits-incremental.ts): every incremental pass asks for the un-merges
-- made since the last one; a partial index keeps that a lookup however many merges there are.
create index if not exists identity_merges_undone on identity_merges (workspace_id, undone_at) where undone_at is not null;
