import { simulate, type SegmentMessage } from '../../src/sim/index.ts';
import { startTestApp, basic, bearer } from '../helpers/engine.ts';
import { recommendServiceOf, type RecommendService } from '../../src/flows/recommend-service.ts';

export type TestApp = Awaited<ReturnType<typeof startTestApp>>;

/**
 * A test server holding a small simulated shop ingested through `POST /v1/batch` (ending today,
 * so purchase windows apply), with its catalog's stock set through the API, and a trained model
 * (trained in a worker thread, as the server does).
 */
export async function trainedApp(users = 150, days = 20): Promise<{ t: TestApp; svc: RecommendService; userIds: string[]; productIds: string[]; messages: SegmentMessage[] }> {
  const t = await startTestApp({ env: { LIEBIAN_RATE_LIMIT_EPS: '1000000' } });
  const start = new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
  const sim = simulate({ users, days, seed: 7, startDate: start }, 500);
  const messages: SegmentMessage[] = [];
  for (const batch of sim.batches()) {
    messages.push(...batch);
    const r = await t.app.fastify.inject({ method: 'POST', url: '/v1/batch', payload: JSON.stringify({ batch }), headers: { 'content-type': 'application/json', authorization: basic() } });
    if (r.statusCode !== 200) throw new Error(`ingest: ${r.statusCode} ${r.body}`);
  }
  if (!(await t.engine.workers.waitIdle(120_000))) throw new Error('the stores did not catch up');
  const svc = recommendServiceOf(t.engine)!;
  const out = await svc.train('default', 'api');
  if (!out || out.outcome !== 'trained') throw new Error(`training: ${JSON.stringify(out)}`);
  return { t, svc, userIds: sim.truth.users.map((u) => u.userId), productIds: sim.truth.products.map((p) => p.productId), messages };
}

export const api = (t: TestApp, method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown, headers: Record<string, string> = {}) =>
  t.app.fastify.inject({
    method, url,
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    headers: { authorization: bearer(), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
  });
