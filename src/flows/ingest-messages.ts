import type { Engine } from '../engine.ts';
import { encodeBatch } from '../modules/ingest/index.ts';

/**
 * Sends Segment messages through the same path as POST /v1/batch (validation, clock-skew
 * handling, exactly-once durable write), in-process. Used by the simulator, the demo world and
 * `liebian import`. Returns the number of messages acknowledged.
 */
export async function ingestMessages(engine: Engine, workspaceId: string, messages: unknown[]): Promise<number> {
  const body = { batch: messages };
  const events = encodeBatch(body, 0, new Date());
  await engine.writer.writeEncoded(workspaceId, events);
  return events.messageIds.length;
}
