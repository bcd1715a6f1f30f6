import fs from 'node:fs';
import { z } from 'zod';
import { eventQueries } from '../../modules/events/index.ts';
import { loadConfig } from '../../platform/config.ts';
import { openStores } from '../../engine.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import path from 'node:path';
import { pumpBatch } from '../../flows/pump-events.ts';

const Options = z.object({
  dataDir: z.string().optional(),
  since: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'not a date').optional(),
  workspace: z.string().min(1).default('default'),
  out: z.string().optional(),
});

/** `liebian export events`: the workspace's events as NDJSON (Segment shape) from the stores; the server must be stopped. */
export async function exportEventsCommand(raw: Record<string, unknown>): Promise<void> {
  const p = Options.safeParse(raw);
  if (!p.success) throw new CliError(`invalid option: ${p.error.issues.map((i) => `--${String(i.path[0])} ${i.message}`).join('; ')}`, EXIT.USAGE);
  const o = p.data;
  const env = { ...process.env };
  if (o.dataDir) env.LIEBIAN_DATA_DIR = path.resolve(o.dataDir);
  const config = loadConfig(env);
  if (!config.databaseUrl && !fs.existsSync(config.dataDir)) throw new CliError(`no data dir at ${config.dataDir}`, EXIT.INPUT);
  let stores;
  try {
    stores = await openStores(config);
  } catch (e) {
    throw new CliError(`cannot open the stores in ${config.dataDir} (is the server running? stop it first): ${(e as Error).message}`, EXIT.STORE_UNAVAILABLE);
  }
  // Events acknowledged but not yet copied to the event store (a server stopped mid-stream) come first.
  while ((await pumpBatch(stores.op, stores.es)) > 0);
  const out: NodeJS.WritableStream = o.out ? fs.createWriteStream(o.out) : process.stdout;
  try {
    const n = await eventQueries.exportEvents(stores.es, o.workspace, o.since ? new Date(o.since) : null, async (line) => {
      if (!out.write(line + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
    });
    if (o.out) await new Promise<void>((r) => (out as fs.WriteStream).end(r));
    process.stderr.write(`export: ${n} events\n`);
  } finally {
    await stores.es.close();
    await stores.op.close();
  }
}
