import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z, ZodError } from 'zod';
import type { Engine } from '../../engine.ts';
import type { Authenticator, RequestContext } from '../auth.ts';
import { parse } from '../validate.ts';
import { appError, zodDetails } from '../../platform/errors.ts';
import { mergeSettings, PLACEMENTS, pickLang, recommendStore, SettingsPatchSchema } from '../../modules/recommend/index.ts';
import { RecommendService, registerRecommendService } from '../../flows/recommend-service.ts';

const id = z.string().min(1).max(256);
/** `productId=a,b` or `productId=a&productId=b`. */
const idList = (max: number) =>
  z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)))
    .pipe(z.array(z.string().max(200)).max(max));
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const RecommendQuery = z
  .object({
    userId: id.optional(),
    anonymousId: id.optional(),
    placement: z.enum(PLACEMENTS).default('home'),
    productId: idList(50),
    n: z.coerce.number().int().min(1).max(100).default(20),
    personalization: bool.default(true),
    exclude: idList(500),
    lang: z.enum(['zh-CN', 'en']).optional(),
    city: z.string().trim().min(1).max(100).optional(),
  })
  .superRefine((q, c) => {
    if (q.placement === 'product' && q.productId.length !== 1) c.addIssue({ code: 'custom', path: ['productId'], message: 'placement product needs exactly one productId (the product on the page)' });
    if (q.placement === 'cart' && q.productId.length === 0) c.addIssue({ code: 'custom', path: ['productId'], message: 'placement cart needs the cart\'s productIds' });
  });

const Who = z.object({ userId: id.optional(), anonymousId: id.optional() });
const userKeyOf = (w: { userId?: string; anonymousId?: string }) => (w.userId ? `u:${w.userId}` : w.anonymousId ? `a:${w.anonymousId}` : null);

/**
 * Recommendations: `GET /api/v1/recommendations` and its settings, opt-out, feedback, stats,
 * model and inspector endpoints (docs/api.md, docs/recommend.md). Starts the RecommendService
 * for the engine (stopped when the server closes).
 */
export function recommendRoutes(app: FastifyInstance, engine: Engine, auth: Authenticator) {
  const svc = new RecommendService({ op: engine.op, es: engine.es, log: engine.log, dataDir: engine.config.dataDir });
  registerRecommendService(engine, svc);
  const started = svc.start().catch((e: unknown) => engine.log.warn({ err: (e as Error).message }, 'recommendations: start failed'));
  app.addHook('onClose', async () => {
    await started;
    await svc.stop();
  });
  const ctxOf = (req: FastifyRequest) => req.ctx as RequestContext;
  const requireWriter = (ctx: RequestContext) => {
    if (ctx.role !== 'admin' && ctx.role !== 'server') throw appError('FORBIDDEN', 'only an admin or a server key can change recommendation settings');
  };

  app.register(async (api) => {
    api.addHook('preHandler', async (req) => {
      req.ctx = await auth.server(req);
    });

    api.get('/api/v1/recommendations', async (req, reply) => {
      const q = parse(RecommendQuery, req.query, 'query');
      const st = svc.loaded(ctxOf(req).workspaceId) ?? (await svc.workspace(ctxOf(req).workspaceId));
      reply.type('application/json; charset=utf-8');
      return svc.recommendBytes(st, {
        userId: q.userId, anonymousId: q.anonymousId, placement: q.placement, productIds: q.productId, n: q.n,
        personalization: q.personalization, exclude: q.exclude, lang: pickLang(q.lang, req.headers['accept-language']), city: q.city,
      });
    });

    api.get('/api/v1/recommendations/settings', async (req) => {
      const st = await svc.workspace(ctxOf(req).workspaceId);
      return { settings: st.settings };
    });

    api.put('/api/v1/recommendations/settings', async (req) => {
      requireWriter(ctxOf(req));
      const patch = parse(SettingsPatchSchema, req.body, 'body');
      const st = await svc.workspace(ctxOf(req).workspaceId);
      let next;
      try {
        next = mergeSettings(st.settings, patch);
      } catch (e) {
        if (!(e instanceof ZodError)) throw e;
        const details = zodDetails(e.issues, ['body']);
        throw appError('VALIDATION_FAILED', `${details[0]?.path}: ${details[0]?.message}`, details);
      }
      const updatedAt = await svc.saveSettings(st, next);
      return { settings: next, updatedAt };
    });

    api.put('/api/v1/recommendations/opt-out', async (req) => {
      const b = parse(Who.extend({ optOut: z.boolean() }).strict().refine((w) => w.userId || w.anonymousId, { message: 'give userId (or anonymousId)', path: ['userId'] }), req.body, 'body');
      const key = userKeyOf(b)!;
      const updatedAt = await svc.setOptOut(ctxOf(req).workspaceId, key, b.optOut);
      return { userId: b.userId ?? null, anonymousId: b.anonymousId ?? null, optOut: b.optOut, updatedAt };
    });

    api.get('/api/v1/recommendations/opt-out', async (req) => {
      const q = parse(Who.refine((w) => w.userId || w.anonymousId, { message: 'give userId (or anonymousId)', path: ['userId'] }), req.query, 'query');
      const r = await recommendStore.optOutOf(engine.op, ctxOf(req).workspaceId, userKeyOf(q)!);
      return { userId: q.userId ?? null, anonymousId: q.anonymousId ?? null, ...r };
    });

    api.post('/api/v1/recommendations/feedback', async (req) => {
      const b = parse(z.object({ trackingToken: z.string().min(1).max(20_000), type: z.enum(['impression', 'click']), productId: z.string().min(1).max(200).optional() }).strict(), req.body, 'body');
      const st = await svc.workspace(ctxOf(req).workspaceId);
      const r = await svc.feedback(st, b.trackingToken, b.type, b.productId);
      if ('error' in r) throw appError('VALIDATION_FAILED', `body.${r.field}: ${r.error}`, [{ path: `body.${r.field}`, message: r.error }]);
      return { recorded: r.recorded, duplicate: r.recorded === 0, modelVersion: r.claims.version, placement: r.claims.placement };
    });

    api.get('/api/v1/recommendations/stats', async (req) => {
      const q = parse(z.object({ days: z.coerce.number().int().min(1).max(3650).default(30), version: z.string().max(100).optional() }), req.query, 'query');
      const from = new Date(Date.now() - q.days * 86_400_000);
      return { from: from.toISOString(), days: q.days, rows: await recommendStore.feedbackStats(engine.op, ctxOf(req).workspaceId, from, q.version) };
    });

    api.get('/api/v1/recommendations/model', async (req) => svc.status(await svc.workspace(ctxOf(req).workspaceId)));

    api.post('/api/v1/recommendations/train', async (req, reply) => {
      requireWriter(ctxOf(req));
      const ws = ctxOf(req).workspaceId;
      const st = await svc.workspace(ws);
      if (st.training.running) throw appError('CONFLICT', 'a training of this workspace is already running');
      void svc.train(ws, 'api').catch(() => undefined);
      reply.code(202);
      return { started: true };
    });

    api.get('/api/v1/recommendations/bundles', async (req) => {
      const q = parse(z.object({
        productId: id,
        n: z.coerce.number().int().min(1).max(50).default(10),
        size: z.coerce.number().int().min(2).max(5).default(3),
      }), req.query, 'query');
      const st = svc.loaded(ctxOf(req).workspaceId) ?? (await svc.workspace(ctxOf(req).workspaceId));
      const r = svc.bundles(st, q.productId, q.n, q.size);
      if (!r) throw appError('NOT_FOUND', 'no recommendation model has been trained for this workspace yet');
      return r;
    });

    api.get('/api/v1/recommendations/inspect', async (req) => {
      const q = parse(Who.extend({ lang: z.enum(['zh-CN', 'en']).optional(), n: z.coerce.number().int().min(1).max(100).default(20) }).refine((w) => w.userId || w.anonymousId, { message: 'give userId (or anonymousId)', path: ['userId'] }), req.query, 'query');
      const st = await svc.workspace(ctxOf(req).workspaceId);
      const r = await svc.inspect(st, userKeyOf(q)!, pickLang(q.lang, req.headers['accept-language']), q.n);
      if (!r) throw appError('NOT_FOUND', 'no recommendation model has been trained for this workspace yet');
      return r;
    });
  });
}
