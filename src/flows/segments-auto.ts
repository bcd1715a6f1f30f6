import type { OpStore, SqlRunner } from '../platform/opstore/index.ts';
import type { ClusterModelParams } from '../modules/segments/index.ts';
import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import { appError } from '../platform/errors.ts';
import { buyerTraitColumns } from '../modules/profiles/index.ts';
import { DEFAULT_FEATURES, deleteModel, featureDef, fitAutoSegmentsOffThread, getModel, newModelId, putModel, NotEnoughData, type AutoSegmentModel } from '../modules/clusters/index.ts';
import { listSegments, referencedClusterModels } from '../modules/segments/index.ts';

/**
 * Auto-segments across modules: read the buyers' computed traits (profiles), fit k-means with k
 * chosen by silhouette (clusters), store the model (operational store). docs/segments.md.
 * The fit runs on a worker thread above 5,000 buyers (else on the calling thread, yielding after each k).
 */
export interface AutoSegmentRequest {
  k?: number;
  features?: string[];
  seed?: number;
}

export const AUTO_FIT_SAMPLE = 20_000;
export const AUTO_SILHOUETTE_SAMPLE = 5_000;

export async function createAutoSegments(op: OpStore, es: EventStoreDb, ws: string, req: AutoSegmentRequest): Promise<AutoSegmentModel> {
  const features = req.features?.length ? req.features : DEFAULT_FEATURES;
  const defs = features.map(featureDef);
  const data = await buyerTraitColumns(es, ws, defs.map((f) => f.column));
  const columns = Object.fromEntries(defs.map((f) => [f.name, data.columns[f.column]!]));
  let model;
  try {
    model = await fitAutoSegmentsOffThread({ n: data.profileIds.length, columns }, features, {
      k: req.k, seed: req.seed, fitSample: AUTO_FIT_SAMPLE, silhouetteSample: AUTO_SILHOUETTE_SAMPLE, nInit: 3,
    });
  } catch (e) {
    if (e instanceof NotEnoughData) throw appError('NOT_ENOUGH_DATA', `cannot cluster the buyers: ${e.message}`, [{ path: req.k ? 'body.k' : 'body.features', message: e.message }]);
    throw e;
  }
  return putModel(op, ws, newModelId(), data.asOf, model);
}

/** A stored model as a cluster condition needs it (src/modules/segments/cluster.ts), or null. */
export async function clusterModelParams(op: SqlRunner, ws: string, id: string): Promise<ClusterModelParams | null> {
  const m = await getModel(op, ws, id);
  return m ? { features: m.features, centers: m.clusters.map((c) => c.center) } : null;
}

/** Deletes an auto-segment model; refused (409) while a saved segment's rule has one of its clusters. */
export async function removeAutoSegments(op: SqlRunner, ws: string, id: string): Promise<void> {
  const users = (await listSegments(op, ws)).filter((s) => referencedClusterModels(s.rule).includes(id));
  if (users.length) {
    throw appError('CONFLICT', `auto-segment model ${id} is used by saved segment ${users.map((s) => `"${s.name}" (${s.id})`).join(', ')}: delete those segments or change their rules first`,
      users.map((s) => ({ path: 'params.id', message: `used by segment ${s.id} (${s.name})`, segment: { id: s.id, name: s.name } })));
  }
  if (!(await deleteModel(op, ws, id))) throw appError('NOT_FOUND', `no auto-segment model ${id}`);
}
