import os from 'node:os';
import type { Command } from 'commander';
import { z } from 'zod';
import { cliEngine } from '../engine-for-cli.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { SERVING_COMPONENTS, type ModelReport, type TrainingSettings } from '../../modules/recommend/index.ts';
import { trainWorkspace } from '../../flows/recommend-train.ts';

const Options = z.object({
  dataDir: z.string().optional(),
  workspace: z.string().min(1).default('default'),
  models: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(SERVING_COMPONENTS, { message: `unknown model; use ${SERVING_COMPONENTS.join(', ')}` })).min(1))
    .optional(),
  threads: z.coerce.number().int().min(1).max(64).optional(),
  seed: z.coerce.number().int().default(42),
  format: z.enum(['md', 'json']).default('md'),
});

/**
 * `liebian train`: trains a workspace's recommendation models from the stores (interactions, the
 * social graph, baskets, the catalog), measures each on a validation split and writes a new
 * snapshot version under `<dataDir>/models/<workspace>/` (a running server on that data dir picks
 * it up from CURRENT; the server must be stopped for the CLI to open the stores). Progress per
 * model on stderr, a report on stdout. Exit 5 when there is not enough data.
 */
export async function trainCommand(raw: Record<string, unknown>): Promise<void> {
  const p = Options.safeParse(raw);
  if (!p.success) throw new CliError(`invalid option: ${p.error.issues.map((i) => `--${String(i.path[0]).replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} ${i.message}`).join('; ')}`, EXIT.USAGE);
  const o = p.data;
  const engine = await cliEngine(o.dataDir);
  const t0 = performance.now();
  const log = (line: string) => process.stderr.write(`train: [${((performance.now() - t0) / 1000).toFixed(1)} s] ${line}\n`);
  try {
    await engine.workers.waitIdle();
    const out = await trainWorkspace({ op: engine.op, es: engine.es, dataDir: engine.config.dataDir }, o.workspace, {
      models: o.models as TrainingSettings['models'] | undefined,
      threads: o.threads ?? Math.min(2, os.availableParallelism()),
      worker: false,
      seed: o.seed,
      onProgress: (pr) => {
        if (pr.phase === 'fit' && pr.index) log(`[${pr.index}/${pr.total}] ${pr.message}`);
        else if (pr.phase !== 'validate' || /^hybrid: (round|alone|tuning)/.test(pr.message)) log(pr.message);
      },
    });
    if (out.outcome === 'skipped') throw new CliError(`workspace ${o.workspace}: ${out.reason}`, EXIT.INPUT);
    const m = out.result.meta;
    if (o.format === 'json') process.stdout.write(JSON.stringify({ version: m.version, dir: out.result.dir, trainedAt: m.trainedAt, counts: m.counts, hybrid: m.hybrid, validation: m.validation, models: m.models, trainSeconds: m.trainSeconds }, null, 2) + '\n');
    else process.stdout.write(report(m.version, out.result.dir, m.counts, m.validation, m.models, m.trainSeconds));
  } finally {
    await engine.close();
  }
}

function report(version: string, dir: string, counts: Record<string, number>, v: { users: number; k: number; split: string }, models: Record<string, ModelReport>, seconds: number): string {
  const lines = [
    `model ${version} (${dir})`,
    `${counts.users} users (${counts.usersWithLists} with precomputed lists), ${counts.items} items, ${counts.interactions} interactions, ${counts.edges} social ties, ${counts.baskets} baskets; trained in ${seconds.toFixed(1)} s`,
    `validation: ${v.users} users, ${v.split}`,
    '',
    `| model | weight | NDCG@${v.k} | Recall@${v.k} | Precision@${v.k} | HitRate@${v.k} | Coverage@${v.k} | train s | peak alloc MB | model MB |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [name, r] of Object.entries(models)) {
    const x = r.metrics;
    lines.push(`| ${name} | ${r.weight} | ${f(x[`ndcg@${v.k}`])} | ${f(x[`recall@${v.k}`])} | ${f(x[`precision@${v.k}`])} | ${f(x[`hit@${v.k}`])} | ${f(x[`coverage@${v.k}`])} | ${r.train_seconds.toFixed(2)} | ${r.peak_alloc_mb} | ${r.model_mb} |`);
  }
  return lines.join('\n') + '\n';
}

const f = (v: number | undefined) => (v === undefined ? '' : v.toFixed(4));

export function registerTrainCommand(program: Command) {
  program
    .command('train')
    .description('train the recommendation models of a workspace from the stores and write a new model version (progress per model)')
    .option('--data-dir <dir>', 'data dir (default LIEBIAN_DATA_DIR or ./data); the server must be stopped')
    .option('--workspace <id>', 'workspace', 'default')
    .option('--models <list>', `hybrid components (${SERVING_COMPONENTS.join(', ')}); default the workspace's settings`)
    .option('--threads <n>', 'threads for EASE\'s solver and ALS (default: up to 2)')
    .option('--seed <n>', 'random seed', '42')
    .option('--format <md|json>', 'report format', 'md')
    .action((opts) => trainCommand(opts));
}
