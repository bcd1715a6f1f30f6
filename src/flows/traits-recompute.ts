import type { DuckDBConnection } from '@duckdb/node-api';
import type { SqlRunner } from '../platform/opstore/index.ts';
import { readRows, type EventStoreDb } from '../platform/eventstore/duckdb.ts';
import { appError } from '../platform/errors.ts';
import { eventStoreCursor } from '../modules/events/index.ts';
import { getCursor } from '../modules/ingest/index.ts';
import { getWorkspace } from '../modules/workspaces/index.ts';
import {
  ProfileSettingsSchema, createTraitsIndexes, dropAllTraitsIndexes, getChurnModel, historiesFromDays, purchaseDays, putChurnModel, putRun, rebuildSocialActions, scopeFromRows, scopeOf, writeTraits,
  type ChurnMetrics, type ChurnModel, type MirrorRow, type ProfileSettings, type WriteTraitsOptions,
} from '../modules/profiles/index.ts';
import { refreshMirrorFull, latestUnmerge } from './traits-identities.ts';
import { trainChurnModel, type Read } from './traits-churn.ts';
import { PROJECTOR } from './project-events.ts';

/**
 * Computing the traits: a full recompute of a workspace, and the recompute of a set of profiles
 * that the incremental pass uses. Both run the same statements (the facts query restricted or not
 * to a scope, then the workspace-wide rescoring), so they give identical rows.
 * One computation at a time per event store (`withTraitsLock`).
 */

const locks = new WeakMap<EventStoreDb, Promise<unknown>>();

/** Runs `fn` after every earlier traits computation on this event store has finished. */
export function withTraitsLock<T>(es: EventStoreDb, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(es) ?? Promise.resolve();
  const p = prev.then(fn, fn);
  locks.set(es, p.catch(() => undefined));
  return p;
}

export const todayUtc = () => new Date().toISOString().slice(0, 10);

/** The workspace's profile settings (`settings.profiles`), validated. */
export async function loadProfileSettings(op: SqlRunner, ws: string): Promise<ProfileSettings> {
  const w = await getWorkspace(op, ws);
  if (!w) throw appError('NOT_FOUND', `no workspace ${ws}`);
  const raw = (w.settings as { profiles?: unknown }).profiles ?? {};
  const r = ProfileSettingsSchema.safeParse(raw);
  if (!r.success) throw appError('VALIDATION_FAILED', `workspace ${ws} has invalid settings.profiles: ${r.error.issues[0]?.path.join('.')} ${r.error.issues[0]?.message}`);
  return r.data;
}

export interface RecomputeOptions {
  workspace: string;
  /** The as-of day (YYYY-MM-DD). Without it: today (UTC), and the traits follow the calendar ("live"). */
  asOf?: string;
  /** Whether the as-of day follows the calendar (default: when no asOf is given). */
  live?: boolean;
  /** Retrain the churn model even when one exists for this as-of day. */
  retrainChurn?: boolean;
  onPhase?: (phase: RecomputePhase, detail?: string) => void;
}
export type RecomputePhase = 'settings' | 'identities' | 'churn model' | 'social actions' | 'lifecycle' | 'traits' | 'commit' | 'indexes' | 'done';

export interface RecomputeResult {
  workspace: string;
  asOf: string;
  live: boolean;
  profiles: number;
  buyers: number;
  identities: number;
  ms: number;
  phaseMs: Partial<Record<RecomputePhase, number>>;
  /** The traits phase in parts (store.ts writeTraits: 'traits delete', 'facts', 'rescore', 'influence'). */
  traitsMs: Record<string, number>;
  churn: ChurnMetrics | null;
}

/** Full recompute of a workspace's computed traits (the identity mirror too). */
export function recomputeAll(op: SqlRunner, es: EventStoreDb, o: RecomputeOptions): Promise<RecomputeResult> {
  return withTraitsLock(es, () => recomputeAllUnlocked(op, es, o));
}

/** recomputeAll for callers already holding the traits lock (the incremental pass). */
export async function recomputeAllUnlocked(op: SqlRunner, es: EventStoreDb, o: RecomputeOptions): Promise<RecomputeResult> {
  const t0 = Date.now();
  const ws = o.workspace;
  const asOf = o.asOf ?? todayUtc();
  const live = o.live ?? o.asOf === undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || !Number.isFinite(Date.parse(asOf + 'T00:00:00Z'))) throw appError('VALIDATION_FAILED', `as-of must be a day YYYY-MM-DD, got ${asOf}`);
  const phaseMs: RecomputeResult['phaseMs'] = {};
  const traitsMs: Record<string, number> = {};
  let mark = Date.now();
  const phase = (p: RecomputePhase, detail?: string) => {
    o.onPhase?.(p, detail);
  };
  const done = (p: RecomputePhase) => {
    phaseMs[p] = Date.now() - mark;
    mark = Date.now();
  };
  phase('settings');
  const settings = await loadProfileSettings(op, ws);
  const mergesCheckedAt = await latestUnmerge(op, ws);
  // Every event up to here is in the event store and the identity graph, so in this run.
  const seq = Math.min(await eventStoreCursor(es), await getCursor(op, PROJECTOR));
  done('settings');
  phase('identities');
  const identities = await refreshMirrorFull(op, es, ws, (n) => phase('identities', `${n}`));
  done('identities');
  let churn = o.retrainChurn ? null : await getChurnModel(es, ws, asOf);
  // The indexes of the tables rewritten below go first, in a transaction of their own (profiles/indexes.ts).
  await es.write((c) => dropAllTraitsIndexes(c));
  // Fold states cover the events up to `seq` (facts.ts FactsQuery.foldUpTo).
  const q = { ws, asOf, scope: null, settings, foldUpTo: seq };
  // One transaction, one snapshot: the lifecycle history, the churn training and the facts see the same events.
  const counts = await es.write(async (c) => {
    phase('social actions');
    await rebuildSocialActions(c, ws);
    done('social actions');
    // The buyers' purchase days at the as-of day: the lifecycle history, and the churn holdout's labels.
    phase('lifecycle');
    const days = await purchaseDays(c, q);
    const history = historiesFromDays(days, q);
    done('lifecycle');
    phase('churn model');
    if (!churn) {
      const read: Read = (sql, params) => readRows(c, sql, params);
      const trained = await trainChurnModel(read, ws, asOf, settings, days);
      await putChurnModel(c, ws, asOf, trained.model, trained.metrics);
      churn = { asOf, trainedAt: new Date().toISOString(), ...trained };
    }
    const model = churn;
    done('churn model');
    phase('traits');
    let tm = Date.now();
    const mark = (p: string) => {
      traitsMs[p] = Date.now() - tm;
      tm = Date.now();
    };
    await writeTraits(c, q, history, model.model, { mark });
    const r = await c.runAndReadAll('select count(*)::integer as n, count(*) filter (where orders > 0)::integer as b from computed_traits where workspace_id = $1', [ws]);
    const row = r.getRowObjectsJS()[0] as { n: number; b: number };
    await putRun(c, { workspaceId: ws, asOf, live, settings, computedAt: new Date().toISOString(), profiles: row.n, ms: Date.now() - t0, mergesCheckedAt, seq });
    done('traits');
    phase('commit');
    return { ...row, metrics: model.metrics };
  });
  // The transaction's commit (with DuckDB's checkpoint when the WAL has grown past its threshold),
  // then the indexes of the rewritten tables, built in a transaction of their own (profiles/indexes.ts).
  done('commit');
  phase('indexes');
  await es.write((c) => createTraitsIndexes(c));
  done('indexes');
  phase('done');
  return { workspace: ws, asOf, live, profiles: counts.n, buyers: counts.b, identities, ms: Date.now() - t0, phaseMs, traitsMs, churn: counts.metrics };
}

/**
 * Recomputes the traits of some profiles on the caller's write transaction, with the settings and
 * churn model of the workspace's last full run (the identity mirror must already be current).
 */
export async function recomputeProfiles(
  c: DuckDBConnection, ws: string, profiles: string[], asOf: string, settings: ProfileSettings, model: ChurnModel | null,
  o: WriteTraitsOptions & { mirror?: MirrorRow[]; foldUpTo?: number } = {},
): Promise<void> {
  if (!profiles.length) return;
  // The scope's ids: from the mirror rows the caller just wrote, else read from the mirror.
  const scope = o.mirror ? scopeFromRows(profiles, o.mirror) : await scopeOf(c, ws, profiles);
  o.mark?.('scope');
  // The scope's lifecycle history comes with its facts (computed in JS: profiles/facts-scope.ts).
  // Fold states up to the pass's range (or the caller's bound): events past it may have ids not yet projected.
  await writeTraits(c, { ws, asOf, scope, settings, foldUpTo: o.foldUpTo ?? o.fold?.upTo ?? null }, null, model, o);
}
