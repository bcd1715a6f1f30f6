-- Outbox bodies compressed with lz4 where the server has it (PostgreSQL 14+ built with lz4, as
-- Debian's is): a group's body is ~460 KB of JSON text per 800 events; lz4 makes it ~4x smaller
-- for about a millisecond of CPU, before the writer's lock, and cuts the WAL the commit must flush
-- from ~800 to ~300 bytes per event. Where lz4 is missing (PGlite) the body stays uncompressed
-- (external storage): pglz would cost more CPU than it saves.
do $$ begin execute 'alter table event_outbox_bodies alter column body set storage extended, alter column body set compression lz4'; exception when others then null; end $$;
