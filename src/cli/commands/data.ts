import type { Command } from 'commander';
import { simulateCommand } from './simulate.ts';
import { importCommand } from './import.ts';
import { exportEventsCommand } from './export.ts';

/** simulate / import / export: commands that work on the stores or feed a server. */
export function registerDataCommands(program: Command) {
  program
    .command('simulate')
    .description('write a deterministic synthetic social-commerce world through the ingestion path')
    .requiredOption('--users <n>', 'number of users')
    .requiredOption('--days <n>', 'number of days')
    .option('--seed <n>', 'random seed', '42')
    .option('--start-date <YYYY-MM-DD>', 'first day (default 2026-01-01)')
    .option('--workspace <id>', 'workspace', 'default')
    .option('--data-dir <dir>', 'data dir (default LIEBIAN_DATA_DIR or ./data); the server must be stopped')
    .option('--url <url>', 'send to a running server instead (POST /v1/batch)')
    .option('--write-key <key>', 'write key for --url')
    .action((opts) => simulateCommand(opts));
  program
    .command('import <file>')
    .description('import NDJSON (Segment messages) or CSV (with --map) through the ingestion path; resumable')
    .option('--format <ndjson|csv>', 'file format (default from the extension)')
    .option('--map <target=column,...>', 'CSV columns to message fields: messageId, userId, anonymousId, timestamp, event, type, properties.<k>, traits.<k>, context.<k>')
    .option('--type <type>', 'message type for CSV rows', 'track')
    .option('--event <name>', 'event name for CSV track rows')
    .option('--delimiter <d>', "CSV delimiter: ',', tab or whitespace", ',')
    .option('--skip-invalid', 'skip invalid lines (counted) instead of stopping')
    .option('--batch-size <n>', 'events per write', '500')
    .option('--workspace <id>', 'workspace', 'default')
    .option('--data-dir <dir>', 'data dir; the server must be stopped')
    .action((file, opts) => importCommand(file, opts));
  const exp = program.command('export').description('export data from the stores (server stopped)');
  exp
    .command('events')
    .description("stream the workspace's events as NDJSON (Segment shape, with messageId and receivedAt)")
    .option('--data-dir <dir>', 'data dir')
    .option('--since <time>', 'only events at or after this time (ISO 8601)')
    .option('--workspace <id>', 'workspace', 'default')
    .option('--out <file>', 'write to a file instead of stdout')
    .action((opts) => exportEventsCommand(opts));
}
