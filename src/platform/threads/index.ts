import { Worker, type WorkerOptions } from 'node:worker_threads';

/** A worker thread running the TypeScript module `module` (a file URL), through the shared tsx boot. */
export function tsWorker(module: URL, options: Omit<WorkerOptions, 'argv'> = {}): Worker {
  return new Worker(new URL('./boot.mjs', import.meta.url), { ...options, argv: [module.href] });
}
