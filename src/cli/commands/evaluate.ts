import type { Command } from 'commander';
import fs from 'node:fs';
import { z } from 'zod';
import { isModelName, MODEL_NAMES, runEvaluation, toJsonReport, toMarkdownReport, type ModelParams } from '../../modules/recommend/index.ts';
import { CliError, EXIT } from '../exit-codes.ts';

const list = (what: string) => z.string().transform((s, c) => {
  const items = s.split(',').map((x) => x.trim()).filter(Boolean);
  if (items.length === 0) c.addIssue({ code: 'custom', message: `give at least one ${what}` });
  return items;
});

export const EvaluateOptions = z.object({
  dataset: z.string().min(1),
  split: z.enum(['random', 'time', 'leave-last-n']),
  testFraction: z.coerce.number().gt(0).lt(1),
  leaveN: z.coerce.number().int().min(1),
  seed: z.coerce.number().int(),
  k: list('cut-off').pipe(z.array(z.string().regex(/^\d+$/, 'cut-offs are positive integers').transform(Number).pipe(z.number().int().min(1).max(1000)))),
  models: list('model').pipe(z.array(z.string().refine(isModelName, { message: `unknown model; use ${MODEL_NAMES.join(', ')}` }))),
  format: z.enum(['md', 'json']),
  minUserItems: z.coerce.number().int().min(1),
  minItemUsers: z.coerce.number().int().min(1),
  threads: z.coerce.number().int().min(1).max(64).optional(),
  param: z.array(z.string().regex(/^[a-z-]+\.[A-Za-z]+=.+$/, 'use model.setting=value')),
  catalogOnly: z.boolean().optional(),
  out: z.string().optional(),
});

/**
 * `liebian evaluate`: offline evaluation of the recommenders on a dataset directory (the public
 * datasets' layouts or Liebian's own, see docs/recommend.md). Progress on stderr, the report on
 * stdout (or --out). Exit 2 on a bad option, 5 on an unreadable dataset.
 */
export function registerEvaluateCommand(program: Command): void {
  program
    .command('evaluate')
    .description('offline evaluation of the recommendation models on a dataset (NDCG, recall, precision, MAP, hit rate, coverage, diversity, novelty, training time, memory)')
    .requiredOption('--dataset <dir>', 'dataset directory (lastfm-hetrec2011, amazon-hin, taobao-ehcf layouts, or interactions.tsv)')
    .option('--split <random|time|leave-last-n>', 'per-user split', 'random')
    .option('--test-fraction <f>', 'share of each user\'s items held out (random, time)', '0.2')
    .option('--leave-n <n>', 'items held out per user (leave-last-n)', '1')
    .option('--seed <n>', 'random seed', '42')
    .option('--k <list>', 'cut-offs', '10,20')
    .option('--models <list>', `models (${MODEL_NAMES.join(', ')})`, MODEL_NAMES.join(','))
    .option('--format <md|json>', 'report format', 'md')
    .option('--min-user-items <n>', 'drop users with fewer items before splitting', '5')
    .option('--min-item-users <n>', 'after splitting, drop items with fewer training users', '2')
    .option('--threads <n>', 'threads for EASE\'s solver and ALS (default: up to 2)')
    .option('--param <model.setting=value>', 'a model setting, e.g. ease.lambda=500 or hybrid.components=ease|itemknn (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--catalog-only', 'count only held-out items still in the catalog as relevant')
    .option('--out <file>', 'write the report to a file instead of stdout')
    .action((opts) => evaluateCommand(opts));
}

export async function evaluateCommand(raw: Record<string, unknown>): Promise<void> {
  const parsed = EvaluateOptions.safeParse(raw);
  if (!parsed.success) throw new CliError(`invalid option: ${parsed.error.issues.map((i) => `--${kebab(String(i.path[0]))} ${i.message}`).join('; ')}`, EXIT.USAGE);
  const o = parsed.data;
  if (!fs.existsSync(o.dataset)) throw new CliError(`no dataset at ${o.dataset}`, EXIT.INPUT);
  const params = parseParams(o.param);
  const log = (line: string) => process.stderr.write(`evaluate: ${line}\n`);
  let run;
  try {
    run = await runEvaluation({
      dataset: o.dataset,
      split: o.split,
      testFraction: o.testFraction,
      leaveN: o.leaveN,
      seed: o.seed,
      k: o.k,
      models: o.models,
      params,
      minUserItems: o.minUserItems,
      minItemTrainUsers: o.minItemUsers,
      threads: o.threads,
      catalogOnly: o.catalogOnly,
      log,
    });
  } catch (e) {
    const msg = (e as Error).message;
    if (/unrecognised dataset|not a directory|ENOENT|expected \d+ fields|not a number|no timestamps/.test(msg)) throw new CliError(msg, EXIT.INPUT);
    throw e;
  }
  const text = o.format === 'json' ? JSON.stringify(toJsonReport(run.meta, run.result), null, 2) + '\n' : toMarkdownReport(run.meta, run.result);
  if (o.out) fs.writeFileSync(o.out, text);
  else process.stdout.write(text);
}

/** `model.setting=value` → { model: { setting: value } }; numbers and booleans parsed, `a|b` lists. */
export function parseParams(items: string[]): ModelParams {
  const out: Record<string, Record<string, unknown>> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    const [model, key] = item.slice(0, eq).split('.') as [string, string];
    const rawValue = item.slice(eq + 1);
    if (!isModelName(model)) throw new CliError(`invalid option: --param ${item}: unknown model ${model}`, EXIT.USAGE);
    const scalar = (s: string): unknown => (s === 'true' ? true : s === 'false' ? false : s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : s);
    const value = rawValue.includes('|') || key === 'components' || key === 'grid' ? rawValue.split('|').filter(Boolean).map(scalar) : scalar(rawValue);
    (out[model] ??= {})[key] = value;
  }
  return out as ModelParams;
}

function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
