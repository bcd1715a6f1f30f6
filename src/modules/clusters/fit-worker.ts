import { parentPort, workerData } from 'node:worker_threads';
import { fitAutoSegments, NotEnoughData, type FeatureColumns, type FitOptions } from './fit.ts';

// An auto-segment fit on a worker thread (fit-thread.ts): one fit, answered once.
const port = parentPort!;
const job = workerData as { data: FeatureColumns; features: string[]; options: FitOptions };
try {
  port.postMessage({ model: fitAutoSegments(job.data, job.features, job.options) });
} catch (e) {
  port.postMessage({ error: (e as Error).message, notEnoughData: e instanceof NotEnoughData });
}
