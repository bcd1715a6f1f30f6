import { parentPort, workerData } from 'node:worker_threads';
import { workerLoop } from './pool.ts';
import { TASK_KINDS } from './task-kinds.ts';

// A pool worker thread: runs phases of its task kind (the dense inverse, ALS, ...) until told to stop.
const kind = TASK_KINDS[workerData.kind as keyof typeof TASK_KINDS];
if (!kind) throw new Error(`unknown task kind ${String(workerData.kind)}`);
workerLoop(kind as never, workerData.data, workerData.ctrl, () => parentPort!.postMessage('ready'));
