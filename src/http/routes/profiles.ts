import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Engine } from '../../engine.ts';
import type { Authenticator } from '../auth.ts';
import { parse } from '../validate.ts';
import { appError } from '../../platform/errors.ts';
import { getProfile } from '../../modules/identity/index.ts';
import { getChurnModel, getRun, getTraits, lifecycleCounts, lifecycleDaily, lifecycleHistoryOf, rfmGrid, isoDay, dayNumber, topInfluencers } from '../../modules/profiles/index.ts';

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use YYYY-MM-DD').refine((d) => Number.isFinite(Date.parse(d + 'T00:00:00Z')), 'not a date');

/** Computed profiles over the server API (docs/profiles.md): a person's traits, the RFM grid, lifecycle. */
export function profileRoutes(app: FastifyInstance, engine: Engine, auth: Authenticator) {
  const { op, es } = engine;
  const ws = (req: FastifyRequest) => req.ctx!.workspaceId;

  app.register(async (api) => {
    api.addHook('preHandler', async (req) => {
      req.ctx = await auth.server(req);
    });

    /** A profile's computed traits (a merged-away id answers for its canonical profile), lifecycle history and churn model quality. */
    api.get('/api/v1/users/:profileId/traits', async (req) => {
      const { profileId } = parse(z.object({ profileId: z.string().min(1).max(200) }), req.params, 'params');
      const profile = await getProfile(op, ws(req), profileId);
      if (!profile) throw appError('NOT_FOUND', `no profile ${profileId}`);
      const traits = await getTraits(es, ws(req), profile.profileId);
      const model = traits ? await getChurnModel(es, ws(req), traits.asOf) : null;
      return {
        profileId: profile.profileId,
        asOf: traits?.asOf ?? null,
        traits,
        lifecycleHistory: await lifecycleHistoryOf(es, ws(req), profile.profileId),
        churnModel: model ? { ...model.metrics, trainedAt: model.trainedAt } : null,
      };
    });

    /** The R × F grid (counts and revenue per cell) and the named segments of the workspace's buyers. */
    api.get('/api/v1/analytics/rfm', async (req) => {
      const run = await getRun(es, ws(req));
      return { ...(await rfmGrid(es, ws(req))), windowDays: run?.settings.rfm.windowDays ?? null, computedAt: run?.computedAt ?? null };
    });

    /** The top influencers: by PageRank centrality (default) or by GMV downstream of their shares (docs/profiles.md, "Social influence"). */
    api.get('/api/v1/analytics/influencers', async (req) => {
      const q = parse(z.object({
        limit: z.coerce.number().int().min(1).max(1000).default(20),
        by: z.enum(['centrality', 'downstreamGmv']).default('centrality'),
      }), req.query, 'query');
      const run = await getRun(es, ws(req));
      return { asOf: run?.asOf ?? null, by: q.by, depth: run?.settings.influence?.depth ?? null, influencers: await topInfluencers(es, ws(req), q.by, q.limit) };
    });

    /** Profiles per lifecycle stage now, daily counts per stage and the flows between stages over a range (default the 90 days to the as-of day). */
    api.get('/api/v1/analytics/lifecycle', async (req) => {
      const q = parse(z.object({ from: Day.optional(), to: Day.optional() }), req.query, 'query');
      const run = await getRun(es, ws(req));
      const to = q.to ?? run?.asOf ?? new Date().toISOString().slice(0, 10);
      const from = q.from ?? isoDay(dayNumber(to) - 89);
      if (from > to) throw appError('VALIDATION_FAILED', 'query.from: must not be after to', [{ path: 'query.from', message: 'must not be after to' }]);
      if (dayNumber(to) - dayNumber(from) > 3660) throw appError('VALIDATION_FAILED', 'query.from: the range is at most 10 years', [{ path: 'query.from', message: 'range too long' }]);
      return { asOf: run?.asOf ?? null, stages: await lifecycleCounts(es, ws(req)), from, to, ...(await lifecycleDaily(es, ws(req), from, to)) };
    });
  });
}
