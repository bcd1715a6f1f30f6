import { Pool } from 'undici';
import { performance } from 'node:perf_hooks';

export interface LoadResult {
  /** Seconds of the measured window. */
  seconds: number;
  /** Requests answered 2xx inside the window, and their events. */
  okRequests: number;
  events: number;
  eventsPerSecond: number;
  /** Non-2xx answers or transport errors, inside the window and over the whole run (warm-up included). */
  failedInWindow: number;
  failedTotal: number;
  statusCounts: Record<string, number>;
  /** Request latency (ms) of the requests completed inside the window. */
  latencies: Float64Array;
  firstError?: string;
}

/**
 * Closed-loop load: `connections` clients, each sending its next request as soon as the previous
 * one is answered. Nothing is counted during the warm-up; after it, requests completing within
 * `seconds` are measured. Returns once every in-flight request has been answered.
 */
export async function runLoad(opts: {
  origin: string;
  path: string;
  headers: Record<string, string>;
  connections: number;
  warmupSeconds: number;
  seconds: number;
  eventsPerRequest: number;
  body: (k: number) => string;
  nextK: () => number;
}): Promise<LoadResult> {
  const pool = new Pool(opts.origin, { connections: opts.connections, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 120_000, bodyTimeout: 120_000 });
  const t0 = performance.now();
  const from = t0 + opts.warmupSeconds * 1000;
  const to = from + opts.seconds * 1000;
  let lat = new Float64Array(1 << 14);
  let nLat = 0;
  let okRequests = 0;
  let failedInWindow = 0;
  let failedTotal = 0;
  let firstError: string | undefined;
  const statusCounts: Record<string, number> = {};
  const worker = async () => {
    while (performance.now() < to) {
      const body = opts.body(opts.nextK());
      const start = performance.now();
      let status = 0;
      try {
        const r = await pool.request({ path: opts.path, method: 'POST', headers: opts.headers, body });
        status = r.statusCode;
        const text = await r.body.text();
        if ((status < 200 || status > 299) && !firstError) firstError = `${status} ${text.slice(0, 300)}`;
      } catch (e) {
        if (!firstError) firstError = (e as Error).message;
      }
      const end = performance.now();
      const key = status ? String(status) : 'error';
      statusCounts[key] = (statusCounts[key] ?? 0) + 1;
      const ok = status >= 200 && status <= 299;
      if (!ok) failedTotal++;
      if (end >= from && end <= to) {
        if (ok) {
          okRequests++;
          if (nLat === lat.length) {
            const bigger = new Float64Array(lat.length * 2);
            bigger.set(lat);
            lat = bigger;
          }
          lat[nLat++] = end - start;
        } else failedInWindow++;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.connections }, worker));
  await pool.close();
  return {
    seconds: opts.seconds,
    okRequests,
    events: okRequests * opts.eventsPerRequest,
    eventsPerSecond: (okRequests * opts.eventsPerRequest) / opts.seconds,
    failedInWindow,
    failedTotal,
    statusCounts,
    latencies: lat.subarray(0, nLat),
    firstError,
  };
}
