// The background consumers share the process with acknowledgements: while requests keep arriving
// they take small steps in turn and rest (src/flows/background.ts), yet someone waiting for them
// (waitIdle: the CLI, tests) is not kept waiting by those rests, and idle loops hold no garbage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outboxBacklog } from '../../src/modules/ingest/index.ts';
import { EVENT_STORE_CONSUMER } from '../../src/flows/pump-events.ts';
import { startTestApp } from '../helpers/engine.ts';
import { track } from '../helpers/op-events.ts';

const batch = (tag: string, n: number) => Array.from({ length: n }, (_, i) => track('Viewed', { userId: `u${i % 50}`, messageId: `${tag}-${i}` }));

test('consumers: polite while writes keep coming, prompt for waitIdle, no pile-up of timers', async () => {
  const t = await startTestApp({ background: true });
  let stop = false;
  let trickle: Promise<void> = Promise.resolve();
  try {
    const { engine } = t;
    // A steady trickle keeps the writer busy (a write within the last 500 ms).
    let k = 0;
    trickle = (async () => {
      while (!stop) {
        await engine.writer.write('default', batch(`t${k++}`, 5));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await engine.writer.write('default', batch('bulk', 6000));
    assert.ok(engine.writer.busy);
    // Polite: 2 s later the event store is still well behind (small steps, then rests of 19x a step).
    await new Promise((r) => setTimeout(r, 2000));
    const behind = await outboxBacklog(engine.op, EVENT_STORE_CONSUMER);
    assert.ok(behind > 1000, `the consumers ran flat out while writes kept coming (${behind} behind)`);
    // Once the stream stops, someone waiting for them is not kept waiting by the rests (poke ends them).
    stop = true;
    await trickle;
    const t0 = Date.now();
    assert.ok(await engine.workers.waitIdle(60_000), 'waitIdle timed out');
    const waited = Date.now() - t0;
    assert.equal(await outboxBacklog(engine.op, EVENT_STORE_CONSUMER), 0);
    // Idle for a while: the wake-up list holds at most one entry per loop (none left behind by timeouts).
    await new Promise((r) => setTimeout(r, 1500));
    const { wake, loops } = engine.workers as unknown as { wake: unknown[]; loops: unknown[] };
    assert.ok(loops.length >= 5);
    assert.ok(wake.length <= loops.length, `${wake.length} wake-ups pile up while idle (${loops.length} loops)`);
    assert.ok(waited < 30_000, `waitIdle took ${waited} ms`);
  } finally {
    stop = true;
    await trickle.catch(() => undefined);
    await t.close();
  }
});
