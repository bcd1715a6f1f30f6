import { tsWorker } from '../../../platform/threads/index.ts';
import type { TrainingInput } from './input.ts';
import type { TrainingSettings } from './settings.ts';
import { saveSnapshot, type SnapshotMeta } from './snapshot.ts';
import { NotEnoughData, trainSnapshot, type TrainProgress } from './train.ts';

export interface WorkerJob {
  input: TrainingInput;
  settings: TrainingSettings;
  threads: number;
  seed: number;
  /** Where versions are written (`<dataDir>/models/<workspace>`). */
  root: string;
}

export interface TrainingResult {
  version: string;
  dir: string;
  meta: SnapshotMeta;
}

/** Trains and saves a snapshot (in whichever thread calls it). */
export async function runTraining(job: WorkerJob, onProgress: (p: TrainProgress) => void): Promise<TrainingResult> {
  const snap = await trainSnapshot(job.input, { settings: job.settings, threads: job.threads, seed: job.seed, onProgress });
  const dir = saveSnapshot(job.root, snap);
  return { version: snap.meta.version, dir, meta: { ...snap.meta } };
}

/**
 * Trains in a worker thread, so the server's event loop (ingest, serving) never waits for a
 * model fit: the thread gets the input (copied), writes the snapshot to disk and answers with its
 * version; the caller then loads it. The input's typed arrays are transferred, not copied.
 * Aborting `signal` terminates the thread (nothing is written: a snapshot only appears whole). Rejects with NotEnoughData when the worker found too little.
 */
export function trainInWorker(job: WorkerJob, onProgress: (p: TrainProgress) => void = () => undefined, signal?: AbortSignal): Promise<TrainingResult> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('training aborted'));
    // the input's typed arrays move to the worker (the caller must not use them afterwards)
    const { interactions: i, edges: e, baskets: b, items } = job.input;
    const transferList = [i.user, i.item, i.kind, i.count, i.ts, e.from, e.to, e.type, e.count, e.ts, b.ptr, b.items, items.price, items.firstSeen].map((a) => a.buffer as ArrayBuffer);
    const worker = tsWorker(new URL('./train-worker.ts', import.meta.url), { workerData: job, transferList });
    let settled = false;
    signal?.addEventListener('abort', () => {
      if (settled) return;
      settled = true;
      reject(new Error('training aborted'));
      void worker.terminate();
    }, { once: true });
    worker.on('message', (m: { type: string; progress?: TrainProgress; result?: TrainingResult; message?: string; notEnoughData?: boolean }) => {
      if (m.type === 'progress') onProgress(m.progress!);
      else if (m.type === 'done') {
        settled = true;
        resolve(m.result!);
        void worker.terminate();
      } else if (m.type === 'error') {
        settled = true;
        reject(m.notEnoughData ? Object.assign(new NotEnoughData({ activeUsers: 0, interactions: 0, items: 0 }, { minUsers: 0, minInteractions: 0 }), { message: m.message }) : new Error(m.message));
        void worker.terminate();
      }
    });
    worker.on('error', (e) => {
      if (!settled) reject(e);
      settled = true;
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`training worker exited (${code}) before finishing`));
      settled = true;
    });
  });
}
