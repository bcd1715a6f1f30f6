import type { Command } from 'commander';
import { z } from 'zod';
import { cliEngine } from '../engine-for-cli.ts';
import { progressBar } from '../progress.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { isAppError } from '../../platform/errors.ts';
import { recomputeAll, type RecomputePhase } from '../../flows/traits-recompute.ts';

const Options = z.object({
  dataDir: z.string().optional(),
  asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use YYYY-MM-DD').refine((d) => Number.isFinite(Date.parse(d + 'T00:00:00Z')), 'not a date').optional(),
  workspace: z.string().min(1).default('default'),
  retrainChurn: z.boolean().default(false),
});

const PHASES: RecomputePhase[] = ['settings', 'identities', 'churn model', 'social actions', 'lifecycle', 'traits', 'commit', 'indexes', 'done'];

/**
 * `liebian recompute`: full recompute of the computed traits of a workspace (identity mirror,
 * purchase facts, interests, RFM, lifecycle history, churn model and scores), after the stores
 * have taken in every acknowledged event. Prints a JSON summary on stdout.
 */
export async function recomputeCommand(raw: Record<string, unknown>): Promise<void> {
  const p = Options.safeParse(raw);
  if (!p.success) throw new CliError(`invalid option: ${p.error.issues.map((i) => `--${String(i.path[0]).replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} ${i.message}`).join('; ')}`, EXIT.USAGE);
  const o = p.data;
  const engine = await cliEngine(o.dataDir);
  const bar = progressBar('recompute', PHASES.length - 1);
  try {
    await engine.workers.waitIdle();
    const r = await recomputeAll(engine.op, engine.es, {
      workspace: o.workspace, asOf: o.asOf, retrainChurn: o.retrainChurn,
      onPhase: (phase) => bar.update(PHASES.indexOf(phase)),
    });
    bar.stop();
    process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    const c = r.churn;
    process.stderr.write(
      `recompute: ${r.profiles} profiles (${r.buyers} buyers) of workspace ${r.workspace} as of ${r.asOf}${r.live ? ' (live)' : ''} in ${(r.ms / 1000).toFixed(1)} s` +
      (c?.auc != null ? `; churn AUC ${c.auc.toFixed(3)} vs recency-only ${c.baselineAuc?.toFixed(3)} on the ${c.holdoutCutoff} holdout` : '') + '\n',
    );
  } catch (e) {
    bar.stop();
    if (isAppError(e) && (e.code === 'NOT_FOUND' || e.code === 'VALIDATION_FAILED')) throw new CliError(e.message, EXIT.INPUT);
    throw e;
  } finally {
    await engine.close();
  }
}

export function registerRecomputeCommand(program: Command) {
  program
    .command('recompute')
    .description('recompute every computed trait of a workspace (RFM, lifecycle, churn risk, purchase facts) from the event store')
    .option('--data-dir <dir>', 'data dir (default LIEBIAN_DATA_DIR or ./data); the server must be stopped')
    .option('--as-of <YYYY-MM-DD>', 'compute as of the end of this day (UTC) and pin it; default today, following the calendar')
    .option('--workspace <id>', 'workspace', 'default')
    .option('--retrain-churn', 'retrain the churn model even if one exists for this as-of day')
    .action((opts) => recomputeCommand(opts));
}
