import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Engine } from '../../engine.ts';
import type { Authenticator } from '../auth.ts';
import { parse } from '../validate.ts';
import { appError } from '../../platform/errors.ts';
import { FEATURE_NAMES, getModel, listModels } from '../../modules/clusters/index.ts';
import { createAutoSegments, removeAutoSegments } from '../../flows/segments-auto.ts';

/** Body of POST /api/v1/segments/auto (docs/segments.md, "Auto-segments"). */
export const AutoSegmentBody = z.object({
  k: z.number().int().min(2).max(20).optional(),
  features: z.array(z.enum(FEATURE_NAMES)).min(1).max(FEATURE_NAMES.length)
    .refine((a) => new Set(a).size === a.length, 'features must not repeat').optional(),
  seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
}).strict();

const ModelParams = z.object({ id: z.string().min(1).max(100) });

/** Auto-segments over the server API: fit, list, read, delete. */
export function autoSegmentRoutes(app: FastifyInstance, engine: Engine, auth: Authenticator) {
  const { op, es } = engine;
  const ws = (req: FastifyRequest) => req.ctx!.workspaceId;

  app.register(async (api) => {
    api.addHook('preHandler', async (req) => {
      req.ctx = await auth.server(req);
    });

    /** Fits k-means on the buyers' standardised features (k by silhouette unless given) and stores the model. */
    api.post('/api/v1/segments/auto', async (req, reply) => {
      const body = parse(AutoSegmentBody, req.body, 'body');
      const model = await createAutoSegments(op, es, ws(req), body);
      return reply.code(201).send(model);
    });

    /** The workspace's fitted models, newest first (summaries). */
    api.get('/api/v1/segments/auto', async (req) => ({ models: await listModels(op, ws(req)) }));

    /** One fitted model with its silhouettes and clusters. */
    api.get('/api/v1/segments/auto/:id', async (req) => {
      const { id } = parse(ModelParams, req.params, 'params');
      const model = await getModel(op, ws(req), id);
      if (!model) throw appError('NOT_FOUND', `no auto-segment model ${id}`);
      return model;
    });

    /** Deletes a model (409 while a saved segment uses one of its clusters). */
    api.delete('/api/v1/segments/auto/:id', async (req, reply) => {
      const { id } = parse(ModelParams, req.params, 'params');
      await removeAutoSegments(op, ws(req), id);
      return reply.code(204).send();
    });
  });
}
