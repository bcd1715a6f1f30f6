/**
 * Diagnostic variant for the ingest bench (`--sides liebian,bare,ack-only`): exactly what
 * `liebian start` runs (config from the environment, engine, HTTP app, auth, rate limiter, durable
 * group-commit writer) except that the background consumers (event-store pump, read-model projector,
 * outbox trim) are not started. The difference to the real server is what those consumers take
 * from acknowledgements when they share the process (and, with PGlite, the one database thread).
 */
import { loadConfig } from '../src/platform/config.ts';
import { startEngine } from '../src/engine.ts';
import { buildApp } from '../src/http/app.ts';

const config = loadConfig();
const engine = await startEngine(config, { background: false });
const app = await buildApp(engine);
await app.fastify.listen({ port: config.port, host: config.host });
const stop = () => void app.shutdown().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
