import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Engine } from '../engine.ts';
import { Authenticator } from './auth.ts';
import { registerBodyParsers, HARD_BODY_LIMIT } from './body.ts';
import { registerErrorHandling, sendError } from './errors.ts';
import { createMetrics } from './metrics.ts';
import { collectRoutes } from './routes/collect.ts';
import { BatchParser } from './batch/pool.ts';
import { apiRoutes } from './routes/api.ts';
import { profileRoutes } from './routes/profiles.ts';
import { appError } from '../platform/errors.ts';
import { outboxBacklog } from '../modules/ingest/index.ts';

const CONSOLE_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../console/dist');

export interface App {
  fastify: FastifyInstance;
  /** Stops taking requests, finishes in-flight ones, then closes the engine. */
  shutdown(): Promise<void>;
}

export async function buildApp(engine: Engine): Promise<App> {
  const fastify = Fastify({
    // Per-request logs are info level; the http child logs warnings and errors only (ingest is hot).
    loggerInstance: engine.log.child({ component: 'http' }, { level: 'warn' }) as unknown as FastifyBaseLogger,
    bodyLimit: HARD_BODY_LIMIT,
    trustProxy: true,
    requestIdHeader: 'x-request-id',
    return503OnClosing: true,
    // Longer than any id limit the routes' zod schemas set, so an over-long id gets their coded 400
    // naming the parameter rather than the router's bare 414.
    routerOptions: { maxParamLength: 1024 },
  });
  let shuttingDown = false;
  const metrics = createMetrics();
  const auth = new Authenticator(engine);

  registerBodyParsers(fastify);
  registerErrorHandling(fastify);

  fastify.addHook('onRequest', async (req) => {
    (req as unknown as { startedAt: bigint }).startedAt = process.hrtime.bigint();
    if (shuttingDown && req.url.startsWith('/v1/')) throw appError('SHUTTING_DOWN', undefined, undefined, 5);
  });
  fastify.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    const started = (req as unknown as { startedAt?: bigint }).startedAt;
    if (started) metrics.latency.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
  });

  fastify.get('/healthz', async () => ({ status: 'ok' }));
  fastify.get('/readyz', async (_req, reply) => {
    if (shuttingDown) return sendError(reply, appError('SHUTTING_DOWN', undefined, undefined, 5));
    try {
      await engine.op.query('select 1');
      await engine.es.read('select 1');
    } catch {
      return sendError(reply, appError('STORE_UNAVAILABLE', 'a store is not answering', undefined, 5));
    }
    return { status: 'ready', stores: { operational: engine.op.kind, events: 'duckdb' } };
  });
  fastify.get('/metrics', async (_req, reply) => {
    for (const c of ['eventstore', 'projector']) metrics.backlog.set({ consumer: c }, await outboxBacklog(engine.op, c).catch(() => -1));
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  const batchParser = new BatchParser(engine.config.ingest.parseThreads, engine.log.child({ component: 'ingest' }));
  collectRoutes(fastify, engine, auth, metrics, batchParser);
  apiRoutes(fastify, engine, auth);
  profileRoutes(fastify, engine, auth);
  (await import('./routes/recommend.ts')).recommendRoutes(fastify, engine, auth);
  (await import('./routes/segments.ts')).segmentRoutes(fastify, engine, auth);
  (await import('./routes/profile-segments.ts')).profileSegmentRoutes(fastify, engine, auth);
  (await import('./routes/segments-auto.ts')).autoSegmentRoutes(fastify, engine, auth);
  (await import('./routes/segments-export.ts')).segmentExportRoutes(fastify, engine, auth);
  (await import('./routes/tags.ts')).tagRoutes(fastify, engine, auth);

  const hasConsole = fs.existsSync(path.join(CONSOLE_DIST, 'index.html'));
  if (hasConsole) await fastify.register(fastifyStatic, { root: CONSOLE_DIST, wildcard: false });
  fastify.setNotFoundHandler((req, reply) => {
    const pathOnly = req.url.split('?')[0] ?? '';
    // Client-side routes get the app; a missing file (an old asset name) gets a real 404.
    if (req.method === 'GET' && hasConsole && !pathOnly.startsWith('/api/') && !pathOnly.startsWith('/v1/') && !/\.[a-z0-9]+$/i.test(pathOnly)) {
      return reply.type('text/html').sendFile('index.html');
    }
    return sendError(reply, appError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`));
  });

  return {
    fastify,
    async shutdown() {
      shuttingDown = true;
      await fastify.close();
      await batchParser.close();
      await engine.close();
    },
  };
}
