import { parentPort, workerData } from 'node:worker_threads';
import { workerLoop } from './pool.ts';

// A solver worker thread: runs phases of the dense inverse until told to stop.
workerLoop(workerData, () => parentPort!.postMessage('ready'));
