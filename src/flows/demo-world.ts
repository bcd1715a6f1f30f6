import type { Engine } from '../engine.ts';
import { DEFAULT_WORKSPACE } from '../modules/workspaces/index.ts';
import { countStoredIds } from '../modules/ingest/index.ts';
import { simulate } from '../sim/index.ts';
import { ingestMessages } from './ingest-messages.ts';

/** On an empty default workspace, loads a small simulated world (seed 42) ending today. */
export async function loadDemoWorldIfEmpty(engine: Engine): Promise<boolean> {
  if ((await countStoredIds(engine.op, DEFAULT_WORKSPACE)) > 0) return false;
  const { demoUsers: users, demoDays: days } = engine.config;
  const start = new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
  const sim = simulate({ users, days, seed: 42, startDate: start }, 500);
  const t0 = Date.now();
  let n = 0;
  const inFlight: Promise<number>[] = [];
  for (const batch of sim.batches()) {
    inFlight.push(ingestMessages(engine, DEFAULT_WORKSPACE, batch));
    if (inFlight.length >= 8) n += await inFlight.shift()!;
  }
  for (const p of inFlight) n += await p;
  engine.log.info({ events: n, users, days, ms: Date.now() - t0 }, 'demo world loaded');
  return true;
}
