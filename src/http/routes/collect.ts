import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Engine } from '../../engine.ts';
import type { Authenticator } from '../auth.ts';
import type { Metrics } from '../metrics.ts';
import { registerRawBodyParsers } from '../body.ts';
import type { BatchParser } from '../batch/pool.ts';
import { unwire } from '../batch/parse.ts';
import { appError, isAppError } from '../../platform/errors.ts';
import { MESSAGE_TYPES, encodeMessage, type EncodedEvents, type MessageType } from '../../modules/ingest/index.ts';
import { getWorkspace } from '../../modules/workspaces/index.ts';

/**
 * Segment-compatible collection: /v1/batch (and /v1/import) plus one route per message type. The
 * batch routes take their bodies raw and have them decoded, parsed and validated by the batch
 * parser (on its threads for large bodies); errors keep the order of the other routes: the body's
 * encoding and JSON first, then the write key, then the events.
 */
export function collectRoutes(app: FastifyInstance, engine: Engine, auth: Authenticator, metrics: Metrics, parser: BatchParser) {
  const rateOf = new Map<string, { at: number; rate: number | undefined }>();
  const workspaceRate = async (ws: string) => {
    const hit = rateOf.get(ws);
    if (hit && Date.now() - hit.at < 5000) return hit.rate;
    const w = await getWorkspace(engine.op, ws).catch(() => null);
    const rate = w?.settings.rateLimitEventsPerSecond;
    rateOf.set(ws, { at: Date.now(), rate });
    return rate;
  };

  const store = async (workspaceId: string, list: EncodedEvents) => {
    const n = list.messageIds.length;
    const limited = engine.limiter.take(workspaceId, Math.max(1, n), await workspaceRate(workspaceId));
    if (!limited.ok) {
      metrics.rejected.inc({ reason: 'rate_limited' });
      throw appError('RATE_LIMITED', `this workspace is over its event rate; retry in ${limited.retryAfter} s`, undefined, limited.retryAfter);
    }
    try {
      await engine.writer.writeEncoded(workspaceId, list);
    } catch (e) {
      metrics.rejected.inc({ reason: 'store' });
      throw isAppError(e) ? e : appError('STORE_UNAVAILABLE', undefined, undefined, 5);
    }
    metrics.ingested.inc(n);
    return { success: true };
  };

  app.register(async (batch) => {
    registerRawBodyParsers(batch);
    for (const path of ['/v1/batch', '/v1/import']) {
      batch.post(path, async (req) => {
        engine.writer.expect();
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const parsed = await parser.parse(raw, req.headers['content-encoding'] as string | undefined, new Date());
        if (!parsed.ok && parsed.stage === 'parse') throw unwire(parsed.error);
        const ctx = await auth.collector(req, parsed.writeKey);
        if (!parsed.ok) throw unwire(parsed.error);
        return store(ctx.workspaceId, parsed.events);
      });
    }
  });

  const accept = async (req: FastifyRequest, events: () => EncodedEvents) => {
    engine.writer.expect();
    const ctx = await auth.collector(req);
    return store(ctx.workspaceId, events());
  };
  for (const type of MESSAGE_TYPES) {
    app.post(`/v1/${type}`, async (req) => accept(req, () => encodeMessage(req.body, 0, new Date(), type as MessageType)));
  }
}
