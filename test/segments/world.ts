/**
 * Test worlds for segments: an in-memory world (the reference evaluator's input) loaded into the
 * real stores — computed_traits, profile_identities, events and order_lines in DuckDB, live
 * social_edges in the operational store — under a fresh workspace id.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { migrateOpStore, openOpStore, type OpStore } from '../../src/platform/opstore/index.ts';
import { openEventStoreDb, type EventStoreDb } from '../../src/platform/eventstore/duckdb.ts';
import { migrateEventStore } from '../../src/modules/events/index.ts';
import { TRAIT_FIELDS, profileEdgesOf, type RefWorld } from '../../src/modules/segments/index.ts';

export interface Stores { op: OpStore; es: EventStoreDb; close(): Promise<void> }

/** PGlite (temp dir) or PostgreSQL (`opFor`), and an in-memory DuckDB, both migrated. */
export async function openTestStores(op?: OpStore): Promise<Stores> {
  let dir: string | null = null;
  if (!op) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liebian-seg-'));
    op = await openOpStore({ dataDir: dir });
    await migrateOpStore(op);
  }
  const es = await openEventStoreDb(undefined);
  await migrateEventStore(es);
  const own = dir;
  const theOp = op;
  return {
    op: theOp, es,
    async close() {
      await es.close();
      if (own) {
        await theOp.close();
        fs.rmSync(own, { recursive: true, force: true });
      }
    },
  };
}

let seqBase = 1;

/** Loads a world under a new workspace id (returned). */
export async function loadWorld(s: Stores, world: RefWorld, asOf: string): Promise<string> {
  const ws = 'ws_' + randomBytes(5).toString('hex');
  const base = seqBase;
  seqBase += world.events.length + 10;
  const cols = new Set((await s.es.read<{ name: string }>(`select column_name as name from information_schema.columns where table_name = 'computed_traits'`)).map((x) => x.name));
  await s.es.write(async (c) => {
    await c.run(`insert into traits_runs values ($1, $2::date, false, '{}', now(), $3, 0, null, 0)`, [ws, asOf, world.profiles.length]);
    for (const p of world.profiles) {
      const names = ['workspace_id', 'profile_id', 'as_of'];
      const vals: Array<string | number | boolean | null> = [ws, p.profileId, asOf];
      for (const [k, v] of Object.entries(p.traits)) {
        const f = TRAIT_FIELDS[k];
        if (!f || !cols.has(f.column) || v === null || v === undefined) continue;
        names.push(f.column);
        vals.push(f.type === 'list' ? JSON.stringify(v) : (v as string | number | boolean));
      }
      await c.run(`insert into computed_traits (${names.join(', ')}) values (${vals.map((_, i) => `$${i + 1}`).join(', ')})`, vals);
      if (p.userId) await c.run(`insert into profile_identities values ($1, 'user_id', $2, $3)`, [ws, p.userId, p.profileId]);
      for (const a of p.anonymousIds) await c.run(`insert into profile_identities values ($1, 'anonymous_id', $2, $3)`, [ws, a, p.profileId]);
    }
    for (const e of world.events) {
      const seq = base + e.seq;
      const ts = new Date(e.ts).toISOString();
      const body = { type: e.type, event: e.event, userId: e.userId, anonymousId: e.anonymousId, timestamp: ts, messageId: `m${seq}`, properties: e.properties, traits: e.traits };
      await c.run(`insert into events values ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz, $8::timestamptz, $9::json)`,
        [ws, seq, `m${seq}`, e.type, e.event ?? null, e.userId ?? null, e.anonymousId ?? null, ts, JSON.stringify(body)]);
      for (const [i, l] of (e.lines ?? []).entries()) {
        await c.run(`insert into order_lines values ($1, $2, $3, $4, $5, $6::timestamptz, $7, $8, $9, $10, $11, $12, $13, null)`,
          [ws, seq, `o${seq}`, e.userId ?? null, e.anonymousId ?? null, ts, i, l.product_id ?? null, l.name ?? null, l.category ?? null, l.brand ?? null, l.price ?? null, l.quantity ?? 1]);
      }
    }
  });
  await s.es.write(async (c) => {
    for (const e of profileEdgesOf(world)) await c.run('insert into influence_edges values ($1, $2, $3, $4)', [ws, e.type, e.src, e.dst]);
  });
  for (const [i, e] of world.edges.entries()) {
    await s.op.query(`insert into social_edges (workspace_id, src, dst, type, created_at, message_id) values ($1, $2, $3, $4, now(), $5) on conflict do nothing`, [ws, e.src, e.dst, e.type, `e${i}`]);
  }
  return ws;
}
