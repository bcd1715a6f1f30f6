import path from 'node:path';
import type { OpStore } from '../platform/opstore/index.ts';
import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import {
  NotEnoughData, recommendStore, runTraining, trainInWorker, type TrainingResult, type TrainingSettings, type TrainProgress, type WorkerJob,
} from '../modules/recommend/index.ts';
import { readTrainingInput } from './recommend-data.ts';

/** Where a workspace's model versions live: `<dataDir>/models/<workspace>/`. */
export function modelRoot(dataDir: string, ws: string): string {
  return path.join(dataDir, 'models', ws.replace(/[^A-Za-z0-9_.-]/g, '_'));
}

export interface TrainWorkspaceOptions {
  /** Components to train (default: the workspace's settings). */
  models?: TrainingSettings['models'];
  /** Threads for EASE's solver: 1 in the server (one core stays free), up to 2 from the CLI. */
  threads: number;
  /** Train in a worker thread (the server) or on the calling thread (the CLI). */
  worker: boolean;
  seed?: number;
  onProgress?: (p: TrainProgress) => void;
  /** Awaited between slices of reading (so a shared event loop keeps serving). */
  pause?: () => Promise<void>;
  /** Stops the training (the server shutting down). */
  signal?: AbortSignal;
}

export type TrainOutcome =
  | { outcome: 'trained'; result: TrainingResult; readSeconds: number }
  | { outcome: 'skipped'; reason: string; eventSeq: number };

/**
 * Trains a workspace's models from the stores and writes a new snapshot version (which serving
 * picks up from `CURRENT`). Reading happens on the calling thread (the stores are async); the
 * fitting in a worker thread when `worker` is set. Not enough data is an outcome, not an error.
 */
export async function trainWorkspace(stores: { op: OpStore; es: EventStoreDb; dataDir: string }, ws: string, o: TrainWorkspaceOptions): Promise<TrainOutcome> {
  const { settings } = await recommendStore.readSettings(stores.op, ws);
  const training = { ...settings.training, ...(o.models ? { models: o.models } : {}) };
  const t0 = performance.now();
  o.onProgress?.({ phase: 'fit', message: 'reading interactions, the social graph, baskets and the catalog' });
  const pause = async () => {
    if (o.signal?.aborted) throw new Error('training aborted');
    await o.pause?.();
  };
  const input = await readTrainingInput(stores, ws, training, pause);
  const readSeconds = (performance.now() - t0) / 1000;
  o.onProgress?.({ phase: 'fit', message: `read ${input.userKeys.length} users, ${input.itemIds.length} items, ${input.interactions.user.length} interactions, ${input.edges.from.length} ties, ${input.baskets.ptr.length - 1} baskets in ${readSeconds.toFixed(1)} s` });
  const job: WorkerJob = { input, settings: training, threads: o.threads, seed: o.seed ?? 42, root: modelRoot(stores.dataDir, ws) };
  try {
    const result = o.worker ? await trainInWorker(job, o.onProgress, o.signal) : await runTraining(job, o.onProgress ?? (() => undefined));
    return { outcome: 'trained', result, readSeconds };
  } catch (e) {
    if (e instanceof NotEnoughData) return { outcome: 'skipped', reason: e.message, eventSeq: input.eventSeq };
    throw e;
  }
}
