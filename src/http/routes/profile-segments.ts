import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Engine } from '../../engine.ts';
import type { Authenticator } from '../auth.ts';
import { parse } from '../validate.ts';
import { appError } from '../../platform/errors.ts';
import { segmentsOfProfile } from '../../flows/profile-segments.ts';

/** A person's saved segments (User 360 in the console; docs/api.md). */
export function profileSegmentRoutes(app: FastifyInstance, engine: Engine, auth: Authenticator) {
  app.register(async (api) => {
    api.addHook('preHandler', async (req) => {
      req.ctx = await auth.server(req);
    });

    api.get('/api/v1/users/:profileId/segments', async (req) => {
      const { profileId } = parse(z.object({ profileId: z.string().min(1).max(200) }), req.params, 'params');
      const r = await segmentsOfProfile(engine.op, engine.es, req.ctx!.workspaceId, profileId);
      if (!r) throw appError('NOT_FOUND', `no profile ${profileId}`);
      return r;
    });
  });
}
