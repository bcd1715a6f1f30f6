import fs from 'node:fs';
import { z } from 'zod';
import { cliEngine } from '../engine-for-cli.ts';
import { progressBar } from '../progress.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { runImport } from '../import/run.ts';
import { parseMapping } from '../import/mapping.ts';

const Options = z.object({
  format: z.enum(['ndjson', 'csv']).optional(),
  map: z.string().optional(),
  type: z.enum(['track', 'identify', 'page', 'screen', 'group', 'alias']).default('track'),
  event: z.string().max(500).optional(),
  delimiter: z.enum([',', 'comma', 'tab', 'whitespace']).default(','),
  skipInvalid: z.boolean().default(false),
  workspace: z.string().min(1).default('default'),
  dataDir: z.string().optional(),
  batchSize: z.coerce.number().int().min(1).max(5000).default(500),
});

/** `liebian import <file>`: NDJSON (Segment messages) or CSV with a column mapping; resumable. */
export async function importCommand(file: string, raw: Record<string, unknown>): Promise<void> {
  const p = Options.safeParse(raw);
  if (!p.success) throw new CliError(`invalid option: ${p.error.issues.map((i) => `--${String(i.path[0])} ${i.message}`).join('; ')}`, EXIT.USAGE);
  const o = p.data;
  if (!fs.existsSync(file)) throw new CliError(`no such file: ${file}`, EXIT.INPUT);
  const format = o.format ?? (/\.(csv|tsv|txt)$/i.test(file) ? 'csv' : 'ndjson');
  let mapping;
  if (format === 'csv') {
    if (!o.map) throw new CliError('CSV needs --map target=column,... (e.g. --map userId=customer_id,timestamp=date,properties.total=amount)', EXIT.USAGE);
    if (o.type === 'track' && !o.event && !o.map.split(',').some((x) => x.trim().startsWith('event='))) throw new CliError('CSV track rows need --event NAME or --map event=<column>', EXIT.USAGE);
    try {
      mapping = parseMapping(o.map, o.type, o.event);
    } catch (e) {
      throw new CliError((e as Error).message, EXIT.USAGE);
    }
  }
  const delimiter = o.delimiter === 'tab' ? '\t' : o.delimiter === 'comma' ? ',' : o.delimiter;
  const engine = await cliEngine(o.dataDir);
  const bar = progressBar('import', fs.statSync(file).size);
  try {
    const r = await runImport(engine, { file, format, workspace: o.workspace, mapping, delimiter, skipInvalid: o.skipInvalid, batchSize: o.batchSize, onProgress: (b, t) => bar.update(b, t) });
    bar.stop();
    await engine.workers.waitIdle();
    process.stderr.write(`import: ${r.imported} events stored, ${r.skipped} invalid lines skipped${r.resumedFrom ? `, resumed at byte ${r.resumedFrom}` : ''}\n`);
  } catch (e) {
    bar.stop();
    if ((e as { code?: string }).code === 'INPUT') throw new CliError((e as Error).message, EXIT.INPUT);
    throw e;
  } finally {
    await engine.close();
  }
}
