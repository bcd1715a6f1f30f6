import { Worker, type WorkerOptions } from 'node:worker_threads';

/** A worker thread running the TypeScript module `module` (a file URL), through the shared tsx boot. */
export function tsWorker(module: URL, options: Omit<WorkerOptions, 'argv'> = {}): Worker {
  return new Worker(new URL('./boot.mjs', import.meta.url), { ...options, argv: [module.href] });
}

/**
 * Runs a TypeScript worker that answers with one message, then terminates it: resolves with that
 * message; rejects on the worker's error or when it exits before answering.
 */
export function workerAnswer<M>(module: URL, options: Omit<WorkerOptions, 'argv'> = {}): Promise<M> {
  return new Promise((resolve, reject) => {
    const worker = tsWorker(module, options);
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
      void worker.terminate();
    };
    worker.on('message', (m: M) => settle(() => resolve(m)));
    worker.on('error', (e) => settle(() => reject(e)));
    worker.on('exit', (code) => settle(() => reject(new Error(`worker ${module.pathname.split('/').pop()} exited (${code}) before answering`))));
  });
}
