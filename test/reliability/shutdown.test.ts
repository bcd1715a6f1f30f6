import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpDir } from '../helpers/engine.ts';
import { startServerProcess, postCollect, waitForExport } from '../helpers/server-process.ts';

// Graceful shutdown: SIGTERM in the middle of a stream of batches. The server stops taking new
// batches (503 with Retry-After or a refused connection, never a 2xx for an unsaved event),
// finishes the in-flight ones, exits 0, and after a restart every acknowledged event is there.
test('SIGTERM finishes in-flight batches and loses no acknowledged event', async () => {
  const dataDir = tmpDir('liebian-shutdown-');
  const server = await startServerProcess({ dataDir });
  const acked = new Set<string>();
  const statuses = new Map<number, number>();
  let stop = false;
  let batchNo = 0;
  const client = async (c: number) => {
    while (!stop) {
      const n = batchNo++;
      const batch = Array.from({ length: 100 }, (_, i) => ({ type: 'track', event: 'Product Viewed', userId: `sd-${c}-${i % 7}`, messageId: `sd-${n}-${i}`, properties: { product_id: `p${i}` } }));
      try {
        const r = await postCollect(server.url, '/v1/batch', { batch });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 200) for (const e of batch) acked.add(e.messageId);
        else if (r.status === 503) assert.ok(r.headers.get('retry-after'), '503 carries Retry-After');
        await r.arrayBuffer().catch(() => undefined);
      } catch {
        statuses.set(0, (statuses.get(0) ?? 0) + 1);
        await new Promise((res) => setTimeout(res, 20));
      }
    }
  };
  const clients = Array.from({ length: 6 }, (_, c) => client(c));
  await new Promise((r) => setTimeout(r, 1500));
  server.proc.kill('SIGTERM');
  const exit = await server.exited;
  stop = true;
  await Promise.all(clients);
  assert.equal(exit.code, 0, `graceful exit; output:\n${server.output().slice(-2000)}`);
  for (const s of statuses.keys()) assert.ok([0, 200, 503].includes(s), `unexpected status ${s}: ${[...statuses]}`);
  assert.ok(acked.size > 0, 'some batches were acknowledged before the stop');

  const again = await startServerProcess({ dataDir });
  try {
    const events = await waitForExport(again.url, { expected: acked.size, timeoutMs: 120_000 });
    const stored = new Set(events.map((e) => e.messageId));
    assert.equal(stored.size, events.length, 'no event stored twice');
    const missing = [...acked].filter((m) => !stored.has(m));
    assert.deepEqual(missing.slice(0, 5), [], `${missing.length} acknowledged events missing`);
  } finally {
    await again.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
