import type { SqlRunner } from '../platform/opstore/index.ts';
import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import { appError } from '../platform/errors.ts';
import { centralityRefreshedAt, getRun, getTraitsCursor } from '../modules/profiles/index.ts';
import {
  allSegments, applyMembership, deleteSegment, dropMembership, getSegment, insertSegment, listSegments, markRefreshed,
  newSegmentId, referencedSegments, updateSegment, type RefreshCounts, type Segment,
} from '../modules/segments/index.ts';
import { compileForWorkspace, evaluationTime, prepareRule } from './segments-evaluate.ts';

/**
 * Saved segments: create / update / delete with validation (a bad rule is a 400 naming its path;
 * a cycle through references is refused), and the materialised membership, refreshed at once on
 * save, on a schedule, and as events arrive (docs/segments.md, "Membership refresh").
 */
export interface SegmentInput { name: string; description?: string; rule: unknown; refreshMinutes?: number; createdBy?: string | null }

const nameTaken = (e: unknown) => (e as { nameTaken?: boolean }).nameTaken === true;

/** Saves a new segment and computes its membership. */
export async function saveSegment(op: SqlRunner, es: EventStoreDb, ws: string, input: SegmentInput): Promise<Segment> {
  const id = newSegmentId();
  const { rule } = await prepareRule(op, ws, input.rule, { selfId: id });
  let seg: Segment;
  try {
    seg = await insertSegment(op, ws, { id, name: input.name, description: input.description ?? '', rule, refreshMinutes: input.refreshMinutes ?? 60, createdBy: input.createdBy ?? null });
  } catch (e) {
    if (nameTaken(e)) throw appError('CONFLICT', `a segment named ${JSON.stringify(input.name)} exists`, [{ path: 'body.name', message: 'already taken' }]);
    throw e;
  }
  await refreshSegment(op, es, ws, seg);
  return (await getSegment(op, ws, id))!;
}

/** Changes a segment; a new rule is validated (with cycle detection) and the membership refreshed. */
export async function changeSegment(op: SqlRunner, es: EventStoreDb, ws: string, id: string, patch: { name?: string; description?: string; rule?: unknown; refreshMinutes?: number }): Promise<Segment> {
  if (!(await getSegment(op, ws, id))) throw appError('NOT_FOUND', `no segment ${id}`);
  const rule = patch.rule === undefined ? undefined : (await prepareRule(op, ws, patch.rule, { selfId: id })).rule;
  let seg: Segment | null;
  try {
    seg = await updateSegment(op, ws, id, { name: patch.name, description: patch.description, rule, refreshMinutes: patch.refreshMinutes });
  } catch (e) {
    if (nameTaken(e)) throw appError('CONFLICT', `a segment named ${JSON.stringify(patch.name)} exists`, [{ path: 'body.name', message: 'already taken' }]);
    throw e;
  }
  if (!seg) throw appError('NOT_FOUND', `no segment ${id}`);
  if (rule) await refreshSegment(op, es, ws, seg);
  return (await getSegment(op, ws, id))!;
}

/** Deletes a segment and its membership; refused (409) while another segment's rule refers to it. */
export async function removeSegment(op: SqlRunner, es: EventStoreDb, ws: string, id: string): Promise<void> {
  const users = (await listSegments(op, ws)).filter((s) => s.id !== id && referencedSegments(s.rule).includes(id));
  if (users.length) throw appError('CONFLICT', `segment ${id} is used by ${users.map((s) => s.id).join(', ')}`, users.map((s) => ({ path: 'params.id', message: `used by segment ${s.id} (${s.name})` })));
  if (!(await deleteSegment(op, ws, id))) throw appError('NOT_FOUND', `no segment ${id}`);
  await es.write((c) => dropMembership(c, ws, id));
}

/**
 * Recomputes a segment's membership now: records entries and exits with the time, and the size.
 * A rule that no longer evaluates (a referenced segment changed beyond the limits) keeps the old
 * membership and stores the error in `lastError`.
 */
export async function refreshSegment(op: SqlRunner, es: EventStoreDb, ws: string, seg: Segment): Promise<RefreshCounts | null> {
  const t0 = performance.now();
  const seq = await getTraitsCursor(es);
  const at = new Date().toISOString();
  try {
    const { expanded } = await prepareRule(op, ws, seg.rule, { selfId: seg.id });
    const { now } = await evaluationTime(es, ws);
    const compiled = await compileForWorkspace(op, es, ws, expanded, now);
    const counts = await es.write((c) => applyMembership(c, ws, seg.id, compiled, at, performance.now() - t0));
    await markRefreshed(op, ws, seg.id, { at, seq, size: counts.size, error: null });
    return counts;
  } catch (e) {
    await markRefreshed(op, ws, seg.id, { at, seq, size: null, error: (e as Error).message.slice(0, 500) });
    return null;
  }
}

export interface SegmentsStepOptions {
  /** Refreshes after arriving events at most this often per segment (default 10 s). */
  minEventIntervalMs?: number;
  /** At most this share of the time in refreshes (default 1/4). */
  maxDutyCycle?: number;
  /** How often to look for due segments (default 1 s; 0 = every call). */
  checkEveryMs?: number;
}

const notBefore = new WeakMap<EventStoreDb, number>();

/**
 * One pass of the refresh loop (run after the traits loop in the background workers): refreshes
 * each segment that is due — never refreshed, its `refreshMinutes` passed, or the traits moved on
 * since its last refresh (an incremental pass covered new events, a full recompute ran, or the
 * centrality refresh rewrote the centrality / KOL columns) and
 * `minEventIntervalMs` passed. Returns the number of segments refreshed.
 */
export async function segmentsStep(op: SqlRunner, es: EventStoreDb, o: SegmentsStepOptions = {}): Promise<number> {
  if (Date.now() < (notBefore.get(es) ?? 0)) return 0;
  const t0 = Date.now();
  let n = 0;
  try {
    const segs = await allSegments(op);
    if (!segs.length) return 0;
    const cursor = await getTraitsCursor(es);
    // Per workspace: when its traits last changed outside the event stream (a full recompute, a centrality refresh).
    const changed = new Map<string, number>();
    for (const s of segs) {
      if (!changed.has(s.workspaceId)) {
        const computedAt = (await getRun(es, s.workspaceId))?.computedAt;
        changed.set(s.workspaceId, Math.max(computedAt ? Date.parse(computedAt) : 0, (await centralityRefreshedAt(es, s.workspaceId)) ?? 0));
      }
      const last = s.refreshedAt ? Date.parse(s.refreshedAt) : 0;
      const moved = (s.refreshedSeq ?? -1) < cursor || changed.get(s.workspaceId)! > last;
      const due = !s.refreshedAt || Date.now() - last >= s.refreshMinutes * 60_000 || (moved && Date.now() - last >= (o.minEventIntervalMs ?? 10_000));
      if (!due) continue;
      await refreshSegment(op, es, s.workspaceId, s);
      n++;
    }
    return n;
  } finally {
    const share = Math.min(1, Math.max(0.01, o.maxDutyCycle ?? 1 / 4));
    const spent = Date.now() - t0;
    notBefore.set(es, Date.now() + Math.max(o.checkEveryMs ?? 1000, spent * (1 / share - 1)));
  }
}
