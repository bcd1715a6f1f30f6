/** Lenient readers for values inside event properties (clients send numbers as strings and vice versa). */
export const str = (v: unknown, max = 500): string | null =>
  typeof v === 'string' && v.length ? v.slice(0, max) : typeof v === 'number' && Number.isFinite(v) ? String(v) : null;

export const num = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && Math.abs(n) < 1e12 ? n : null;
};

export const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** A person's key in orders and the social graph: `u:<userId>`, else `a:<anonymousId>`. */
export const actorKey = (e: { userId?: string; anonymousId?: string }): string | null =>
  e.userId ? `u:${e.userId}` : e.anonymousId ? `a:${e.anonymousId}` : null;
