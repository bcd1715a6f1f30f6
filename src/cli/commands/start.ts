import { loadConfig } from '../../platform/config.ts';
import { startEngine } from '../../engine.ts';
import { buildApp } from '../../http/app.ts';
import { loadDemoWorldIfEmpty } from '../../flows/demo-world.ts';

/** `liebian start`: the server, the console and the background consumers; a demo world on first start. */
export async function startCommand(): Promise<void> {
  const config = loadConfig();
  const engine = await startEngine(config);
  const app = await buildApp(engine);
  await app.fastify.listen({ port: config.port, host: config.host });
  const address = app.fastify.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://localhost:${port}`;
  engine.log.info({ url, operationalStore: engine.op.kind, dataDir: config.dataDir }, 'liebian listening');
  const lines = [`Liebian is running at ${url} (operational store: ${engine.op.kind}, data: ${config.dataDir})`];
  if (engine.firstRun) {
    const f = engine.firstRun;
    lines.push(
      'First start: the default workspace was created. These secrets are shown once:',
      `  console login:  ${f.adminEmail} / ${f.adminPassword}`,
      `  write key:      ${f.writeKey}   (collection: Basic auth user name at ${url}/v1/*)`,
      `  secret key:     ${f.secretKey}   (server API: Authorization: Bearer at ${url}/api/v1/*)`,
    );
  }
  process.stderr.write(lines.join('\n') + '\n');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    engine.log.info({ signal }, 'shutting down: finishing in-flight batches');
    const timer = setTimeout(() => process.exit(1), 30_000);
    timer.unref();
    await app.shutdown();
    engine.log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  if (config.demo) {
    loadDemoWorldIfEmpty(engine).catch((e) => engine.log.error({ err: (e as Error).message }, 'demo world failed'));
  }
}
