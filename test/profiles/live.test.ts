import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, basic, bearer } from '../helpers/engine.ts';

// With the server's background loops: traits follow events within seconds, without a recompute.

let t: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  t = await startTestApp();
});
after(async () => {
  await t.close();
});

const send = (batch: unknown[]) => t.app.fastify.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(), 'content-type': 'application/json' }, payload: { batch } });
const order = (id: string, total: number) => ({ type: 'track', event: 'Order Completed', userId: 'live-u', messageId: `live-${id}`, timestamp: new Date().toISOString(), properties: { order_id: id, total } });

async function traitsWhen(predicate: (traits: Record<string, unknown> | null) => boolean, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const who = await t.engine.op.query<{ profile_id: string }>(`select profile_id from identities where workspace_id = 'default' and kind = 'user_id' and value = 'live-u'`);
    const id = who.rows[0]?.profile_id;
    if (id) {
      const r = await t.app.fastify.inject({ method: 'GET', url: `/api/v1/users/${id}/traits`, headers: { authorization: bearer() } });
      assert.equal(r.statusCode, 200);
      const traits = r.json().traits as Record<string, unknown> | null;
      if (predicate(traits)) return traits!;
    }
    if (Date.now() > until) throw new Error('the traits did not follow the events in time');
    await new Promise((res) => setTimeout(res, 100));
  }
}

test('the background loop updates a profile\'s traits as its orders arrive', async () => {
  assert.equal((await send([order('L1', 20)])).statusCode, 200);
  const first = await traitsWhen((x) => x?.orders === 1);
  assert.equal(first.gmv, 20);
  assert.equal(first.lifecycleStage, 'new');
  assert.equal(first.asOf, new Date().toISOString().slice(0, 10));
  const t0 = Date.now();
  assert.equal((await send([order('L2', 30)])).statusCode, 200);
  const second = await traitsWhen((x) => x?.orders === 2);
  assert.equal(second.gmv, 50);
  console.log(`a second order was in the traits ${Date.now() - t0} ms after it was acknowledged`);
});
