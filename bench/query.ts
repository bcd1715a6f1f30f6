/**
 * `npm run bench:query`: analytical queries over a ~10-million-event simulated world in the DuckDB
 * event store. The world (src/sim: e-commerce + social traffic of 80,000 users over 120 days) is
 * built once and cached under .bench-data/query/; it is loaded straight into the event store with
 * the events module's appendEvents (each message normalised as POST /v1/batch would, receivedAt =
 * its timestamp), not through HTTP or the operational store. Then each query runs 5 times (after
 * one untimed warm-up run) and the median is reported:
 *
 *   daily active users over the last 90 days   eventQueries.dailyActiveUsers
 *   GMV by category over the last 90 days      eventQueries.gmvByCategory
 *   GMV by category over all 120 days          eventQueries.gmvByCategory
 *   one user's timeline (200 newest events)    eventQueries.timeline, for the most active user
 *                                              and for a median user
 *
 *   npm run bench:query -- [--users 80000] [--days 120] [--seed 42] [--reps 5] [--rebuild]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { simulate } from '../src/sim/index.ts';
import { normalizeMessage } from '../src/modules/ingest/index.ts';
import { openEventStoreDb, type EventStoreDb } from '../src/platform/eventstore/duckdb.ts';
import { appendEvents, eventStoreCursor, migrateEventStore, eventQueries, type LoggedEvent } from '../src/modules/events/index.ts';
import { listValue } from '@duckdb/node-api';
import { ROOT } from './lib/children.ts';
import { fmt, machine, median } from './lib/machine.ts';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '80000' },
    days: { type: 'string', default: '120' },
    seed: { type: 'string', default: '42' },
    reps: { type: 'string', default: '5' },
    rebuild: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const USERS = Number(args.users);
const DAYS = Number(args.days);
const SEED = Number(args.seed);
const REPS = Number(args.reps);
const WS = 'default';
const START = '2026-01-01';
// Events per appendEvents call: the event-store pump's batch size, so the daily-actors rollup holds
// as many duplicate (day, actor) rows as a live store does.
const CHUNK = 5_000;
/** Bumped when the way the world is built changes; a cache built otherwise is rebuilt. */
const BUILD_FORMAT = 2;

const log = (s: string) => process.stderr.write(s + '\n');
const dir = path.join(ROOT, '.bench-data', 'query', `u${USERS}-d${DAYS}-s${SEED}`);
const doneFile = path.join(dir, 'done.json');

interface Built { format: number; events: number; users: number; days: number; seed: number; buildSeconds: number; fileBytes: number; builtAt: string }

async function build(): Promise<Built> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const es = await openEventStoreDb(dir);
  await migrateEventStore(es);
  const sim = simulate({ users: USERS, days: DAYS, seed: SEED, startDate: START }, 10_000);
  const estimate = sim.estimateEvents();
  log(`building the bench world: ${fmt(USERS)} users × ${DAYS} days (seed ${SEED}), ~${fmt(estimate)} events, into ${path.relative(ROOT, dir)}`);
  const bar = new cliProgress.SingleBar(
    {
      format: 'events [{bar}] {percentage}% | {value}/{total} | {rate}/s | eta {eta_formatted}',
      stream: process.stderr,
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 10_000,
      etaBuffer: 100,
      fps: 4,
    },
    cliProgress.Presets.shades_classic,
  );
  const t0 = Date.now();
  bar.start(estimate, 0, { rate: 0 });
  let seq = 0;
  let chunk: LoggedEvent[] = [];
  const flush = async () => {
    if (!chunk.length) return;
    await appendEvents(es, chunk);
    chunk = [];
    bar.update(seq, { rate: fmt(seq / Math.max(0.001, (Date.now() - t0) / 1000)) });
  };
  for (const batch of sim.batches()) {
    for (let i = 0; i < batch.length; i++) {
      const m = batch[i]!;
      const body = normalizeMessage(m, i, new Date(m.timestamp));
      chunk.push({ seq: ++seq, workspaceId: WS, body });
      if (chunk.length >= CHUNK) await flush();
    }
  }
  await flush();
  if (seq > bar.getTotal()) bar.setTotal(seq);
  bar.update(seq);
  bar.stop();
  await es.write((c) => c.run('checkpoint'));
  const n = await eventQueries.countEvents(es);
  await es.close();
  const built: Built = {
    format: BUILD_FORMAT,
    events: n, users: USERS, days: DAYS, seed: SEED,
    buildSeconds: (Date.now() - t0) / 1000,
    fileBytes: fs.statSync(path.join(dir, 'events.duckdb')).size,
    builtAt: new Date().toISOString(),
  };
  fs.writeFileSync(doneFile, JSON.stringify(built, null, 2));
  log(`built ${fmt(n)} events in ${fmt(built.buildSeconds)} s (${fmt(built.fileBytes / 2 ** 20)} MiB)`);
  return built;
}

async function time(reps: number, fn: () => Promise<unknown>): Promise<{ first: number; times: number[]; median: number; result: unknown }> {
  let t = performance.now();
  let result = await fn(); // warm-up (first run after opening: reads columns from disk)
  const first = performance.now() - t;
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    t = performance.now();
    result = await fn();
    times.push(performance.now() - t);
  }
  return { first, times, median: median(times), result };
}

async function personOf(es: EventStoreDb, userId: string): Promise<{ userIds: string[]; anonymousIds: string[]; events: number }> {
  // In the server the identity graph supplies these; here they come from the log itself (untimed).
  const anon = await es.read<{ a: string }>('select distinct anonymous_id as a from events where workspace_id = $1 and user_id = $2 and anonymous_id is not null', [WS, userId]);
  const anonymousIds = anon.map((r) => r.a);
  const n = await es.read<{ n: number }>('select count(*) as n from events where workspace_id = $1 and (user_id = $2 or list_contains($3::varchar[], anonymous_id))', [WS, userId, listValue(anonymousIds)]);
  return { userIds: [userId], anonymousIds, events: n[0]?.n ?? 0 };
}

async function main() {
  const m = machine();
  log(`machine: ${m.nproc} × ${m.model}, ${m.memGiB} GiB, node ${m.node}`);
  let built: Built | null = !args.rebuild && fs.existsSync(doneFile) ? (JSON.parse(fs.readFileSync(doneFile, 'utf8')) as Built) : null;
  if (built && built.format !== BUILD_FORMAT) built = null;
  if (built) log(`reusing ${fmt(built.events)} events in ${path.relative(ROOT, dir)} (built ${built.builtAt}; --rebuild to regenerate)`);
  else built = await build();

  const tOpen = performance.now();
  const es = await openEventStoreDb(dir);
  const applied = await migrateEventStore(es); // a cache from an older schema is migrated like a live store
  const openMs = performance.now() - tOpen;
  if (applied.length) log(`applied event-store migrations ${applied.join(', ')} in ${fmt(openMs)} ms`);
  const total = await eventQueries.countEvents(es, WS);
  const span = (await es.read<{ first: string; last: string }>('select min(ts)::varchar as first, max(ts)::varchar as last from events where workspace_id = $1', [WS]))[0]!;
  const last = new Date(new Date(span.last).getTime() + 1);
  const from90 = new Date(last.getTime() - 90 * 86_400_000);
  const first = new Date(span.first);
  log(`event store: ${fmt(total)} events, ${span.first} .. ${span.last}, cursor ${fmt(await eventStoreCursor(es))}, opened in ${fmt(openMs)} ms`);

  // Timeline subjects: the most active user and the median user (by identified events).
  const ranked = await es.read<{ u: string; n: number }>('select user_id as u, count(*) as n from events where workspace_id = $1 and user_id is not null group by 1 order by 2 desc, 1', [WS]);
  const heavy = await personOf(es, ranked[0]!.u);
  const mid = await personOf(es, ranked[Math.floor(ranked.length / 2)]!.u);

  const cases: Array<{ name: string; call: string; run: () => Promise<unknown[]>; note: string }> = [
    { name: 'daily active users, 90 days', call: 'eventQueries.dailyActiveUsers', note: `${from90.toISOString().slice(0, 10)} .. ${span.last.slice(0, 10)}`, run: () => eventQueries.dailyActiveUsers(es, WS, from90, last) },
    { name: 'GMV by category, 90 days', call: 'eventQueries.gmvByCategory', note: 'same 90 days', run: () => eventQueries.gmvByCategory(es, WS, from90, last) },
    { name: `GMV by category, all ${DAYS} days`, call: 'eventQueries.gmvByCategory', note: 'whole history', run: () => eventQueries.gmvByCategory(es, WS, first, last) },
    { name: 'timeline, most active user', call: 'eventQueries.timeline', note: `${heavy.userIds[0]}: ${fmt(heavy.events)} events, ${heavy.anonymousIds.length} anonymousIds, limit 200`, run: () => eventQueries.timeline(es, WS, heavy.userIds, heavy.anonymousIds, 200) },
    { name: 'timeline, median user', call: 'eventQueries.timeline', note: `${mid.userIds[0]}: ${fmt(mid.events)} events, ${mid.anonymousIds.length} anonymousIds, limit 200`, run: () => eventQueries.timeline(es, WS, mid.userIds, mid.anonymousIds, 200) },
  ];
  const results = [];
  for (const c of cases) {
    const r = await time(REPS, c.run);
    const rows = (r.result as unknown[]).length;
    results.push({ name: c.name, call: c.call, note: c.note, rows, firstMs: r.first, timesMs: r.times, medianMs: r.median });
    log(`${c.name.padEnd(30)} median ${fmt(r.median, 1).padStart(7)} ms  (first ${fmt(r.first, 1)} ms; runs ${r.times.map((t) => fmt(t, 0)).join(' / ')})  ${rows} rows  ${c.note}`);
  }
  await es.close();

  const lines = [
    '',
    `query bench: ${m.date}, ${m.nproc} × ${m.model}, node ${m.node}, DuckDB threads 2`,
    `${fmt(total)} events (${fmt(USERS)} users × ${DAYS} days, seed ${SEED}), ${fmt(built.fileBytes / 2 ** 20)} MiB; median of ${REPS} runs after one warm-up run`,
    '',
    '| query | call | median ms | first run ms | rows | target < 1 s |',
    '|---|---|---:|---:|---:|---|',
    ...results.map((r) => `| ${r.name} | \`${r.call}\` | ${fmt(r.medianMs, 1)} | ${fmt(r.firstMs, 1)} | ${r.rows} | ${r.medianMs < 1000 ? 'met' : 'MISSED'} |`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  const outFile = args.out ?? path.join(ROOT, '.bench-data', `query-${m.date.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(outFile, JSON.stringify({ machine: m, world: built, events: total, span, results }, null, 2));
  log(`results written to ${path.relative(ROOT, outFile)}`);
  if (results.some((r) => r.medianMs >= 1000)) process.exitCode = 1;
}

await main();
