import type { FastifyRequest } from 'fastify';
import type { Engine } from '../engine.ts';
import { appError } from '../platform/errors.ts';
import { lookupKey, sessionUser, type KeyKind } from '../modules/workspaces/index.ts';

/** Who is calling and for which workspace: the first argument of every service call. */
export interface RequestContext {
  workspaceId: string;
  actor: { kind: 'write-key' | 'secret-key' | 'user'; id: string; email?: string };
  role: 'admin' | 'analyst' | 'server' | 'collector';
  requestId: string;
}

/** Key lookups are cached briefly; a revoked key stops working within KEY_CACHE_MS (< 5 s). */
const KEY_CACHE_MS = 2000;
type Cached = { at: number; value: { workspaceId: string; keyId: string } | null };

export class Authenticator {
  private cache = new Map<string, Cached>();
  constructor(private readonly engine: Engine) {}

  private async key(kind: KeyKind, key: string) {
    const ck = `${kind}:${key}`;
    const hit = this.cache.get(ck);
    if (hit && Date.now() - hit.at < KEY_CACHE_MS) return hit.value;
    const value = await lookupKey(this.engine.op, kind, key);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(ck, { at: Date.now(), value });
    return value;
  }

  /**
   * Collection (/v1/*): the write key as the Basic-auth user name, or `writeKey` in the body
   * (`bodyWriteKey` when the route reads its body itself, as the batch routes do).
   */
  async collector(req: FastifyRequest, bodyWriteKey?: string): Promise<RequestContext> {
    let key: string | undefined;
    const h = req.headers.authorization;
    if (h && /^basic /i.test(h)) {
      const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
      key = decoded.split(':')[0];
    } else if (h && /^bearer /i.test(h)) {
      key = h.slice(7).trim();
    }
    const fromBody = bodyWriteKey ?? (req.body as { writeKey?: unknown } | null | undefined)?.writeKey;
    if (!key && typeof fromBody === 'string') key = fromBody;
    if (!key) throw appError('UNAUTHENTICATED', 'send the write key as the Basic-auth user name');
    const found = await this.storeCall(() => this.key('write', key!));
    if (!found) throw appError('UNAUTHENTICATED', 'unknown or revoked write key');
    return { workspaceId: found.workspaceId, actor: { kind: 'write-key', id: found.keyId }, role: 'collector', requestId: req.id };
  }

  /** Server API (/api/v1/*): `Authorization: Bearer <secret key>` or a console session token. */
  async server(req: FastifyRequest): Promise<RequestContext> {
    const h = req.headers.authorization;
    if (!h || !/^bearer /i.test(h)) throw appError('UNAUTHENTICATED', 'send Authorization: Bearer <secret key or session token>');
    const token = h.slice(7).trim();
    if (token.startsWith('lb_sess_')) {
      const u = await this.storeCall(() => sessionUser(this.engine.op, token));
      if (!u) throw appError('UNAUTHENTICATED', 'the session has expired; log in again');
      return { workspaceId: u.workspaceId, actor: { kind: 'user', id: u.id, email: u.email }, role: u.role === 'analyst' ? 'analyst' : 'admin', requestId: req.id };
    }
    const found = await this.storeCall(() => this.key('secret', token));
    if (!found) throw appError('UNAUTHENTICATED', 'unknown or revoked secret key');
    return { workspaceId: found.workspaceId, actor: { kind: 'secret-key', id: found.keyId }, role: 'server', requestId: req.id };
  }

  private async storeCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch {
      throw appError('STORE_UNAVAILABLE', 'the operational store is unavailable', undefined, 5);
    }
  }
}
