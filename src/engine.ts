import type { Config } from './platform/config.ts';
import { createLogger, type Logger } from './platform/logger.ts';
import { openOpStore, migrateOpStore, type OpStore } from './platform/opstore/index.ts';
import { openEventStoreDb, type EventStoreDb } from './platform/eventstore/duckdb.ts';
import { migrateEventStore } from './modules/events/index.ts';
import { IngestWriter, RateLimiter } from './modules/ingest/index.ts';
import { ensureFirstRun, type FirstRunSecrets } from './modules/workspaces/index.ts';
import { BackgroundWorkers } from './flows/background.ts';

/** Everything a running Liebian holds: stores, the ingest writer, background consumers. */
export interface Engine {
  config: Config;
  log: Logger;
  op: OpStore;
  es: EventStoreDb;
  writer: IngestWriter;
  limiter: RateLimiter;
  workers: BackgroundWorkers;
  firstRun: FirstRunSecrets | null;
  close(): Promise<void>;
}

export async function openStores(config: Config): Promise<{ op: OpStore; es: EventStoreDb }> {
  const op = await openOpStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrateOpStore(op);
    const es = await openEventStoreDb(config.dataDir);
    await migrateEventStore(es);
    return { op, es };
  } catch (e) {
    await op.close().catch(() => undefined);
    throw e;
  }
}

export async function startEngine(config: Config, opts: { background?: boolean; log?: Logger } = {}): Promise<Engine> {
  const log = opts.log ?? createLogger(config.logLevel);
  const { op, es } = await openStores(config);
  const firstRun = await ensureFirstRun(op, config.bootstrap);
  const writer = new IngestWriter(op, 5000, config.ingest.lanes, config.ingest.groupEvents);
  const workers = new BackgroundWorkers(op, es, log, () => writer.busy);
  if (opts.background !== false) workers.start();
  let closed = false;
  return {
    config, log, op, es, writer, workers, firstRun,
    limiter: new RateLimiter(config.rateLimitEventsPerSecond),
    async close() {
      if (closed) return;
      closed = true;
      await writer.drain();
      await workers.stop();
      await es.close();
      await op.close();
    },
  };
}
