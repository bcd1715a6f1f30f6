import { parentPort, workerData } from 'node:worker_threads';
import { centralityOf, type GraphLinks } from './centrality.ts';

// A centrality worker thread (centrality.ts, centralityOffThread): PageRank of one graph, answered once.
const port = parentPort!;
try {
  const rows = centralityOf(workerData as GraphLinks);
  port.postMessage({ rows }, [rows.centrality.buffer as ArrayBuffer, rows.percentile.buffer as ArrayBuffer]);
} catch (e) {
  port.postMessage({ error: (e as Error).message });
}
