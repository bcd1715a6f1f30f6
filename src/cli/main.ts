import { Command, CommanderError } from 'commander';
import { ConfigError } from '../platform/config.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { startCommand } from './commands/start.ts';
import { migrateCommand } from './commands/migrate.ts';
import { registerDataCommands } from './commands/data.ts';
import { registerRecomputeCommand } from './commands/recompute.ts';
import { registerEvaluateCommand } from './commands/evaluate.ts';

/** The `liebian` command line. Exit codes: docs/cli.md. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('liebian')
    .description('Liebian (裂变): social e-commerce precision marketing engine')
    .exitOverride()
    .showHelpAfterError();
  program.command('start').description('run the server and console (data under LIEBIAN_DATA_DIR, or PostgreSQL via DATABASE_URL)').action(startCommand);
  program.command('migrate').description('apply pending migrations to both stores and print their schema versions').action(migrateCommand);
  registerDataCommands(program);
  registerRecomputeCommand(program);
  registerEvaluateCommand(program);
  (await import('./commands/train.ts')).registerTrainCommand(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    process.exitCode = exitCodeOf(e);
    if (e instanceof CommanderError) return;
    process.stderr.write(`liebian: ${(e as Error).message}\n`);
  }
}

function exitCodeOf(e: unknown): number {
  if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  if (e instanceof ConfigError) return EXIT.CONFIG;
  if (e instanceof CliError) return e.exitCode;
  const code = (e as { code?: string }).code;
  if (code === 'ECONNREFUSED' || code === 'STORE_UNAVAILABLE') return EXIT.STORE_UNAVAILABLE;
  return EXIT.FAILED;
}
