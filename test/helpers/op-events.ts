/** Builders for stored (normalised) Segment events, for the operational-store suites. */
import { randomBytes } from 'node:crypto';
import type { StoredEvent } from '../../src/modules/ingest/index.ts';

const BASE = Date.UTC(2024, 0, 1, 8, 0, 0);

/** A fixed timestamp `minutes` after 2024-01-01T08:00Z (ISO). */
export const at = (minutes: number) => new Date(BASE + minutes * 60_000).toISOString();

type Extra = Partial<Omit<StoredEvent, 'type'>> & { at?: number };

function make(type: StoredEvent['type'], x: Extra): StoredEvent {
  const { at: minutes, ...rest } = x;
  const ts = rest.timestamp ?? at(minutes ?? 0);
  const e: StoredEvent = { type, messageId: rest.messageId ?? 'm-' + randomBytes(8).toString('hex'), timestamp: ts, receivedAt: rest.receivedAt ?? ts };
  for (const [k, v] of Object.entries(rest)) if (v !== undefined && !(k in e)) (e as unknown as Record<string, unknown>)[k] = v;
  return e;
}

export const track = (event: string, x: Extra = {}) => make('track', { ...x, event });
export const identify = (x: Extra = {}) => make('identify', x);
export const page = (x: Extra = {}) => make('page', x);
export const alias = (previousId: string, userId: string, x: Extra = {}) => make('alias', { ...x, previousId, userId });
