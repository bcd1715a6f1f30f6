import type { DuckDBConnection } from '@duckdb/node-api';
import type { SqlRunner } from '../platform/opstore/index.ts';
import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import { isAppError } from '../platform/errors.ts';
import { getCursor } from '../modules/ingest/index.ts';
import { storedPosition } from '../modules/events/index.ts';
import {
  flushScores, forgetRanks, getChurnModel, getRun, getRunCached, getTraitsCursor, influenceChanges, listRuns, aggregatesBefore, mirrorMoves, mirrorRowsOf, readPassRange, readStoredRows, refreshSocialActions, replaceMirrorRows, scoresPending, setMergesChecked, setTraitsCursor,
  type ChurnModel, type SocialActionRow, type TraitsRun,
} from '../modules/profiles/index.ts';
import { PROJECTOR } from './project-events.ts';
import { identitiesOfProfiles, profilesOfIds, unmergedSince } from './traits-identities.ts';
import { loadProfileSettings, recomputeAllUnlocked, recomputeProfiles, todayUtc, withTraitsLock } from './traits-recompute.ts';

/**
 * The incremental pass: recomputes only the profiles touched by events that both the event store
 * and the projector (identity graph) have seen, with the as-of day, settings and churn model of the
 * workspace's last full run, so the rows equal a full recompute's. A workspace without a full run
 * gets one (live). A full recompute also starts when a live run's day is over or the workspace's
 * profile settings changed, and un-merges are applied; both are looked for every `checkEveryMs`.
 * See docs/profiles.md.
 */
export interface TraitsStepOptions {
  /** Events per pass (default 20,000). */
  maxEvents?: number;
  /** Today's day, YYYY-MM-DD (tests fix the clock). */
  today?: () => string;
  /** How often to look for a new day or changed settings (default 10 s; 0 = every pass). */
  checkEveryMs?: number;
  /** Defer while the projector is more than this many events behind the event store (a bulk load: it goes first; default 5,000). */
  maxProjectorLag?: number;
  /** At most this share of the time in passes: after a pass of T ms, the next waits T·(1/share − 1) (default 1/3; 1 = no wait). */
  maxDutyCycle?: number;
  /** When given, the milliseconds of each phase of the pass are added to it (bench:segments). */
  timings?: Record<string, number>;
  /** Called once the pass's traits rows and cursor are committed, before other people's moved scores are written (bench:segments). */
  onCommitted?: () => void;
}

/** Above this many touched profiles (or a fifth of the workspace), a pass recomputes the workspace. */
const FULL_ABOVE = 100_000;
const lastCheck = new WeakMap<EventStoreDb, number>();
const notBefore = new WeakMap<EventStoreDb, number>();
/** The traits cursor this process last committed, per event store. */
const cursors = new WeakMap<EventStoreDb, number>();

/**
 * One incremental pass; returns the number of events it covered, at least 1 when it moved the cursor
 * over a stretch of seqs with no event (a gap in the outbox's numbering), so a caller looping while
 * the result is positive does not stop short; 0 when there was nothing to do or it is not time yet.
 */
export async function traitsStep(op: SqlRunner, es: EventStoreDb, o: TraitsStepOptions = {}): Promise<number> {
  if (Date.now() < (notBefore.get(es) ?? 0)) return 0;
  const t0 = Date.now();
  try {
    return await pass(op, es, o);
  } finally {
    const share = Math.min(1, Math.max(0.01, o.maxDutyCycle ?? 1 / 3));
    notBefore.set(es, Date.now() + (Date.now() - t0) * (1 / share - 1));
  }
}

/** A phase timer: `mark(name)` adds the time since the previous mark to `timings[name]`. */
export function timer(timings: Record<string, number> | undefined): (phase: string) => void {
  if (!timings) return () => undefined;
  let t = performance.now();
  return (phase) => {
    const now = performance.now();
    timings[phase] = (timings[phase] ?? 0) + (now - t);
    t = now;
  };
}

function pass(op: SqlRunner, es: EventStoreDb, o: TraitsStepOptions): Promise<number> {
  return withTraitsLock(es, async () => {
    const mark = timer(o.timings);
    const n = await passUnlocked(op, es, o, mark);
    // Other people's RFM / price-band scores that the scopes' new values moved (a bin boundary
    // shifted), in a transaction of their own: the scopes' rows did not wait for that UPDATE.
    await flushPendingScores(es);
    mark('scores of others');
    return n;
  }).catch((e: unknown) => {
    cursors.delete(es);
    throw e;
  });
}

async function passUnlocked(op: SqlRunner, es: EventStoreDb, o: TraitsStepOptions, mark: (phase: string) => void): Promise<number> {
  const today = (o.today ?? todayUtc)();
  if (Date.now() - (lastCheck.get(es) ?? 0) >= (o.checkEveryMs ?? 10_000)) {
    lastCheck.set(es, Date.now());
    await refreshStaleRuns(op, es, today);
    // Un-merges come from the API, not the event stream: picked up here.
    for (const ws of await listRuns(es)) await updateWorkspace(op, es, ws, [], today, null, mark);
  }
  // The cursor as this process last committed it (the pass is its only writer), else as stored.
  const cursor = cursors.get(es) ?? await getTraitsCursor(es);
  mark('range: cursor');
  const projected = await getCursor(op, PROJECTOR);
  mark('range: projected');
  // The event store's position (in memory after a first read past the cursor: storedPosition).
  const stored = await storedPosition(es, cursor);
  mark('range: stored');
  if (stored - projected > (o.maxProjectorLag ?? 5000)) return 0;
  // The range: at most maxEvents seqs past the cursor, none past the projector (a bound on seq,
  // not an ORDER BY … LIMIT: plain statements are the cheap ones in DuckDB). Its events' ids, and
  // whether any can give a social action (maySocialAction: a share touch can be any event).
  const upTo = Math.min(stored, projected, cursor + (o.maxEvents ?? 20_000));
  if (upTo <= cursor) return 0;
  // The range's events and, when short, its social actions: one read (profiles/social-actions.ts).
  const { events: evs, actions } = await readPassRange(es, cursor, upTo);
  const byWs = new Map<string, Map<string, TouchedId>>();
  const touch = (ws: string, kind: string, value: string | null, seq: number) => {
    if (!value) return;
    let m = byWs.get(ws);
    if (!m) byWs.set(ws, (m = new Map()));
    const k = `${kind}\u0001${value}`;
    const t = m.get(k);
    if (t) t.seq = Math.max(t.seq, seq);
    else m.set(k, { kind, value, seq });
  };
  for (const e of evs) {
    touch(e.workspaceId, 'user_id', e.userId, e.seq);
    touch(e.workspaceId, 'anonymous_id', e.anonymousId, e.seq);
  }
  mark('range');
  // The social actions of the range (idempotent: a replayed range replaces its rows; a range with no
  // social event has none) before the profiles, and the cursor: in the workspace's transaction
  // when the range has one workspace, else each in its own.
  const social = evs.some((e) => e.social);
  // A short range's actions (the row path, extracted before the transaction): the influence check reads them, not the table.
  const range = { after: cursor, upTo, social, actions: social ? actions : null as SocialActionRow[] | null };
  const hooks: TxHooks = {
    before: social ? async (c) => { range.actions = await refreshSocialActions(c, cursor, upTo, actions); } : null, after: (c) => setTraitsCursor(c, upTo), ran: false,
  };
  if (byWs.size === 1) {
    const [ws, ids] = [...byWs][0]!;
    await updateWorkspace(op, es, ws, [...ids.values()], today, range, mark, hooks);
  } else {
    if (hooks.before) await es.write(hooks.before);
    hooks.before = null;
    for (const [ws, ids] of byWs) await updateWorkspace(op, es, ws, [...ids.values()], today, range, mark);
  }
  if (!hooks.ran) {
    await es.write(async (c) => {
      if (hooks.before) await hooks.before(c);
      await hooks.after(c);
    });
  }
  cursors.set(es, upTo);
  mark('cursor');
  o.onCommitted?.();
  return Math.max(evs.length, 1);
}

/** rank-cache.ts `flushScores` for the workspaces with rows pending (none: no transaction). */
async function flushPendingScores(es: EventStoreDb) {
  const c = writers.get(es);
  const due = c ? scoresPending(c) : [];
  if (!due.length) return;
  await es.write(async (w) => { for (const ws of due) await flushScores(w, ws); });
}

/** The writer connection of each event store, as the last pass's transaction saw it (flushPendingScores). */
const writers = new WeakMap<EventStoreDb, DuckDBConnection>();

/** A pass's seq range; `actions`: its social actions when the row path extracted them (social-actions.ts). */
interface PassRange { after: number; upTo: number; social: boolean; actions: SocialActionRow[] | null }

/** An identifier seen in the pass, with the newest seq it was seen at. */
interface TouchedId { kind: string; value: string; seq: number }

/** Writes a pass makes in the transaction of its one workspace's update (`ran` once done there). */
interface TxHooks { before: ((c: DuckDBConnection) => Promise<void>) | null; after: (c: DuckDBConnection) => Promise<void>; ran: boolean }

/**
 * Recomputes the profiles holding these identifiers, before and after any merge or un-merge.
 * Identifiers whose events are all in the workspace's last full run are skipped.
 */
async function updateWorkspace(
  op: SqlRunner, es: EventStoreDb, ws: string, touched: TouchedId[], today: string, range: PassRange | null, mark: (phase: string) => void,
  hooks?: TxHooks,
) {
  const run = await getRunCached(es, ws);
  if (!run) {
    await fullFor(op, es, ws, today, true);
    return;
  }
  const ids = touched.filter((i) => i.seq > run.seq).map((i) => ({ kind: i.kind, value: i.value }));
  mark('lookups: run');
  const un = await unmergedSince(op, ws, run.mergesCheckedAt);
  mark('lookups: un-merges');
  if (!ids.length && !un.profiles.length) return;
  const seeds = [...new Set([...(await profilesOfIds(op, ws, ids)), ...un.profiles])];
  mark('lookups: profiles of ids');
  const seedIds = await identitiesOfProfiles(op, ws, seeds);
  mark('lookups: identities');
  // The mirror's rows of these ids and of the seeds (one read): the profiles that held the ids before
  // (a merge or un-merge moves ids between profiles) join the scope.
  const lookup = [...ids, ...seedIds];
  // Beside the mirror's rows, on the readers: whether the range's orders are credited to a share (the
  // influence check's touch lookup, influence.ts). With the range's actions in hand (the row path),
  // the table's rows it reads are not the transaction's; its answer counts when no id moves (below).
  const early = range?.social && range.actions ? influenceChanges(es, ws, run.asOf, range.after, range.upTo, seedIds, range.actions) : null;
  // And the seeds' stored rows (fold states, influence columns), for the facts computed before the transaction (below).
  const beforeTx = range !== null && !un.profiles.length;
  const [mirrored, earlyInfluence, stored] = await Promise.all([
    mirrorRowsOf(es, ws, lookup.map((i) => i.value), seeds), early, beforeTx ? readStoredRows(es, seeds) : null,
  ]);
  const keys = new Set(lookup.map((i) => `${i.kind}\u0001${i.value}`));
  const previous = mirrored.filter((r) => keys.has(`${r.kind}\u0001${r.value}`)).map((r) => r.profileId);
  mark('lookups: mirror profiles');
  const scope = [...new Set([...seeds, ...previous])].sort();
  if (scope.length > Math.min(FULL_ABOVE, Math.max(1000, run.profiles / 5))) {
    await fullFor(op, es, ws, run.asOf, run.live);
    return;
  }
  // The scope is the seeds (no id moved): their identities are the rows, and the read above holds
  // every mirror row the rewrite can replace; else both are read again for the larger scope.
  const same = scope.length === seeds.length;
  const rows = same ? seedIds : await identitiesOfProfiles(op, ws, scope);
  mark('lookups: identities');
  const model = await churnModelOf(es, run);
  mark('lookups: churn model');
  // No id moved to or from another profile (the scope is the seeds): the scope's facts are read and
  // computed on the readers now, so the transaction only writes (store.ts aggregatesBefore). The
  // mirror's moves are those the transaction's replaceMirrorRows finds (the same rows, read above).
  const unmerged = new Set(un.profiles);
  const foldOf = (moved: Set<string>) => range ? { after: range.after, upTo: range.upTo, stable: new Set(scope.filter((p) => !moved.has(p) && !unmerged.has(p))) } : undefined;
  const pre = same && stored && range ? await aggregatesBefore(es, ws, run.asOf, run.settings, scope, rows, foldOf(mirrorMoves(scope, rows, mirrored))!, stored) : undefined;
  if (pre) mark('facts read');
  let conn: DuckDBConnection | null = null;
  try {
    await es.write(async (c) => {
      conn = c;
      writers.set(es, c);
      if (hooks?.before) await hooks.before(c);
      const { changed: mirrorChanged, moved } = await replaceMirrorRows(c, ws, scope, rows, same ? mirrored : undefined);
      mark('mirror');
      // The influence step only when the pass can have changed an influence trait (influence.ts); a
      // range without an event that can give a social action has none to look for.
      // (No mirror change: the scope is the seeds and `rows` their identities, as the early check read.)
      const influence = mirrorChanged || un.profiles.length || range === null
        ? 'all' : range.social ? earlyInfluence ?? await influenceChanges(c, ws, run.asOf, range.after, range.upTo, rows, range.actions) : 'none';
      mark('influence check');
      // The pass's events fold into the stored states of the profiles whose identifiers stayed (facts-scope.ts).
      const fold = foldOf(moved);
      await recomputeProfiles(c, ws, scope, run.asOf, run.settings, model, { influence, mark, mirror: rows, fold, deferScores: true, reader: es.withReader, pre });
      if (un.latest && un.latest !== run.mergesCheckedAt) await setMergesChecked(c, ws, un.latest);
      if (hooks) {
        await hooks.after(c);
        hooks.ran = true;
      }
    });
    mark('commit');
  } catch (e) {
    // Rolled back: the in-memory RFM ranks (profiles/rank-cache.ts) no longer describe the table.
    if (conn) forgetRanks(conn, ws);
    throw e;
  }
}

/** The churn model of a run (read once per full run: a full run, which may retrain it, gives a new computedAt). */
const models = new WeakMap<EventStoreDb, Map<string, { computedAt: string; model: ChurnModel | null }>>();
async function churnModelOf(es: EventStoreDb, run: TraitsRun): Promise<ChurnModel | null> {
  let m = models.get(es);
  if (!m) models.set(es, (m = new Map()));
  const hit = m.get(run.workspaceId);
  if (hit && hit.computedAt === run.computedAt) return hit.model;
  const model = (await getChurnModel(es, run.workspaceId, run.asOf))?.model ?? null;
  m.set(run.workspaceId, { computedAt: run.computedAt, model });
  return model;
}

/** Full recomputes for live runs whose day is over and for runs whose settings changed (checked every `checkEveryMs`). */
async function refreshStaleRuns(op: SqlRunner, es: EventStoreDb, today: string) {
  for (const ws of await listRuns(es)) {
    const run = await getRun(es, ws);
    if (!run) continue;
    if (run.live && run.asOf < today) {
      await fullFor(op, es, ws, today, true);
      continue;
    }
    const settings = await loadProfileSettings(op, ws).catch(() => null);
    if (settings && JSON.stringify(settings) !== JSON.stringify(run.settings)) await fullFor(op, es, ws, run.asOf, run.live);
  }
}

async function fullFor(op: SqlRunner, es: EventStoreDb, ws: string, asOf: string, live: boolean) {
  try {
    await recomputeAllUnlocked(op, es, { workspace: ws, asOf, live });
  } catch (e) {
    // Events of a workspace that no longer exists are skipped, not retried forever.
    if (isAppError(e) && e.code === 'NOT_FOUND') return;
    throw e;
  }
}
