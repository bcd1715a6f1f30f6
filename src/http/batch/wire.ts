import type { ParsedBatch } from './parse.ts';

/** A body sent to a parse thread (its bytes transferred, not copied). */
export interface Job {
  id: number;
  raw: Uint8Array;
  encoding: string | undefined;
  receivedAt: number;
}

/**
 * A parse thread's answer. The events' JSON texts travel as one buffer (transferred) with each
 * event's end offset; the main thread takes views of it, no copy.
 */
export type Reply =
  | { id: number; ok: true; messageIds: string[]; joined: Uint8Array; ends: Uint32Array; writeKey?: string }
  | ({ id: number } & Extract<ParsedBatch, { ok: false }>);

export function toWire(id: number, r: ParsedBatch): { reply: Reply; transfer: ArrayBuffer[] } {
  if (!r.ok) return { reply: { id, ...r }, transfer: [] };
  const { messageIds, bodies } = r.events;
  const ends = new Uint32Array(bodies.length);
  let n = 0;
  for (let i = 0; i < bodies.length; i++) ends[i] = n += bodies[i]!.length;
  const joined = new Uint8Array(n);
  let at = 0;
  for (const b of bodies) {
    joined.set(b, at);
    at += b.length;
  }
  return { reply: { id, ok: true, messageIds, joined, ends, writeKey: r.writeKey }, transfer: [joined.buffer as ArrayBuffer, ends.buffer as ArrayBuffer] };
}

export function fromWire(r: Reply): ParsedBatch {
  if (!r.ok) {
    const { id: _id, ...rest } = r;
    return rest;
  }
  const bodies = new Array<Buffer>(r.ends.length);
  let start = 0;
  for (let i = 0; i < r.ends.length; i++) {
    const end = r.ends[i]!;
    bodies[i] = Buffer.from(r.joined.buffer, r.joined.byteOffset + start, end - start);
    start = end;
  }
  return { ok: true, events: { messageIds: r.messageIds, bodies }, writeKey: r.writeKey };
}
