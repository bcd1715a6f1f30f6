import type { DuckDBConnection } from '@duckdb/node-api';
import { Params, profileIn } from './params.ts';
import { cmpUtf8 } from './collation.ts';
import { PROFILE_ORDER, qcutBin, rescoreStatements, rfmSegment } from './rfm.ts';
import { RankList } from './rank-list.ts';

/**
 * Incremental rescoring of the workspace-relative traits (RFM scores, price band) with exactly the
 * result of `rescoreStatements` (the full rescoring: ranks over all buyers, qcut bins).
 *
 * The rank order of each of the four scores (R by rfm_recency_days, F by rfm_frequency, M by
 * rfm_monetary, the price band by typical_price, each then by PROFILE_ORDER) is kept in memory as
 * a sorted list per workspace (rank-list.ts: positions without moving the whole list), read from
 * DuckDB (in DuckDB's own order) after a full rescoring.
 * When a pass recomputes the facts of a scope S, its rows are taken out of the lists and put back
 * with their new values (binary search), and only rows whose bin can have changed are looked at:
 * a row outside S moves by at most |S| ranks and each bin boundary (the last rank of bin k,
 * 1 + ⌊k(n−1)/q⌋) by at most |S|, so a row can only change bin within 2|S| ranks of a boundary.
 * Those rows (and S's own, unless they carry their scores in their insert) are written with one UPDATE.
 *
 * The arrays live with the DuckDB writer connection (one process owns an event store). They are
 * rebuilt after every full rescoring, dropped by `forgetRanks` when a transaction that changed
 * them fails, and checked against the table's buyer counts (after every rescoreScope; after
 * scoreScope's rows at most every 10 s: checkRanksSoon; a mismatch: full rescoring and rebuild). Above `MAX_INCREMENTAL` profiles in a scope, the full rescoring runs.
 */

/** One ranked row: the value (integers for R, F, M: days, orders, cents; the price for the band) and the tie-break. */
interface Entry { profileId: string; v: number; userId: string | null; anonymousId: string | null; bin: number }

interface Ranking { entries: RankList<Entry>; byProfile: Map<string, Entry> }

interface WorkspaceRanks { r: Ranking; f: Ranking; m: Ranking; band: Ranking }

const DIMS = ['r', 'f', 'm', 'band'] as const;
type Dim = (typeof DIMS)[number];
const BINS: Record<Dim, number> = { r: 5, f: 5, m: 5, band: 3 };
const BANDS = ['low', 'mid', 'high'];

/** Above this many profiles in a scope the full rescoring statements run instead. */
export const MAX_INCREMENTAL = 2000;

const caches = new WeakMap<DuckDBConnection, Map<string, WorkspaceRanks>>();

/** NULLS LAST, as DuckDB orders ascending. */
const cmpNullable = (a: string | null, b: string | null) => (a === null ? (b === null ? 0 : 1) : b === null ? -1 : cmpUtf8(a, b));

/** The order of rescoreStatements: value, then (user_id is null), user_id, anonymous_id, profile_id. */
function cmp(a: Entry, b: Entry): number {
  if (a.v !== b.v) return a.v < b.v ? -1 : 1;
  const an = a.userId === null ? 1 : 0;
  const bn = b.userId === null ? 1 : 0;
  if (an !== bn) return an - bn;
  return cmpNullable(a.userId, b.userId) || cmpNullable(a.anonymousId, b.anonymousId) || cmpUtf8(a.profileId, b.profileId);
}

const valueSql: Record<Dim, { v: string; where: string; score: string }> = {
  r: { v: 'rfm_recency_days', where: 'rfm_frequency > 0', score: '6 - r_score' },
  f: { v: 'rfm_frequency', where: 'rfm_frequency > 0', score: 'f_score' },
  m: { v: '(rfm_monetary * 100)::bigint', where: 'rfm_frequency > 0', score: 'm_score' },
  band: { v: 'typical_price', where: 'typical_price is not null', score: `list_position(['low', 'mid', 'high'], price_band)` },
};

/**
 * The four rank arrays in one read: each row once (its ids once), with its position in each order
 * as DuckDB sorts it (row_number over `<value>, PROFILE_ORDER`, null outside that ranking), so the
 * arrays are in DuckDB's own order without sorting in TypeScript.
 */
async function readRankings(c: DuckDBConnection, ws: string): Promise<WorkspaceRanks> {
  const cols = DIMS.map((d) => {
    const s = valueSql[d];
    return `${s.v}::double as v_${d}, (${s.score})::integer as bin_${d},
      case when ${s.where} then (row_number() over (partition by ${s.where} order by ${s.v}, ${PROFILE_ORDER}))::integer end as pos_${d}`;
  });
  const r = await c.runAndReadAll(
    `select profile_id, user_id, anonymous_id, ${cols.join(', ')}
     from computed_traits where workspace_id = $1 and (${DIMS.map((d) => valueSql[d].where).join(' or ')})`,
    [ws],
  );
  const x = r.getColumnsJS();
  const n = x[0]?.length ?? 0;
  const pid = (x[0] ?? []) as string[];
  const uid = (x[1] ?? []) as Array<string | null>;
  const aid = (x[2] ?? []) as Array<string | null>;
  const out = {} as WorkspaceRanks;
  DIMS.forEach((d, k) => {
    const v = (x[3 + 3 * k] ?? []) as number[];
    const bin = (x[4 + 3 * k] ?? []) as number[];
    const pos = (x[5 + 3 * k] ?? []) as Array<number | null>;
    // Filled by position (1…count, each once) into an array of its final length: no holes left.
    let count = 0;
    for (let i = 0; i < n; i++) if (pos[i] !== null) count++;
    const entries = new Array<Entry>(count);
    const byProfile = new Map<string, Entry>();
    for (let i = 0; i < n; i++) {
      const at = pos[i];
      if (at === null || at === undefined) continue;
      const e: Entry = { profileId: pid[i]!, userId: uid[i]!, anonymousId: aid[i]!, v: v[i]!, bin: bin[i]! };
      entries[at - 1] = e;
      byProfile.set(e.profileId, e);
    }
    out[d] = { entries: new RankList(cmp, entries), byProfile };
  });
  return out;
}

export async function rescoreAll(c: DuckDBConnection, ws: string): Promise<void> {
  forgetRanks(c, ws);
  for (const s of rescoreStatements()) await c.run(s, [ws]);
  const ranks = await readRankings(c, ws);
  let map = caches.get(c);
  if (!map) caches.set(c, (map = new Map()));
  map.set(ws, ranks);
}

/** Drops the rank arrays of a workspace (a transaction that changed the traits failed, or they changed elsewhere). */
export function forgetRanks(c: DuckDBConnection, ws: string): void {
  caches.get(c)?.delete(ws);
  pendings.get(c)?.delete(ws);
}

/**
 * Rows outside a scope whose bin moved with it (scoreScope), not yet written: `flushScores` writes
 * them in a transaction of their own right after the scope's, so the scope's rows commit without
 * waiting for the UPDATE of other people's scores. Safe across a crash in between: a new process has
 * no rank arrays, and its first scope runs the full rescoring (rescoreScope → rescoreAll), which
 * writes every score; a failed transaction drops the arrays (forgetRanks) with the same effect.
 */
const pendings = new WeakMap<DuckDBConnection, Map<string, { rfm: Set<string>; band: Set<string> }>>();

/** The workspaces where scoreScope left rows of other profiles to write (flushScores). */
export function scoresPending(c: DuckDBConnection): string[] {
  return [...(pendings.get(c) ?? [])].filter(([, p]) => p.rfm.size > 0 || p.band.size > 0).map(([ws]) => ws);
}

/** Writes the pending rows' current scores (from the arrays: a row moved by several scopes is written once). */
export async function flushScores(c: DuckDBConnection, ws: string): Promise<void> {
  const p = pendings.get(c)?.get(ws);
  const ranks = caches.get(c)?.get(ws);
  if (!p) return;
  pendings.get(c)!.delete(ws);
  if (!ranks) return;
  try {
    await writeScores(c, ranks, p.rfm, p.band);
  } catch (e) {
    forgetRanks(c, ws);
    throw e;
  }
}

/**
 * Rescores the workspace after the rows of `profiles` were rewritten (their scores are null).
 * Equal to `rescoreAll`'s result; runs it when there are no rank arrays yet or the scope is large.
 */
export async function rescoreScope(c: DuckDBConnection, ws: string, profiles: string[]): Promise<void> {
  const ranks = caches.get(c)?.get(ws);
  if (!ranks || profiles.length > MAX_INCREMENTAL) return rescoreAll(c, ws);
  try {
    await rescoreScopeWith(c, ws, profiles, ranks);
  } catch (e) {
    forgetRanks(c, ws);
    throw e;
  }
}

/** A row as the rank arrays see it (rescoreScope reads these from the table; scoreScope is given them). */
export interface RankInput {
  profileId: string; userId: string | null; anonymousId: string | null; buyer: boolean;
  /** rfm_recency_days, rfm_frequency, rfm_monetary in cents (buyers), typical_price. */
  r: number | null; f: number | null; m: number | null; band: number | null;
}

/** The workspace-relative scores of a row. */
export interface Scores { r: number | null; f: number | null; m: number | null; cell: string | null; segment: string | null; band: string | null }

async function readInputs(c: DuckDBConnection, profiles: string[]): Promise<RankInput[]> {
  const sp = new Params();
  const r = await c.runAndReadAll(
    `select profile_id, user_id, anonymous_id, rfm_frequency > 0 as buyer, rfm_recency_days::double as r, rfm_frequency::double as f,
       (rfm_monetary * 100)::bigint::double as m, typical_price as band
     from computed_traits where ${profileIn(sp, profiles)}`,
    sp.values,
  );
  return (r.getRowObjectsJS() as Array<{ profile_id: string; user_id: string | null; anonymous_id: string | null; buyer: boolean | null; r: number | null; f: number | null; m: number | null; band: number | null }>)
    .map((x) => ({ profileId: x.profile_id, userId: x.user_id, anonymousId: x.anonymous_id, buyer: !!x.buyer, r: x.r, f: x.f, m: x.m, band: x.band }));
}

/**
 * Takes the scope's old rows out of the arrays and puts `rows` in, then re-bins the rows that can
 * have changed bin; returns the profiles whose RFM scores / price band changed (the scope's always).
 */
function applyScope(ranks: WorkspaceRanks, profiles: string[], rows: RankInput[]): { rfmDirty: Set<string>; bandDirty: Set<string> } {
  const rfmDirty = new Set<string>();
  const bandDirty = new Set<string>();
  for (const d of DIMS) {
    const k = ranks[d];
    const oldN = k.entries.length;
    // Out with the scope's old rows, in with the new ones.
    for (const p of profiles) {
      const e = k.byProfile.get(p);
      if (!e) continue;
      const i = k.entries.lowerBound(e);
      if (k.entries.at(i) !== e) throw new Error(`rank arrays out of order for ${p}`);
      k.entries.removeAt(i);
      k.byProfile.delete(p);
    }
    for (const x of rows) {
      const v = d === 'band' ? x.band : x.buyer ? x[d] : null;
      if (v === null || v === undefined) continue;
      const e: Entry = { profileId: x.profileId, userId: x.userId, anonymousId: x.anonymousId, v, bin: 0 };
      k.entries.insert(e);
      k.byProfile.set(e.profileId, e);
    }
    const n = k.entries.length;
    const q = BINS[d];
    const dirty = d === 'band' ? bandDirty : rfmDirty;
    const rebin = (i: number) => {
      const e = k.entries.at(i)!;
      const b = qcutBin(i + 1, n, q);
      if (e.bin !== b) {
        e.bin = b;
        dirty.add(e.profileId);
      }
    };
    // Rows that can have changed bin: within 2|S| (+ margin) of a boundary of the new ranking.
    const reach = 2 * Math.max(profiles.length, Math.abs(n - oldN)) + 2;
    const seen = new Set<number>();
    for (let b = 1; b < q; b++) {
      const last = n <= 1 ? 0 : Math.floor((b * (n - 1)) / q); // 0-based index of the last rank of bin b
      for (let i = Math.max(0, last - reach); i <= Math.min(n - 1, last + reach); i++) {
        if (seen.has(i)) continue;
        seen.add(i);
        rebin(i);
      }
    }
    // The scope's rows are (re)written: all of them get their scores.
    for (const p of profiles) {
      const e = k.byProfile.get(p);
      if (!e) continue;
      e.bin = qcutBin(k.entries.lowerBound(e) + 1, n, q);
      dirty.add(p);
    }
  }
  return { rfmDirty, bandDirty };
}

function scoresOf(ranks: WorkspaceRanks, p: string): Scores {
  const r = ranks.r.byProfile.get(p);
  const band = ranks.band.byProfile.get(p);
  const s: Scores = { r: null, f: null, m: null, cell: null, segment: null, band: band ? BANDS[band.bin - 1]! : null };
  if (r) {
    s.r = 6 - r.bin;
    s.f = ranks.f.byProfile.get(p)!.bin;
    s.m = ranks.m.byProfile.get(p)!.bin;
    s.cell = `${s.r}${s.f}${s.m}`;
    s.segment = rfmSegment(s.r, s.f);
  }
  return s;
}

/** Up to this many rows, writeScores binds the values as CASE arms rather than joining a list. */
const CASE_MAX = 32;

/** Writes the current scores of the rows whose RFM scores or price band changed (one UPDATE: every score of each row, from the arrays). */
async function writeScores(c: DuckDBConnection, ranks: WorkspaceRanks, rfmDirty: Iterable<string>, bandDirty: Iterable<string>) {
  const ids = [...new Set([...rfmDirty, ...bandDirty])];
  if (!ids.length) return;
  const cols: Array<Array<string | null>> = [[], [], [], [], [], []];
  for (const p of ids) {
    const x = scoresOf(ranks, p);
    [x.r, x.f, x.m, x.cell, x.segment, x.band].forEach((v, i) => cols[i]!.push(v === null ? null : String(v)));
  }
  const u = new Params();
  if (ids.length <= CASE_MAX) {
    // A few rows (an order's pass): the values as CASE arms over the ids' index lookup, no join to plan.
    const pid = ids.map((id) => u.add(id));
    const arms = (i: number, cast: string) => `case profile_id ${pid.map((x, k) => `when ${x} then ${u.add(cols[i]![k]!)}${cast}`).join(' ')} end`;
    await c.run(
      `update computed_traits set r_score = ${arms(0, '::tinyint')}, f_score = ${arms(1, '::tinyint')}, m_score = ${arms(2, '::tinyint')},
         rfm_cell = ${arms(3, '')}, rfm_segment = ${arms(4, '')}, price_band = ${arms(5, '')}
       where profile_id in (${pid.join(', ')})`,
      u.values,
    );
    return;
  }
  await c.run(
    `update computed_traits t set r_score = s.r, f_score = s.f, m_score = s.m, rfm_cell = s.cell, rfm_segment = s.seg, price_band = s.band
     from (select unnest(${u.list(ids)}) as profile_id, unnest(${u.list(cols[0]!)})::tinyint as r, unnest(${u.list(cols[1]!)})::tinyint as f,
       unnest(${u.list(cols[2]!)})::tinyint as m, unnest(${u.list(cols[3]!)}) as cell, unnest(${u.list(cols[4]!)}) as seg, unnest(${u.list(cols[5]!)}) as band) s
     where ${profileIn(u, ids, 't')} and t.profile_id = s.profile_id`,
    u.values,
    u.types,
  );
}

async function rescoreScopeWith(c: DuckDBConnection, ws: string, profiles: string[], ranks: WorkspaceRanks) {
  const { rfmDirty, bandDirty } = applyScope(ranks, profiles, await readInputs(c, profiles));
  await writeScores(c, ranks, rfmDirty, bandDirty);
  await checkRanks(c, ws, ranks);
}

/**
 * The scores of a scope's rows before they are written (`rows`: their new values), for the insert
 * to carry; the other rows whose bin changed are updated here. Null when there are no rank arrays
 * or the scope is large: then write the rows without scores and call rescoreScope. `deferOthers`:
 * the other rows are left pending for the caller's `flushScores` (in a transaction after this one).
 */
export async function scoreScope(c: DuckDBConnection, ws: string, profiles: string[], rows: RankInput[], deferOthers = false): Promise<Map<string, Scores> | null> {
  const ranks = caches.get(c)?.get(ws);
  if (!ranks || profiles.length > MAX_INCREMENTAL) return null;
  try {
    const { rfmDirty, bandDirty } = applyScope(ranks, profiles, rows);
    const mine = new Set(profiles);
    let m = pendings.get(c);
    if (!m) pendings.set(c, (m = new Map()));
    let pending = m.get(ws);
    if (!pending) m.set(ws, (pending = { rfm: new Set(), band: new Set() }));
    // The scope's rows carry their scores in their insert; a pending one of them needs no UPDATE.
    for (const p of profiles) { pending.rfm.delete(p); pending.band.delete(p); }
    for (const p of rfmDirty) if (!mine.has(p)) pending.rfm.add(p);
    for (const p of bandDirty) if (!mine.has(p)) pending.band.add(p);
    if (!deferOthers) await flushScores(c, ws);
    return new Map(rows.map((x) => [x.profileId, scoresOf(ranks, x.profileId)]));
  } catch (e) {
    forgetRanks(c, ws);
    throw e;
  }
}

const checkedAt = new WeakMap<DuckDBConnection, Map<string, number>>();
/** How often checkRanksSoon compares the arrays with the table. */
const CHECK_EVERY_MS = 10_000;

/**
 * After scoreScope's rows are written: compares the arrays with the table (as rescoreScope does
 * after every scope) at most every CHECK_EVERY_MS per workspace; a mismatch means a change the
 * arrays did not see, and the full rescoring repairs every score.
 */
export async function checkRanksSoon(c: DuckDBConnection, ws: string): Promise<void> {
  const ranks = caches.get(c)?.get(ws);
  if (!ranks) return;
  let m = checkedAt.get(c);
  if (!m) checkedAt.set(c, (m = new Map()));
  if (Date.now() - (m.get(ws) ?? 0) < CHECK_EVERY_MS) return;
  m.set(ws, Date.now());
  await checkRanks(c, ws, ranks);
}

async function checkRanks(c: DuckDBConnection, ws: string, ranks: WorkspaceRanks) {
  // The arrays must describe the table: a different count of buyers or priced rows means a change
  // elsewhere (then: full rescoring, which rebuilds them).
  const chk = await c.runAndReadAll(
    `select count(*) filter (where rfm_frequency > 0)::integer as b, count(*) filter (where typical_price is not null)::integer as p
     from computed_traits where workspace_id = $1`, [ws]);
  const x = chk.getRowObjectsJS()[0] as { b: number; p: number };
  if (x.b !== ranks.r.entries.length || x.p !== ranks.band.entries.length) await rescoreAll(c, ws);
}
