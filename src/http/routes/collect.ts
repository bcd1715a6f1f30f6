import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Engine } from '../../engine.ts';
import type { Authenticator } from '../auth.ts';
import type { Metrics } from '../metrics.ts';
import { appError, isAppError } from '../../platform/errors.ts';
import { MESSAGE_TYPES, encodeBatch, encodeMessage, type EncodedEvents, type MessageType } from '../../modules/ingest/index.ts';
import { getWorkspace } from '../../modules/workspaces/index.ts';

/** Segment-compatible collection: /v1/batch (and /v1/import) plus one route per message type. */
export function collectRoutes(app: FastifyInstance, engine: Engine, auth: Authenticator, metrics: Metrics) {
  const rateOf = new Map<string, { at: number; rate: number | undefined }>();
  const workspaceRate = async (ws: string) => {
    const hit = rateOf.get(ws);
    if (hit && Date.now() - hit.at < 5000) return hit.rate;
    const w = await getWorkspace(engine.op, ws).catch(() => null);
    const rate = w?.settings.rateLimitEventsPerSecond;
    rateOf.set(ws, { at: Date.now(), rate });
    return rate;
  };

  const accept = async (req: FastifyRequest, events: () => EncodedEvents) => {
    const ctx = await auth.collector(req);
    const list = events();
    const limited = engine.limiter.take(ctx.workspaceId, Math.max(1, list.messageIds.length), await workspaceRate(ctx.workspaceId));
    if (!limited.ok) {
      metrics.rejected.inc({ reason: 'rate_limited' });
      throw appError('RATE_LIMITED', `this workspace is over its event rate; retry in ${limited.retryAfter} s`, undefined, limited.retryAfter);
    }
    try {
      await engine.writer.writeEncoded(ctx.workspaceId, list);
    } catch (e) {
      metrics.rejected.inc({ reason: 'store' });
      throw isAppError(e) ? e : appError('STORE_UNAVAILABLE', undefined, undefined, 5);
    }
    metrics.ingested.inc(list.messageIds.length);
    return { success: true };
  };

  for (const path of ['/v1/batch', '/v1/import']) {
    app.post(path, async (req) => accept(req, () => encodeBatch(req.body, req.bodyBytes ?? 0, new Date())));
  }
  for (const type of MESSAGE_TYPES) {
    app.post(`/v1/${type}`, async (req) =>
      accept(req, () => encodeMessage(req.body, 0, new Date(), type as MessageType)),
    );
  }
}
