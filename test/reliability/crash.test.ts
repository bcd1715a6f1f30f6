// Exactly-once across `kill -9`: a retrying client streams batches at a real `liebian start`
// process, the server is SIGKILLed mid-stream (requests in flight, the background pump running),
// restarted on the same data dir, and the client retries what was not acknowledged. Every
// acknowledged event must survive, and the final store must hold each messageId exactly once.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpDir, freePort } from '../helpers/engine.ts';
import { startServerProcess, postCollect, waitForExport, type ServerProcess } from '../helpers/server-process.ts';

const BATCHES = 300;
const PER_BATCH = 100;
const CONCURRENCY = 6;
const KILL_AFTER_ACKS = 110;
const KILL_DELAY_MS = Number(process.env.CRASH_KILL_DELAY_MS ?? 20);

const dataDir = tmpDir('liebian-crash-');
const servers: ServerProcess[] = [];
after(async () => {
  for (const s of servers) await s.kill9();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const mid = (b: number, i: number) => `crash-${b}-${i}`;
const TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
function batchBody(b: number) {
  return {
    sentAt: new Date().toISOString(),
    batch: Array.from({ length: PER_BATCH }, (_, i) => {
      const type = TYPES[(b + i) % TYPES.length]!;
      const base = { type, messageId: mid(b, i), userId: `cu-${b}-${i % 10}`, timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, b, i)).toISOString() };
      if (type === 'track') return { ...base, event: 'Order Completed', properties: { order_id: `o-${b}-${i}`, total: i, products: [{ product_id: `sku-${i % 7}`, price: 9.5, quantity: 1 }] } };
      if (type === 'identify') return { ...base, traits: { email: `c${b}-${i}@example.com` } };
      if (type === 'page' || type === 'screen') return { ...base, name: `Screen ${i}`, properties: { path: `/x/${i}` } };
      if (type === 'group') return { ...base, groupId: `g-${b}` };
      return { ...base, previousId: `anon-${b}-${i}` };
    }),
  };
}

const countIds = (events: Array<{ messageId: string }>) => {
  const m = new Map<string, number>();
  for (const e of events) m.set(e.messageId, (m.get(e.messageId) ?? 0) + 1);
  return m;
};

test('acknowledged batches survive SIGKILL; retries after restart store every event exactly once', async () => {
  const port = await freePort();
  const s1 = await startServerProcess({ dataDir, port });
  servers.push(s1);

  // Phase 1: stream until the server is killed, shortly after the K-th ack, so that the other
  // workers' requests are in flight (being parsed, committed, or awaiting their reply). Every 2xx
  // the client saw, even one read after the kill, is a promise of durability.
  const acked = new Set<number>();
  const ackedBeforeKill = new Set<number>();
  const failed = new Set<number>();
  let next = 0;
  let killed = false;
  let inFlight = 0;
  let inFlightAtKill = -1;
  let killDone: Promise<void> | null = null;
  const worker = async () => {
    while (!killed && next < BATCHES) {
      const b = next++;
      inFlight++;
      try {
        const r = await postCollect(s1.url, '/v1/batch', batchBody(b), { signal: AbortSignal.timeout(30_000) });
        await r.arrayBuffer();
        if (r.status >= 200 && r.status < 300) {
          acked.add(b);
          ackedBeforeKill.add(b);
        } else {
          assert.ok(r.status >= 500 || r.status === 429, `batch ${b}: unexpected ${r.status}`);
          failed.add(b);
        }
      } catch {
        failed.add(b);
      } finally {
        inFlight--;
      }
      if (!killDone && acked.size >= KILL_AFTER_ACKS) {
        // A few ms later, so that the next group commit is likely under way when the process dies.
        killDone = new Promise<void>((resolve) => setTimeout(() => {
          killed = true;
          inFlightAtKill = inFlight;
          s1.proc.kill('SIGKILL');
          void s1.exited.then(() => resolve());
        }, KILL_DELAY_MS));
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await killDone;
  assert.ok(killed, 'the server was killed mid-stream');
  assert.equal((await s1.exited).signal, 'SIGKILL');
  assert.ok(inFlightAtKill >= 1, `requests were in flight at the kill (${inFlightAtKill})`);
  assert.ok(ackedBeforeKill.size >= KILL_AFTER_ACKS && ackedBeforeKill.size < BATCHES);

  // Restart on the same data dir (and port): recovery must keep every acknowledged event.
  const s2 = await startServerProcess({ dataDir, port });
  servers.push(s2);
  const afterRestart = countIds(await waitForExport(s2.url, { stableMs: 2000, timeoutMs: 120_000 }));
  const lost: string[] = [];
  for (const b of ackedBeforeKill) for (let i = 0; i < PER_BATCH; i++) if (!afterRestart.has(mid(b, i))) lost.push(mid(b, i));
  assert.deepEqual(lost.slice(0, 10), [], `${lost.length} acknowledged events were lost in the crash`);
  assert.deepEqual([...afterRestart].filter(([, n]) => n > 1).slice(0, 10), [], 'no event is stored twice after recovery');
  // A batch is one transaction: after the crash each unacknowledged batch is stored whole or not at all.
  for (let b = 0; b < BATCHES; b++) {
    let n = 0;
    for (let i = 0; i < PER_BATCH; i++) if (afterRestart.has(mid(b, i))) n++;
    assert.ok(n === 0 || n === PER_BATCH, `batch ${b} is partially stored (${n}/${PER_BATCH})`);
  }

  // Phase 2: the client retries every batch without a 2xx, and resends some acknowledged ones.
  const resend = [...ackedBeforeKill].slice(0, 15);
  const todo = [...Array(BATCHES).keys()].filter((b) => !acked.has(b)).concat(resend);
  assert.ok(todo.length > resend.length, 'some batches were left unacknowledged by the crash');
  const sendUntilAcked = async (b: number) => {
    for (let attempt = 0; attempt < 40; attempt++) {
      try {
        const r = await postCollect(s2.url, '/v1/batch', batchBody(b), { signal: AbortSignal.timeout(30_000) });
        const text = await r.text();
        if (r.status >= 200 && r.status < 300) return void acked.add(b);
        assert.ok(r.status >= 500 || r.status === 429, `batch ${b}: unexpected ${r.status} ${text}`);
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
      }
      await new Promise((r) => setTimeout(r, 100 * Math.min(attempt + 1, 10)));
    }
    throw new Error(`batch ${b} was never acknowledged`);
  };
  let k = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (k < todo.length) await sendUntilAcked(todo[k++]!);
  }));
  assert.equal(acked.size, BATCHES);

  // The background pump copies the outbox into the event store; wait until it has settled.
  const final = await waitForExport(s2.url, { expected: BATCHES * PER_BATCH, stableMs: 2000, timeoutMs: 120_000 });
  const counts = countIds(final);
  assert.deepEqual([...counts].filter(([, n]) => n > 1).slice(0, 10), [], 'each messageId is stored once');
  const missing: string[] = [];
  for (let b = 0; b < BATCHES; b++) for (let i = 0; i < PER_BATCH; i++) if (!counts.has(mid(b, i))) missing.push(mid(b, i));
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged events are missing`);
  assert.equal(final.length, BATCHES * PER_BATCH);
  assert.equal(counts.size, BATCHES * PER_BATCH);
  const sample = final.find((e) => e.messageId === mid(0, 0))!;
  assert.equal(sample.type, 'track');
  assert.equal((sample.properties as { order_id: string }).order_id, 'o-0-0');

  // The server is healthy and stops cleanly afterwards.
  const h = await fetch(`${s2.url}/readyz`);
  assert.equal(h.status, 200);
  await s2.stop();
  assert.equal((await s2.exited).code, 0, s2.output());
  console.log(`# killed with ${ackedBeforeKill.size}/${BATCHES} batches acknowledged and ${inFlightAtKill} in flight; ${afterRestart.size} events stored at restart; retried ${todo.length - resend.length} + resent ${resend.length}`);
});
