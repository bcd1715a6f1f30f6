import { z } from 'zod';
import { simulate } from '../../sim/index.ts';
import { ingestMessages } from '../../flows/ingest-messages.ts';
import { cliEngine } from '../engine-for-cli.ts';
import { progressBar } from '../progress.ts';
import { CliError, EXIT } from '../exit-codes.ts';

export const SimulateOptions = z.object({
  users: z.coerce.number().int().min(1).max(10_000_000),
  days: z.coerce.number().int().min(1).max(3650),
  seed: z.coerce.number().int(),
  startDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use YYYY-MM-DD').optional(),
  workspace: z.string().min(1).default('default'),
  dataDir: z.string().optional(),
  url: z.string().url().optional(),
  writeKey: z.string().optional(),
});

/**
 * `liebian simulate`: writes a deterministic world through the ingestion path — in-process into a
 * data dir (server stopped), or over HTTP to a running server (`--url` and `--write-key`).
 */
export async function simulateCommand(raw: Record<string, unknown>): Promise<void> {
  const parsed = SimulateOptions.safeParse(raw);
  if (!parsed.success) throw new CliError(`invalid option: ${parsed.error.issues.map((i) => `--${String(i.path[0])} ${i.message}`).join('; ')}`, EXIT.USAGE);
  const o = parsed.data;
  if (o.url && !o.writeKey) throw new CliError('--url needs --write-key', EXIT.USAGE);
  const sim = simulate({ users: o.users, days: o.days, seed: o.seed, startDate: o.startDate }, 500);
  const bar = progressBar('simulate', sim.estimateEvents());
  let n = 0;
  const t0 = Date.now();
  if (o.url) {
    const auth = 'Basic ' + Buffer.from(o.writeKey + ':').toString('base64');
    for (const batch of sim.batches()) {
      for (let attempt = 0; ; attempt++) {
        const r = await fetch(new URL('/v1/batch', o.url), { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body: JSON.stringify({ batch }) }).catch((e: Error) => ({ ok: false, status: 0, text: async () => e.message, headers: new Headers() }));
        if (r.ok) break;
        if ((r.status === 429 || r.status >= 500 || r.status === 0) && attempt < 20) {
          await new Promise((res) => setTimeout(res, 1000 * Math.min(5, Number(r.headers.get('retry-after') ?? 1))));
          continue;
        }
        throw new CliError(`the server refused a batch (${r.status}): ${await r.text()}`, EXIT.FAILED);
      }
      n += batch.length;
      bar.update(n);
    }
  } else {
    const engine = await cliEngine(o.dataDir);
    try {
      const inFlight: Promise<number>[] = [];
      for (const batch of sim.batches()) {
        inFlight.push(ingestMessages(engine, o.workspace, batch));
        if (inFlight.length >= 8) {
          n += await inFlight.shift()!;
          bar.update(n);
        }
      }
      for (const p of inFlight) n += await p;
      bar.update(n, n);
      await engine.workers.waitIdle();
    } finally {
      await engine.close();
    }
  }
  bar.stop();
  process.stderr.write(`simulate: ${n} events for ${o.users} users over ${o.days} days (seed ${o.seed}) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
