import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Engine } from '../../engine.ts';
import type { Authenticator } from '../auth.ts';
import { parse } from '../validate.ts';
import { appError } from '../../platform/errors.ts';
import { changesPage, getSegment, listSegments, membersPage, sizeHistory, type Segment } from '../../modules/segments/index.ts';
import { previewRule } from '../../flows/segments-evaluate.ts';
import { changeSegment, refreshSegment, removeSegment, saveSegment } from '../../flows/segments-refresh.ts';

const Name = z.string().trim().min(1).max(200);
const Description = z.string().max(2000);
const RefreshMinutes = z.number().int().min(1).max(10_080);
const Params = z.object({ id: z.string().min(1).max(100) });
const PreviewBody = z.strictObject({ rule: z.unknown(), sample: z.number().int().min(0).max(100).default(10) });
const CreateBody = z.strictObject({ name: Name, description: Description.optional(), rule: z.unknown(), refreshMinutes: RefreshMinutes.optional() });
const PatchBody = z.strictObject({ name: Name.optional(), description: Description.optional(), rule: z.unknown().optional(), refreshMinutes: RefreshMinutes.optional() })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
const Page = z.object({ cursor: z.string().max(200).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) });
const ChangesPage = z.object({ cursor: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) });
const HistoryQuery = z.object({ limit: z.coerce.number().int().min(1).max(10_000).default(1000) });

/**
 * Segments over the server API (docs/segments.md): live preview, saved segments (CRUD), their
 * members (paged), entries / exits and size over time. A bad rule answers 400 with a RULE_* code
 * and the path of the offending node (`rule.all[2].where[0].value`).
 */
export function segmentRoutes(app: FastifyInstance, engine: Engine, auth: Authenticator) {
  const { op, es } = engine;
  const ws = (req: FastifyRequest) => req.ctx!.workspaceId;
  const found = async (req: FastifyRequest): Promise<Segment> => {
    const { id } = parse(Params, req.params, 'params');
    const seg = await getSegment(op, ws(req), id);
    if (!seg) throw appError('NOT_FOUND', `no segment ${id}`);
    return seg;
  };

  app.register(async (api) => {
    api.addHook('preHandler', async (req) => {
      req.ctx = await auth.server(req);
    });

    /** Count and a sample of the people matching a rule now, over the whole workspace. */
    api.post('/api/v1/segments/preview', async (req) => {
      const b = parse(PreviewBody, req.body, 'body');
      return previewRule(es, op, ws(req), b.rule, b.sample);
    });

    api.get('/api/v1/segments', async (req) => ({ segments: await listSegments(op, ws(req)) }));

    api.post('/api/v1/segments', async (req, reply) => {
      const b = parse(CreateBody, req.body, 'body');
      const actor = req.ctx!.actor;
      const seg = await saveSegment(op, es, ws(req), { ...b, createdBy: actor.email ?? `${actor.kind}:${actor.id}` });
      return reply.status(201).send(seg);
    });

    api.get('/api/v1/segments/:id', async (req) => found(req));

    api.patch('/api/v1/segments/:id', async (req) => {
      const { id } = parse(Params, req.params, 'params');
      return changeSegment(op, es, ws(req), id, parse(PatchBody, req.body, 'body'));
    });

    api.delete('/api/v1/segments/:id', async (req, reply) => {
      const { id } = parse(Params, req.params, 'params');
      await removeSegment(op, es, ws(req), id);
      return reply.status(204).send();
    });

    /** Refreshes the membership now (it also refreshes on its own: on a schedule and as events arrive). */
    api.post('/api/v1/segments/:id/refresh', async (req) => {
      const seg = await found(req);
      const counts = await refreshSegment(op, es, ws(req), seg);
      const now = (await getSegment(op, ws(req), seg.id))!;
      if (!counts) throw appError('CONFLICT', `the rule no longer evaluates: ${now.lastError}`, [{ path: 'rule', message: now.lastError ?? 'error' }]);
      return { ...counts, segment: now };
    });

    api.get('/api/v1/segments/:id/members', async (req) => {
      const seg = await found(req);
      const q = parse(Page, req.query, 'query');
      return { segmentId: seg.id, size: seg.size, refreshedAt: seg.refreshedAt, ...(await membersPage(es, ws(req), seg.id, q.cursor ?? null, q.limit)) };
    });

    api.get('/api/v1/segments/:id/changes', async (req) => {
      const seg = await found(req);
      const q = parse(ChangesPage, req.query, 'query');
      return { segmentId: seg.id, ...(await changesPage(es, ws(req), seg.id, q.cursor ?? null, q.limit)) };
    });

    api.get('/api/v1/segments/:id/history', async (req) => {
      const seg = await found(req);
      const q = parse(HistoryQuery, req.query, 'query');
      return { segmentId: seg.id, points: await sizeHistory(es, ws(req), seg.id, q.limit) };
    });
  });
}
