import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Engine } from '../../engine.ts';
import type { Authenticator, RequestContext } from '../auth.ts';
import { parse } from '../validate.ts';
import { appError } from '../../platform/errors.ts';
import { login, logout, createKey, listKeys, revokeKey } from '../../modules/workspaces/index.ts';
import { eventQueries } from '../../modules/events/index.ts';
import { getProfile, searchProfiles, profileKeys, profileByIdentity, unmerge, IDENTITY_KINDS } from '../../modules/identity/index.ts';
import { ordersOf } from '../../modules/commerce/index.ts';
import { neighbours, sharesBy, cascade, topSharers } from '../../modules/social/index.ts';
import { ProductInputSchema, upsertProducts, getProduct, listProducts } from '../../modules/catalog/index.ts';

const Days = z.object({ days: z.coerce.number().int().min(1).max(3650).default(30) });

declare module 'fastify' {
  interface FastifyRequest {
    ctx?: RequestContext;
  }
}

/** The server API used by shop back ends (secret key) and the console (session token). */
export function apiRoutes(app: FastifyInstance, engine: Engine, auth: Authenticator) {
  const { op, es } = engine;
  const ctxOf = (req: FastifyRequest) => req.ctx!;

  app.post('/api/v1/auth/login', async (req) => {
    const b = parse(z.object({ email: z.string().email().max(200), password: z.string().min(1).max(200) }), req.body, 'body');
    const r = await login(op, b.email, b.password);
    return { token: r.token, user: { email: r.user.email, role: r.user.role } };
  });

  app.register(async (api) => {
    api.addHook('preHandler', async (req) => {
      req.ctx = await auth.server(req);
    });

    api.post('/api/v1/auth/logout', async (req) => {
      const h = req.headers.authorization ?? '';
      await logout(op, h.slice(7).trim());
      return { ok: true };
    });
    api.get('/api/v1/auth/me', async (req) => ({ workspaceId: ctxOf(req).workspaceId, actor: ctxOf(req).actor, role: ctxOf(req).role }));

    api.get('/api/v1/overview', async (req) => {
      const ws = ctxOf(req).workspaceId;
      const { days } = parse(Days, req.query, 'query');
      const t = await eventQueries.totals(es, ws);
      const to = t.last ? new Date(new Date(t.last).getTime() + 1) : new Date();
      const from = new Date(to.getTime() - days * 86_400_000);
      const [eventsPerDay, activeUsersPerDay, ordersPerDay, topProducts, sharers] = await Promise.all([
        eventQueries.eventsPerDay(es, ws, from, to),
        eventQueries.dailyActiveUsers(es, ws, from, to),
        eventQueries.ordersPerDay(es, ws, from, to),
        eventQueries.topProducts(es, ws, from, to, 10),
        topSharers(op, ws, 10),
      ]);
      return {
        totals: { events: t.events, users: t.users, orders: t.orders, gmv: t.gmv },
        range: { from: from.toISOString(), to: to.toISOString(), days },
        eventsPerDay, activeUsersPerDay, ordersPerDay, topProducts,
        topSharers: sharers.map((s) => ({ ...s, userId: s.sharer.replace(/^[ua]:/, ''), sharer: undefined })),
      };
    });

    api.get('/api/v1/analytics/gmv-by-category', async (req) => {
      const { days } = parse(Days, req.query, 'query');
      const ws = ctxOf(req).workspaceId;
      const t = await eventQueries.totals(es, ws);
      const to = t.last ? new Date(new Date(t.last).getTime() + 1) : new Date();
      return { categories: await eventQueries.gmvByCategory(es, ws, new Date(to.getTime() - days * 86_400_000), to) };
    });

    api.get('/api/v1/events/recent', async (req) => {
      const { limit } = parse(z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }), req.query, 'query');
      return { events: await eventQueries.recentEvents(es, ctxOf(req).workspaceId, limit) };
    });

    api.get('/api/v1/events/export', async (req, reply) => {
      const { since } = parse(z.object({ since: z.string().datetime({ offset: true }).optional() }), req.query, 'query');
      reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8' });
      await eventQueries.exportEvents(es, ctxOf(req).workspaceId, since ? new Date(since) : null, async (line) => {
        if (!reply.raw.write(line + '\n')) await new Promise((r) => reply.raw.once('drain', r));
      });
      reply.raw.end();
      return reply;
    });

    api.get('/api/v1/users/search', async (req) => {
      const { q } = parse(z.object({ q: z.string().trim().min(1).max(200) }), req.query, 'query');
      return { users: await searchProfiles(op, ctxOf(req).workspaceId, q) };
    });

    api.get('/api/v1/users/lookup', async (req) => {
      const b = parse(z.object({ kind: z.enum(IDENTITY_KINDS).default('user_id'), value: z.string().min(1).max(256) }), req.query, 'query');
      const id = await profileByIdentity(op, ctxOf(req).workspaceId, b.kind, b.value);
      if (!id) throw appError('NOT_FOUND', `no profile has ${b.kind} "${b.value}"`);
      return userView(ctxOf(req).workspaceId, id);
    });

    api.get('/api/v1/users/:profileId', async (req) => {
      const { profileId } = parse(z.object({ profileId: z.string().min(1).max(100) }), req.params, 'params');
      return userView(ctxOf(req).workspaceId, profileId);
    });

    api.post('/api/v1/identity/merges/:id/undo', async (req) => {
      const { id } = parse(z.object({ id: z.coerce.number().int().positive() }), req.params, 'params');
      const r = await op.tx((q) => unmerge(q, ctxOf(req).workspaceId, id));
      if (!r) throw appError('NOT_FOUND', `merge ${id} does not exist or is already undone`);
      return { undone: id, restoredProfileId: r.from, profileId: r.into };
    });

    api.get('/api/v1/shares/:shareId/cascade', async (req) => {
      const { shareId } = parse(z.object({ shareId: z.string().min(1).max(200) }), req.params, 'params');
      const c = await cascade(op, ctxOf(req).workspaceId, shareId);
      if (!c) throw appError('NOT_FOUND', `share "${shareId}" is unknown`);
      return c;
    });

    api.get('/api/v1/products', async (req) => {
      const b = parse(z.object({ after: z.string().max(200).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100), category: z.string().max(200).optional() }), req.query, 'query');
      const products = await listProducts(op, ctxOf(req).workspaceId, b);
      return { products, next: products.length === b.limit ? products[products.length - 1]!.product_id : null };
    });
    api.get('/api/v1/products/:productId', async (req) => {
      const { productId } = parse(z.object({ productId: z.string().min(1).max(200) }), req.params, 'params');
      const p = await getProduct(op, ctxOf(req).workspaceId, productId);
      if (!p) throw appError('NOT_FOUND', `product "${productId}" is not in the catalog`);
      return p;
    });
    api.put('/api/v1/products', async (req) => {
      const b = parse(z.object({ products: z.array(ProductInputSchema).min(1).max(1000) }), req.body, 'body');
      const n = await op.tx((q) => upsertProducts(q, ctxOf(req).workspaceId, b.products, 'api'));
      return { upserted: n };
    });

    api.get('/api/v1/keys', async (req) => ({ keys: await listKeys(op, ctxOf(req).workspaceId) }));
    api.post('/api/v1/keys', async (req) => {
      requireAdmin(ctxOf(req));
      const b = parse(z.object({ kind: z.enum(['write', 'secret']), label: z.string().max(200).optional() }), req.body, 'body');
      const k = await createKey(op, ctxOf(req).workspaceId, b.kind, b.label);
      return { key: k.key, ...k.info };
    });
    api.delete('/api/v1/keys/:keyId', async (req) => {
      requireAdmin(ctxOf(req));
      const { keyId } = parse(z.object({ keyId: z.string().min(1).max(100) }), req.params, 'params');
      if (!(await revokeKey(op, ctxOf(req).workspaceId, keyId))) throw appError('NOT_FOUND', `key "${keyId}" does not exist or is already revoked`);
      return { revoked: keyId };
    });
  });

  function requireAdmin(ctx: RequestContext) {
    if (ctx.role !== 'admin' && ctx.role !== 'server') throw appError('FORBIDDEN', 'only an admin can manage keys');
  }

  async function userView(ws: string, profileId: string) {
    const p = await getProfile(op, ws, profileId);
    if (!p) throw appError('NOT_FOUND', `profile "${profileId}" does not exist`);
    const k = await profileKeys(op, p.profileId);
    const keys = [...k.userIds.map((u) => `u:${u}`), ...k.anonymousIds.map((a) => `a:${a}`)];
    const [orders, nbs, shares, timeline] = await Promise.all([
      ordersOf(op, ws, keys),
      neighbours(op, ws, keys),
      sharesBy(op, ws, keys),
      eventQueries.timeline(es, ws, k.userIds, k.anonymousIds, 200),
    ]);
    const neighbourViews = [];
    for (const n of nbs) {
      const [kind, value] = n.key.startsWith('u:') ? ['user_id', n.key.slice(2)] : ['anonymous_id', n.key.slice(2)];
      const pid = await profileByIdentity(op, ws, kind, value);
      neighbourViews.push({ profileId: pid, userId: kind === 'user_id' ? value : null, type: n.type, direction: n.direction, since: n.since });
    }
    return {
      ...p,
      orders: orders.map((o) => ({ ...o, items: o.items.reduce((s, i) => s + i.quantity, 0), lines: o.items })),
      neighbours: neighbourViews,
      shares: shares.map((s) => ({ shareId: s.shareId, parentShareId: s.parentShareId, rootShareId: s.rootShareId, generation: s.generation, productId: s.productId, clicks: s.clicks, orders: s.orders, gmv: s.gmv, timestamp: s.timestamp })),
      timeline: timeline.map((t) => ({ messageId: t.messageId, type: t.type, event: t.event, timestamp: t.timestamp, properties: t.properties })),
    };
  }
}
