import crypto from 'node:crypto';
import { z } from 'zod';
import type { SqlRunner } from '../../platform/opstore/index.ts';
import type { FittedModel } from './fit.ts';

/** Fitted auto-segment models in the operational store (`auto_segment_models`). */

export interface AutoSegmentModel extends FittedModel {
  id: string;
  createdAt: string;
  /** The computed traits' as-of day the model was fitted on. */
  asOf: string | null;
}

const Scaling = z.object({ name: z.string(), column: z.string(), transform: z.enum(['log1p', 'none']), mean: z.number(), sd: z.number().positive() });
const Trait = z.object({ feature: z.string(), z: z.number(), level: z.enum(['high', 'low']), zh: z.string(), en: z.string() });
/** The stored JSON, re-validated when read (it feeds SQL through the cluster condition). */
const StoredModel = z.object({
  profiles: z.number().int(),
  features: z.array(Scaling).min(1),
  dropped: z.array(z.string()),
  silhouettes: z.array(z.object({ k: z.number().int(), silhouette: z.number(), inertia: z.number() })),
  chosenK: z.number().int().min(1),
  fitSample: z.number().int(),
  silhouetteSample: z.number().int(),
  seed: z.number(),
  clusters: z.array(z.object({
    index: z.number().int(), size: z.number(), share: z.number(),
    centroid: z.record(z.string(), z.number().nullable()),
    center: z.array(z.number()),
    zScores: z.record(z.string(), z.number()),
    description: z.object({ zh: z.string(), en: z.string(), traits: z.array(Trait) }),
  })).min(1),
});

export function newModelId(): string {
  return 'km_' + crypto.randomBytes(9).toString('base64url');
}

export async function putModel(q: SqlRunner, ws: string, id: string, asOf: string | null, model: FittedModel): Promise<AutoSegmentModel> {
  const r = await q.query<{ created_at: Date }>(
    'insert into auto_segment_models (id, workspace_id, as_of, model) values ($1, $2, $3, $4) returning created_at',
    [id, ws, asOf, JSON.stringify(model)],
  );
  return { id, createdAt: r.rows[0]!.created_at.toISOString(), asOf, ...model };
}

/** A workspace's model by id, or null (also when it belongs to another workspace). */
export async function getModel(q: SqlRunner, ws: string, id: string): Promise<AutoSegmentModel | null> {
  const r = await q.query<{ id: string; created_at: Date; as_of: Date | string | null; model: unknown }>(
    'select id, created_at, as_of, model from auto_segment_models where workspace_id = $1 and id = $2', [ws, id]);
  const row = r.rows[0];
  if (!row) return null;
  const model = StoredModel.parse(typeof row.model === 'string' ? JSON.parse(row.model) : row.model) as FittedModel;
  return { id: row.id, createdAt: row.created_at.toISOString(), asOf: dayOf(row.as_of), ...model };
}

/** Deletes a workspace's model; false when there is none. */
export async function deleteModel(q: SqlRunner, ws: string, id: string): Promise<boolean> {
  const r = await q.query('delete from auto_segment_models where workspace_id = $1 and id = $2', [ws, id]);
  return r.rowCount > 0;
}

/** The workspace's models, newest first (id, when, chosen k, sizes and descriptions only). */
export async function listModels(q: SqlRunner, ws: string, limit = 50): Promise<Array<Pick<AutoSegmentModel, 'id' | 'createdAt' | 'asOf' | 'chosenK' | 'profiles'> & { clusters: Array<{ index: number; size: number; description: { zh: string; en: string } }> }>> {
  const r = await q.query<{ id: string; created_at: Date; as_of: Date | string | null; model: FittedModel }>(
    'select id, created_at, as_of, model from auto_segment_models where workspace_id = $1 order by created_at desc, id limit $2', [ws, limit]);
  return r.rows.map((row) => {
    const m = (typeof row.model === 'string' ? JSON.parse(row.model) : row.model) as FittedModel;
    return {
      id: row.id, createdAt: row.created_at.toISOString(), asOf: dayOf(row.as_of), chosenK: m.chosenK, profiles: m.profiles,
      clusters: m.clusters.map((c) => ({ index: c.index, size: c.size, description: { zh: c.description.zh, en: c.description.en } })),
    };
  });
}

function dayOf(v: Date | string | null): string | null {
  if (v === null) return null;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return String(v).slice(0, 10);
}
