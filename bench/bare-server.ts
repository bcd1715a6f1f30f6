/**
 * The ingest bench's baseline: a bare Fastify server with only `POST /v1/batch`, which parses the
 * body with Liebian's own body parser (gzip/JSON, prototype-poisoning protection) and validates it
 * with Liebian's own `encodeBatch` (what the real route runs: zod schema, limits, clock-skew
 * correction, the stored JSON the size limit is measured on), then answers
 * `{"success":true}`. No authentication, no rate limiting, no store: the ceiling the real route could
 * reach if durability cost nothing. Started by bench/ingest.ts as a child process; prints
 * `listening <port>` on stdout.
 */
import Fastify from 'fastify';
import { registerBodyParsers, HARD_BODY_LIMIT } from '../src/http/body.ts';
import { registerErrorHandling } from '../src/http/errors.ts';
import { encodeBatch } from '../src/modules/ingest/index.ts';

const app = Fastify({ logger: false, bodyLimit: HARD_BODY_LIMIT });
registerBodyParsers(app);
registerErrorHandling(app);
let sink = 0;
app.post('/v1/batch', async (req) => {
  const events = encodeBatch(req.body, req.bodyBytes ?? 0, new Date());
  sink += events.messageIds.length;
  return { success: true };
});
app.get('/healthz', async () => ({ status: 'ok', events: sink }));

const port = Number(process.env.PORT ?? 0);
await app.listen({ port, host: '127.0.0.1' });
const a = app.server.address();
process.stdout.write(`listening ${typeof a === 'object' && a ? a.port : port}\n`);
const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
