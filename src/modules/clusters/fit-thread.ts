import { tsWorker } from '../../platform/threads/index.ts';
import { fitAutoSegmentsAsync, NotEnoughData, type FeatureColumns, type FitOptions, type FittedModel } from './fit.ts';

/** Up to this many points the fit runs on the calling thread (yielding after each k); above, on a worker. */
export const FIT_IN_THREAD_MAX = 5_000;

/**
 * The auto-segment fit off the caller's event loop: on a worker thread for more than
 * FIT_IN_THREAD_MAX points (the columns' buffers are transferred: the caller must not use `data`
 * afterwards), else fitAutoSegmentsAsync. Same model either way (the fit is deterministic for a seed).
 * Rejects with NotEnoughData as the fit does.
 */
export function fitAutoSegmentsOffThread(data: FeatureColumns, features: readonly string[], options: FitOptions = {}, o: { worker?: boolean } = {}): Promise<FittedModel> {
  if (!(o.worker ?? data.n > FIT_IN_THREAD_MAX)) return fitAutoSegmentsAsync(data, features, options);
  return new Promise((resolve, reject) => {
    const transferList = Object.values(data.columns).map((c) => c.buffer as ArrayBuffer);
    const worker = tsWorker(new URL('./fit-worker.ts', import.meta.url), { workerData: { data, features: [...features], options }, transferList });
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
      void worker.terminate();
    };
    worker.on('message', (m: { model?: FittedModel; error?: string; notEnoughData?: boolean }) =>
      settle(() => (m.model ? resolve(m.model) : reject(m.notEnoughData ? new NotEnoughData(m.error) : new Error(m.error)))));
    worker.on('error', (e) => settle(() => reject(e)));
    worker.on('exit', (code) => settle(() => reject(new Error(`auto-segment worker exited (${code}) before answering`))));
  });
}
