import { parentPort, workerData } from 'node:worker_threads';
import { runTraining, type WorkerJob } from './worker-job.ts';

// A training worker thread: trains one snapshot, writes it, reports progress and the result.
const port = parentPort!;
runTraining(workerData as WorkerJob, (p) => port.postMessage({ type: 'progress', progress: p })).then(
  (r) => port.postMessage({ type: 'done', result: r }),
  (e: unknown) => port.postMessage({ type: 'error', message: (e as Error).message, notEnoughData: (e as { found?: unknown }).found !== undefined }),
);
