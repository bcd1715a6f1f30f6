/** Which identifiers an event carries. Kinds: user_id, anonymous_id, email, phone, wechat_openid, wechat_unionid. */
export const IDENTITY_KINDS = ['user_id', 'anonymous_id', 'email', 'phone', 'wechat_openid', 'wechat_unionid'] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];
export interface Identifier { kind: IdentityKind; value: string }

export interface IdentityEvent {
  type: string;
  messageId: string;
  userId?: string;
  anonymousId?: string;
  previousId?: string;
  timestamp: string;
  traits?: Record<string, unknown>;
  context?: Record<string, unknown>;
}

const s = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : null);

export function normalizeEmail(v: string): string | null {
  const e = v.trim().toLowerCase();
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(e) ? e : null;
}

/** Digits only; a mainland number keeps 11 digits (86 prefix dropped). */
export function normalizePhone(v: string): string | null {
  let d = v.replace(/[^\d]/g, '');
  if (d.length === 13 && d.startsWith('86')) d = d.slice(2);
  return d.length >= 6 && d.length <= 15 ? d : null;
}

function fromTraits(t: Record<string, unknown> | undefined, out: Identifier[]) {
  if (!t || typeof t !== 'object') return;
  const email = s(t.email);
  const phone = s(t.phone);
  const wechat = t.wechat && typeof t.wechat === 'object' ? (t.wechat as Record<string, unknown>) : {};
  const openid = s(t.wechat_openid) ?? s(wechat.openid);
  const unionid = s(t.wechat_unionid) ?? s(wechat.unionid);
  const ne = email ? normalizeEmail(email) : null;
  const np = phone ? normalizePhone(phone) : null;
  if (ne) out.push({ kind: 'email', value: ne });
  if (np) out.push({ kind: 'phone', value: np });
  if (openid) out.push({ kind: 'wechat_openid', value: openid });
  if (unionid) out.push({ kind: 'wechat_unionid', value: unionid });
}

/** The identifiers of one event, in resolution order (userId first). */
export function extractIdentifiers(e: IdentityEvent): Identifier[] {
  const out: Identifier[] = [];
  if (e.userId) out.push({ kind: 'user_id', value: e.userId });
  if (e.anonymousId) out.push({ kind: 'anonymous_id', value: e.anonymousId });
  if (e.type === 'identify') fromTraits(e.traits, out);
  fromTraits(e.context?.traits as Record<string, unknown> | undefined, out);
  const seen = new Set<string>();
  return out.filter((i) => {
    const k = `${i.kind}\u0001${i.value}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Traits an identify call sets on the profile (identifier traits included, as the spec keeps them). */
export function traitsOf(e: IdentityEvent): Record<string, unknown> | null {
  if (e.type !== 'identify' || !e.traits) return null;
  return e.traits;
}
