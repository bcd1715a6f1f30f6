import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Engine } from '../../engine.ts';
import type { Authenticator } from '../auth.ts';
import { parse } from '../validate.ts';
import { exportSegmentCsv, DEFAULT_EXPORT_TRAITS } from '../../flows/segments-export.ts';

const Params = z.object({ id: z.string().min(1).max(100) });
/** `traits`: comma-separated trait names (camelCase); empty = only profileId and userId. Default: DEFAULT_EXPORT_TRAITS. */
const Query = z.object({ traits: z.string().max(2000).optional() });

/** GET /api/v1/segments/:id/export.csv: the members as a formula-safe CSV (docs/segments.md, "Export"). */
export function segmentExportRoutes(app: FastifyInstance, engine: Engine, auth: Authenticator) {
  app.register(async (api) => {
    api.addHook('preHandler', async (req) => {
      req.ctx = await auth.server(req);
    });

    api.get('/api/v1/segments/:id/export.csv', async (req, reply) => {
      const { id } = parse(Params, req.params, 'params');
      const q = parse(Query, req.query, 'query');
      const traits = q.traits === undefined ? DEFAULT_EXPORT_TRAITS : q.traits.split(',').map((s) => s.trim()).filter(Boolean);
      const { stream } = await exportSegmentCsv(engine.op, engine.es, req.ctx!.workspaceId, id, traits);
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', `attachment; filename="segment-${id.replace(/[^A-Za-z0-9_-]/g, '_')}.csv"`);
      reply.header('cache-control', 'no-store');
      return reply.send(stream);
    });
  });
}
