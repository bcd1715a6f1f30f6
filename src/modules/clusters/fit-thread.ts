import { workerAnswer } from '../../platform/threads/index.ts';
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
  const transferList = Object.values(data.columns).map((c) => c.buffer as ArrayBuffer);
  return workerAnswer<{ model?: FittedModel; error?: string; notEnoughData?: boolean }>(
    new URL('./fit-worker.ts', import.meta.url), { workerData: { data, features: [...features], options }, transferList },
  ).then((m) => {
    if (!m.model) throw m.notEnoughData ? new NotEnoughData(m.error) : new Error(m.error);
    return m.model;
  });
}
