import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * What a tracking token certifies: one response's model version, placement, user, items (with
 * each item's sources mask), whether it was personalised, and when it was served. Signed with
 * the workspace's secret (HMAC-SHA-256, truncated to 128 bits); `id` (random) makes each response's
 * feedback rows distinct and is the idempotency key with (type, productId).
 */
export interface TrackingClaims {
  id: string;
  version: string | null;
  placement: string;
  /** `u:<userId>`, `a:<anonymousId>` or null. */
  user: string | null;
  items: string[];
  sources: number[];
  personalised: boolean;
  /** Served at (unix ms). */
  at: number;
}

const b64 = (b: Buffer) => b.toString('base64url');

/** Response ids: a random per-process prefix and a counter (unique without a random draw per request). */
const ID_PREFIX = b64(randomBytes(6));
let idCounter = 0;
const nextId = () => `${ID_PREFIX}${(idCounter++).toString(36)}`;

/**
 * Signs claims. `pre`, when given, holds the items and sources already as JSON array elements
 * (`"p1","p2"` and `3,5`): serving builds them while ranking, keeping JSON.stringify and array
 * copies off the hot path (then `items` / `sources` are not read).
 */
export function signToken(secret: Buffer, c: Omit<TrackingClaims, 'id' | 'items' | 'sources'> & { id?: string; items?: string[]; sources?: number[] }, pre?: { items: string; sources: string }): string {
  const items = pre ? pre.items : (c.items ?? []).map((i) => JSON.stringify(i)).join(',');
  const sources = pre ? pre.sources : (c.sources ?? []).join(',');
  const json = `[${JSON.stringify(c.id ?? nextId())},${c.version === null ? 'null' : JSON.stringify(c.version)},${JSON.stringify(c.placement)},${c.user === null ? 'null' : JSON.stringify(c.user)},[${items}],[${sources}],${c.personalised ? 1 : 0},${c.at}]`;
  const body = Buffer.from(json).toString('base64url');
  return `${body}.${b64(mac(secret, body))}`;
}

/** The claims of a token this secret signed, or an error message saying what is wrong. */
export function verifyToken(secret: Buffer, token: string): TrackingClaims | string {
  const dot = token.indexOf('.');
  if (dot <= 0) return 'not a tracking token';
  const body = token.slice(0, dot);
  const sig = Buffer.from(token.slice(dot + 1), 'base64url');
  const want = mac(secret, body);
  if (sig.length !== want.length || !timingSafeEqual(sig, want)) return 'the signature does not match';
  try {
    const [id, version, placement, user, items, sources, personalised, at] = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as [string, string | null, string, string | null, string[], number[], number, number];
    if (typeof id !== 'string' || !Array.isArray(items) || typeof at !== 'number') return 'malformed claims';
    return { id, version, placement, user, items, sources, personalised: personalised === 1, at };
  } catch {
    return 'malformed claims';
  }
}

function mac(secret: Buffer, body: string): Buffer {
  return createHmac('sha256', secret).update(body).digest().subarray(0, 16);
}
