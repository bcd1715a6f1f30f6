import type { EventStoreDb } from '../../platform/eventstore/duckdb.ts';

/** Event-store migrations, versioned like the operational store's; the version lives in es_meta. */
const MIGRATIONS: Array<{ version: number; sql: string[] }> = [
  {
    version: 1,
    sql: [
      `create table if not exists events (
        workspace_id varchar not null, seq bigint not null, message_id varchar not null,
        type varchar not null, event varchar, user_id varchar, anonymous_id varchar,
        ts timestamptz not null, received_at timestamptz not null, body json not null)`,
      `create table if not exists order_lines (
        workspace_id varchar not null, seq bigint not null, order_id varchar not null,
        user_id varchar, anonymous_id varchar, ts timestamptz not null, line integer not null,
        product_id varchar, name varchar, category varchar, brand varchar,
        price double, quantity integer, share_id varchar)`,
    ],
  },
];

export async function migrateEventStore(db: EventStoreDb): Promise<number[]> {
  return db.write(async (c) => {
    await c.run(`create table if not exists es_meta (key varchar primary key, value varchar)`);
    const r = await c.runAndReadAll(`select value from es_meta where key = 'schema_version'`);
    const current = Number((r.getRowObjectsJS()[0]?.value as string | undefined) ?? 0);
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      for (const s of m.sql) await c.run(s);
      await c.run(`insert or replace into es_meta values ('schema_version', $1)`, [String(m.version)]);
      applied.push(m.version);
    }
    return applied;
  });
}

export async function eventStoreSchemaVersion(db: EventStoreDb): Promise<number> {
  const r = await db.read<{ value: string }>(`select value from es_meta where key = 'schema_version'`);
  return Number(r[0]?.value ?? 0);
}
