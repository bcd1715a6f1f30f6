import type { Engine } from '../engine.ts';
import { normalizeBatch } from '../modules/ingest/index.ts';

/**
 * Sends Segment messages through the same path as POST /v1/batch (validation, clock-skew
 * handling, exactly-once durable write), in-process. Used by the simulator, the demo world and
 * `liebian import`. Returns the number of messages acknowledged.
 */
export async function ingestMessages(engine: Engine, workspaceId: string, messages: unknown[]): Promise<number> {
  const body = { batch: messages };
  const events = normalizeBatch(body, 0, new Date());
  await engine.writer.write(workspaceId, events);
  return events.length;
}
