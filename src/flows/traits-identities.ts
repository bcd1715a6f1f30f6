import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SqlRunner } from '../platform/opstore/index.ts';
import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import { appendMirrorCsv, appendMirrorRows, applyMirrorRefresh, beginMirrorRefresh, MIRROR_STAGE, type MirrorRow } from '../modules/profiles/index.ts';

/**
 * The identity mirror: the operational store's identity graph (`identities`, kinds user_id and
 * anonymous_id: the ids events carry) copied into the event store as `profile_identities`, so the
 * traits SQL can join raw events to canonical profiles. Reads the identity module's table directly
 * (as the projector reads workspaces): a bulk, read-only copy.
 *
 * Full refresh: the rows by primary-key ranges (one kind at a time), appended to a staging table, then
 * only the difference applied to the mirror, in one DuckDB transaction. Where the store exports CSV
 * (PGlite) each kind is exported as CSV and read by DuckDB from a temp file (~8x faster than rows
 * as query results), whole while the table is under CSV_WHOLE_MAX bytes, else in ranges of
 * CSV_RANGE rows (finding a range's end costs an index scan); elsewhere pages of 50,000 rows as
 * results. Incremental passes replace the rows of the profiles they touch.
 */
const KINDS = ['user_id', 'anonymous_id'];
const PAGE = 50_000;
const CSV_RANGE = 1_000_000;
/** ~6 million identities: a kind's CSV stays under ~250 MB. */
const CSV_WHOLE_MAX = 512 * 1024 * 1024;

/** A text literal that reads the same whatever standard_conforming_strings is. */
const pgText = (s: string) => `E'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/** `csvRange`: rows per CSV export, whatever the table's size (tests). */
export async function refreshMirrorFull(op: SqlRunner, es: EventStoreDb, ws: string, onPage?: (rows: number) => void, csvRange?: number): Promise<number> {
  if (op.copyCsv && csvRange === undefined) {
    const r = await op.query<{ s: number }>(`select pg_relation_size('identities') as s`);
    csvRange = Number(r.rows[0]?.s) <= CSV_WHOLE_MAX ? Infinity : CSV_RANGE;
  }
  return es.write(async (c) => {
    await beginMirrorRefresh(c);
    let n = 0;
    if (op.copyCsv && csvRange !== undefined) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liebian-mirror-'));
      let files = 0;
      try {
        for (const kind of KINDS) {
          let after: string | null = null;
          for (;;) {
            // The range's last key (null: the rest of the kind), then the range (after, upTo] as CSV.
            let upTo: string | null = null;
            if (csvRange !== Infinity) {
              const r: { rows: Array<{ value: string }> } = await op.query(
                `select value from identities where workspace_id = $1 and kind = $2 ${after === null ? '' : 'and value > $3'} order by value offset ${csvRange - 1} limit 1`,
                [ws, kind, ...(after === null ? [] : [after])]);
              upTo = r.rows[0]?.value ?? null;
            }
            const where = [`workspace_id = ${pgText(ws)}`, `kind = ${pgText(kind)}`];
            if (after !== null) where.push(`value > ${pgText(after)}`);
            if (upTo !== null) where.push(`value <= ${pgText(upTo)}`);
            const x = await op.copyCsv(`select kind, value, profile_id from identities where ${where.join(' and ')}`);
            if (x.rows > 0) {
              // Never an empty file (appendMirrorCsv).
              const file = path.join(dir, `${files++}.csv`);
              fs.writeFileSync(file, x.csv);
              const added = await appendMirrorCsv(c, ws, file, MIRROR_STAGE);
              if (added !== x.rows) throw new Error(`identity mirror refresh: ${added} rows read from a CSV of ${x.rows}`);
              n += added;
            }
            onPage?.(n);
            if (upTo === null) break;
            after = upTo;
          }
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      await applyMirrorRefresh(c, ws);
      return n;
    }
    // One kind at a time: `kind = $2 and value > $3 order by value` is a range of the primary key
    // (workspace_id, kind, value); with `kind = any(...)` the planner sorted the table for each page.
    for (const kind of KINDS) {
      let after: string | null = null;
      for (;;) {
        const r: { rows: Array<{ value: string; profile_id: string }> } = after === null
          ? await op.query(`select value, profile_id from identities where workspace_id = $1 and kind = $2 order by value limit $3`, [ws, kind, PAGE])
          : await op.query(`select value, profile_id from identities where workspace_id = $1 and kind = $2 and value > $3 order by value limit $4`, [ws, kind, after, PAGE]);
        await appendMirrorRows(c, ws, r.rows.map((x) => ({ kind, value: x.value, profileId: x.profile_id })), MIRROR_STAGE);
        n += r.rows.length;
        onPage?.(n);
        if (r.rows.length < PAGE) break;
        after = r.rows[r.rows.length - 1]!.value;
      }
    }
    await applyMirrorRefresh(c, ws);
    return n;
  });
}

/** The current profiles of some raw identifiers. */
export async function profilesOfIds(op: SqlRunner, ws: string, ids: Array<{ kind: string; value: string }>): Promise<string[]> {
  if (!ids.length) return [];
  // One primary-key lookup per kind (a join on unnest let the planner hash the whole table).
  const out = new Set<string>();
  for (const kind of new Set(ids.map((i) => i.kind))) {
    const r = await op.query<{ profile_id: string }>(
      'select distinct profile_id from identities where workspace_id = $1 and kind = $2 and value = any($3)',
      [ws, kind, [...new Set(ids.filter((i) => i.kind === kind).map((i) => i.value))]],
    );
    for (const x of r.rows) out.add(x.profile_id);
  }
  return [...out];
}

/** The mirror rows (user_id / anonymous_id identities) of some profiles. */
export async function identitiesOfProfiles(op: SqlRunner, ws: string, profiles: string[]): Promise<MirrorRow[]> {
  if (!profiles.length) return [];
  // By the profile_id index only (with `kind = any(...)` too, PGlite scanned the table); kinds filtered here.
  const r = await op.query<{ kind: string; value: string; profile_id: string; workspace_id: string }>(
    'select kind, value, profile_id, workspace_id from identities where profile_id = any($1)',
    [profiles],
  );
  return r.rows.filter((x) => x.workspace_id === ws && KINDS.includes(x.kind))
    .map((x) => ({ kind: x.kind, value: x.value, profileId: x.profile_id }));
}

/** Profiles on either side of merges undone after `since` (un-merges happen outside the event stream). */
export async function unmergedSince(op: SqlRunner, ws: string, since: string | null): Promise<{ profiles: string[]; latest: string | null }> {
  const r = await op.query<{ from_profile: string; into_profile: string; undone_at: Date }>(
    `select from_profile, into_profile, undone_at from identity_merges
     where workspace_id = $1 and undone_at is not null and ($2::timestamptz is null or date_trunc('milliseconds', undone_at) > $2::timestamptz) order by undone_at`,
    [ws, since],
  );
  const latest = r.rows.length ? r.rows[r.rows.length - 1]!.undone_at.toISOString() : since;
  return { profiles: [...new Set(r.rows.flatMap((x) => [x.from_profile, x.into_profile]))], latest };
}

/** The newest un-merge time of the workspace (the starting point after a full refresh). */
export async function latestUnmerge(op: SqlRunner, ws: string): Promise<string | null> {
  const r = await op.query<{ t: Date | null }>('select max(undone_at) as t from identity_merges where workspace_id = $1', [ws]);
  return r.rows[0]?.t?.toISOString() ?? null;
}
