/**
 * `npm run bench:ingest`: events per second through POST /v1/batch, Liebian (the real server,
 * `node bin/liebian.mjs start`, durable acknowledgements) side by side with a bare Fastify route
 * that only parses and validates the same requests (bench/bare-server.ts). Servers run as child
 * processes on 127.0.0.1; the load generator (closed loop, undici) runs in this process. Each side
 * is measured for a fixed window after a warm-up, alternating, for several rounds; medians are
 * reported. While one side is measured the others are SIGSTOPped so they take no CPU (Liebian's
 * background consumers would otherwise keep running while the bare route is measured).
 *
 *   npm run bench:ingest -- [--seconds 20] [--warmup 5] [--rounds 3] [--connections 8]
 *                           [--sides liebian,bare[,ack-only]] [--pg [--pg-url URL]] [--cpu-prof]
 *
 * --sides ack-only  adds a diagnostic server (bench/ack-only-server.ts): Liebian without its
 *                   background consumers, to show what they take from acknowledgements.
 * --pg              runs Liebian's operational store on PostgreSQL in a fresh schema (dropped
 *                   afterwards) of --pg-url's database, which is created if missing. The default
 *                   is a dedicated database `liebian_bench` on 127.0.0.1:5432, not `test`: Liebian
 *                   serialises writers and projectors with database-wide advisory locks, so a bench
 *                   in `test` would stall test suites running there at the same time.
 * --cpu-prof        writes V8 CPU profiles of each Liebian process to .bench-data/profiles/<side>-<time>/
 *                   (the largest file is the main thread; summarise it with
 *                   `node --import tsx bench/profile-summary.ts <file>`).
 * --baseline DIR    adds a side `baseline`: the real server (as `liebian`) started from another
 *                   checkout of this repository in DIR (e.g. `git archive HEAD~1 | tar -x -C DIR`
 *                   plus a node_modules link), measured in alternation with the current code, so a
 *                   change is compared before/after in the same minutes of a noisy machine.
 * --sql-profile     (PGlite) writes, per Liebian server, the time PGlite spent executing each SQL
 *                   statement to .bench-data/profiles/sql-<side>-<time>.txt (bench/lib/sql-profile.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Payloads } from './lib/payloads.ts';
import { runLoad, type LoadResult } from './lib/load.ts';
import { Child, ROOT, freePort } from './lib/children.ts';
import { busyShare, commCpuSeconds, fmt, machine, machineCpu, median, percentile, procCpuSeconds } from './lib/machine.ts';
import { openOpStore } from '../src/platform/opstore/index.ts';
import { countStoredIds } from '../src/modules/ingest/index.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '8' },
    batch: { type: 'string', default: '100' },
    sides: { type: 'string', default: 'liebian,bare' },
    pg: { type: 'boolean', default: false },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/liebian_bench' },
    'cpu-prof': { type: 'boolean', default: false },
    'sql-profile': { type: 'boolean', default: false },
    'no-freeze': { type: 'boolean', default: false },
    baseline: { type: 'string' },
    out: { type: 'string' },
  },
});

type Side = 'liebian' | 'bare' | 'ack-only' | 'baseline';
const SIDES = args.sides.split(',').map((s) => s.trim()) as Side[];
for (const s of SIDES) if (!['liebian', 'bare', 'ack-only'].includes(s)) throw new Error(`unknown side ${s}`);
const BASELINE = args.baseline ? path.resolve(args.baseline) : undefined;
if (BASELINE) SIDES.push('baseline');
const SECONDS = Number(args.seconds);
const WARMUP = Number(args.warmup);
const ROUNDS = Number(args.rounds);
const CONNECTIONS = Number(args.connections);
const BATCH = Number(args.batch);
const PG_URL = args.pg ? args['pg-url'] : undefined;
const WRITE_KEY = 'lb_wk_bench_write_key_0123456789';
const SECRET_KEY = 'lb_sk_bench_secret_key_0123456789';
const LABEL: Record<Side, string> = { liebian: 'Liebian (durable)', bare: 'bare parse+validate', 'ack-only': 'Liebian, consumers off', baseline: `Liebian (durable) from ${BASELINE}` };

const log = (s: string) => process.stderr.write(s + '\n');

interface Window {
  side: Side;
  round: number;
  result: LoadResult;
  p50: number;
  p99: number;
  /** Cores used during the window by the measured server, the load generator, PostgreSQL (--pg) and everything else. */
  serverCpu: number;
  clientCpu: number;
  postgresCpu: number;
  otherCpu: number;
  /** Events acknowledged per CPU-second of the server (plus PostgreSQL with --pg): less sensitive to other load. */
  eventsPerCpuSecond: number;
  machineBusy: number;
  loadavg: number;
  backlog?: Record<string, number>;
}

/** A Liebian server's store: a temp data dir, plus a fresh PostgreSQL schema with --pg. */
class Store {
  readonly dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liebian-bench-ingest-'));
  schema?: string;
  databaseUrl?: string;

  async create(tag: string) {
    if (!PG_URL) return;
    await ensureDatabase(PG_URL);
    this.schema = `bench_ingest_${tag.replace(/\W/g, '_')}_${Date.now()}`;
    await withPg(PG_URL, (c) => c.query(`create schema ${this.schema}`));
    this.databaseUrl = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=-c%20search_path%3D${this.schema}`;
  }

  async storedIds(): Promise<number> {
    const op = await openOpStore({ databaseUrl: this.databaseUrl, dataDir: this.dataDir });
    try {
      return await countStoredIds(op, 'default');
    } finally {
      await op.close();
    }
  }

  async destroy() {
    if (this.schema && PG_URL) await withPg(PG_URL, (c) => c.query(`drop schema if exists ${this.schema} cascade`)).catch((e) => log(`could not drop ${this.schema}: ${e}`));
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function ensureDatabase(url: string) {
  const u = new URL(url);
  const db = decodeURIComponent(u.pathname.slice(1));
  try {
    await withPg(url, async () => undefined);
  } catch (e) {
    if ((e as { code?: string }).code !== '3D000') throw e; // invalid_catalog_name: create it
    u.pathname = '/postgres';
    await withPg(u.toString(), (c) => c.query(`create database "${db.replace(/"/g, '""')}"`));
    log(`created database ${db}`);
  }
}

async function backlog(origin: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^liebian_outbox_backlog\{consumer="([^"]+)"\} (\S+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

async function main() {
  const m = machine();
  log(`machine: ${m.nproc} × ${m.model}, ${m.memGiB} GiB, node ${m.node}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  log('generating request templates from the simulator...');
  const payloads = new Payloads({ batchSize: BATCH, templates: 2000 });
  log(`  ${payloads.batchSize} events per request, ~${Math.round(payloads.avgEventBytes)} bytes per event (~${Math.round((payloads.avgEventBytes * payloads.batchSize) / 1024)} KB per request)`);

  const benchDir = path.join(ROOT, '.bench-data');
  const profDir = path.join(benchDir, 'profiles');
  fs.mkdirSync(benchDir, { recursive: true });
  if (args['cpu-prof'] || args['sql-profile']) fs.mkdirSync(profDir, { recursive: true });

  const children = new Map<Side, Child>();
  const stores = new Map<Side, Store>();
  const origin = {} as Record<Side, string>;
  const thawAll = () => {
    for (const c of children.values()) c.thaw();
  };
  process.on('exit', thawAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      thawAll();
      for (const c of children.values()) if (c.alive) c.proc.kill('SIGTERM');
      process.exit(130);
    });
  }

  const windows: Window[] = [];
  const acknowledged = new Map<Side, number>();
  const stored = new Map<Side, number>();
  try {
    for (const side of SIDES) {
      const port = await freePort();
      origin[side] = `http://127.0.0.1:${port}`;
      if (side === 'bare') {
        children.set(side, new Child(side, ['--import', 'tsx', 'bench/bare-server.ts'], { ...process.env, PORT: String(port) }));
        continue;
      }
      const store = new Store();
      stores.set(side, store);
      await store.create(side);
      const script = side === 'liebian' || side === 'baseline' ? ['bin/liebian.mjs', 'start'] : ['--import', 'tsx', 'bench/ack-only-server.ts'];
      // One directory per server: node writes one profile per thread (the tsx loader has its own).
      const nodeArgs = args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', path.join(profDir, `${side}-${new Date().toISOString().replace(/[:.]/g, '-')}`)] : [];
      const sqlProfile = args['sql-profile'] ? path.join(profDir, `sql-${side}-${new Date().toISOString().replace(/[:.]/g, '-')}.txt`) : '';
      if (sqlProfile) nodeArgs.push('--import', 'tsx', '--import', './bench/lib/sql-profile.ts');
      children.set(side, new Child(side, [...nodeArgs, ...script], {
        LIEBIAN_BENCH_SQL_PROFILE: sqlProfile,
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        LIEBIAN_DATA_DIR: store.dataDir,
        LIEBIAN_DEMO: '0',
        LIEBIAN_LOG_LEVEL: 'warn',
        LIEBIAN_RATE_LIMIT_EPS: '100000000',
        LIEBIAN_BOOTSTRAP_WRITE_KEY: WRITE_KEY,
        LIEBIAN_BOOTSTRAP_SECRET_KEY: SECRET_KEY,
        LIEBIAN_BOOTSTRAP_ADMIN_PASSWORD: 'bench-admin-pass-123',
        DATABASE_URL: store.databaseUrl ?? '',
      }, side === 'baseline' ? BASELINE : ROOT));
    }
    await Promise.all(SIDES.map((s) => children.get(s)!.waitReady(`${origin[s]}/${s === 'bare' ? 'healthz' : 'readyz'}`)));
    log(`operational store: ${PG_URL ? `PostgreSQL ${PG_URL.replace(/\/\/[^@]*@/, '//')}, schemas ${[...stores.values()].map((s) => s.schema).join(', ')}` : 'PGlite (temp data dir)'}`);
    for (const s of SIDES) log(`  ${s.padEnd(8)} ${origin[s]} pid ${children.get(s)!.pid}`);
    log(`${ROUNDS} rounds × (${WARMUP} s warm-up + ${SECONDS} s measured) per side, ${CONNECTIONS} connections, ${BATCH}-event batches`);

    const headers = { 'content-type': 'application/json', authorization: 'Basic ' + Buffer.from(WRITE_KEY + ':').toString('base64') };
    const tag = `b${Date.now().toString(36)}`;
    const counters = new Map<Side, number>(SIDES.map((s) => [s, 0]));
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? SIDES : [...SIDES].reverse();
      for (const side of order) {
        const me = children.get(side)!;
        if (!args['no-freeze']) for (const [s, c] of children) if (s !== side) c.freeze();
        me.thaw();
        let cpuAt = procCpuSeconds(me.pid);
        let clientAt = process.cpuUsage();
        let machineAt = machineCpu();
        let pgAt = PG_URL ? commCpuSeconds('postgres') : 0;
        const mark = setTimeout(() => {
          cpuAt = procCpuSeconds(me.pid);
          clientAt = process.cpuUsage();
          machineAt = machineCpu();
          pgAt = PG_URL ? commCpuSeconds('postgres') : 0;
        }, WARMUP * 1000);
        const result = await runLoad({
          origin: origin[side],
          path: '/v1/batch',
          headers,
          connections: CONNECTIONS,
          warmupSeconds: WARMUP,
          seconds: SECONDS,
          eventsPerRequest: payloads.batchSize,
          body: (k) => payloads.body(`${tag}-${side}`, k),
          nextK: () => {
            const k = counters.get(side)!;
            counters.set(side, k + 1);
            return k;
          },
        });
        clearTimeout(mark);
        const c = process.cpuUsage(clientAt);
        const serverCpu = (procCpuSeconds(me.pid) - cpuAt) / SECONDS;
        const clientCpu = (c.user + c.system) / 1e6 / SECONDS;
        const postgresCpu = PG_URL ? (commCpuSeconds('postgres') - pgAt) / SECONDS : 0;
        const machineBusy = busyShare(machineAt, machineCpu());
        const w: Window = {
          side, round, result,
          p50: percentile(result.latencies, 50),
          p99: percentile(result.latencies, 99),
          serverCpu, clientCpu, postgresCpu,
          otherCpu: Math.max(0, machineBusy * os.availableParallelism() - serverCpu - clientCpu - postgresCpu),
          eventsPerCpuSecond: result.eventsPerSecond / (serverCpu + (side === 'bare' ? 0 : postgresCpu)),
          machineBusy,
          loadavg: os.loadavg()[0]!,
        };
        if (side !== 'bare') {
          if (side === 'liebian' || side === 'baseline') w.backlog = await backlog(origin[side]).catch(() => ({}));
          const ok = Object.entries(result.statusCounts).filter(([s]) => s.startsWith('2')).reduce((a, [, n]) => a + n, 0);
          acknowledged.set(side, (acknowledged.get(side) ?? 0) + ok * payloads.batchSize);
        }
        windows.push(w);
        log(
          `round ${round} ${side.padEnd(8)} ${fmt(result.eventsPerSecond).padStart(7)} events/s  ${result.failedInWindow} failed (${result.failedTotal} incl. warm-up)  ` +
            `p50 ${fmt(w.p50, 1)} ms  p99 ${fmt(w.p99, 1)} ms  CPU (cores): server ${fmt(w.serverCpu, 2)}` + (PG_URL ? ` postgres ${fmt(w.postgresCpu, 2)}` : '') +
            ` client ${fmt(w.clientCpu, 2)} others ${fmt(w.otherCpu, 2)}  ${fmt(w.eventsPerCpuSecond)} events/CPU-s  load ${w.loadavg.toFixed(1)}` +
            (w.backlog ? `  backlog ${JSON.stringify(w.backlog)}` : '') +
            (result.firstError ? `\n    first error: ${result.firstError}` : ''),
        );
      }
    }
  } finally {
    thawAll();
    for (const [side, child] of children) {
      const code = await child.stop();
      if (code !== 0) log(`${side} exited with ${code}:\n${child.output.slice(-3000)}`);
    }
    for (const [side, store] of stores) {
      stored.set(side, await store.storedIds().catch(() => NaN));
      await store.destroy();
    }
  }

  const summary = {} as Record<Side, { eventsPerSecond: number; p50: number; p99: number; failed: number; serverCpu: number; postgresCpu: number; clientCpu: number; otherCpu: number; eventsPerCpuSecond: number; rounds: number[] }>;
  for (const side of SIDES) {
    const ws = windows.filter((w) => w.side === side);
    summary[side] = {
      eventsPerSecond: median(ws.map((w) => w.result.eventsPerSecond)),
      p50: median(ws.map((w) => w.p50)),
      p99: median(ws.map((w) => w.p99)),
      failed: ws.reduce((a, w) => a + w.result.failedTotal, 0),
      serverCpu: median(ws.map((w) => w.serverCpu)),
      postgresCpu: median(ws.map((w) => w.postgresCpu)),
      clientCpu: median(ws.map((w) => w.clientCpu)),
      otherCpu: median(ws.map((w) => w.otherCpu)),
      eventsPerCpuSecond: median(ws.map((w) => w.eventsPerCpuSecond)),
      rounds: ws.map((w) => Math.round(w.result.eventsPerSecond)),
    };
  }
  const ratio = summary.liebian && summary.bare ? summary.liebian.eventsPerSecond / summary.bare.eventsPerSecond : NaN;
  const cpuRatio = summary.liebian && summary.bare ? summary.liebian.eventsPerCpuSecond / summary.bare.eventsPerCpuSecond : NaN;
  const lines = [
    '',
    `ingest bench: ${m.date}, ${m.nproc} × ${m.model}, node ${m.node}, operational store ${PG_URL ? 'PostgreSQL' : 'PGlite'}`,
    `${ROUNDS} rounds × ${SECONDS} s (after ${WARMUP} s warm-up), ${CONNECTIONS} connections, ${payloads.batchSize} events/request, ~${Math.round(payloads.avgEventBytes)} B/event`,
    '',
    `| side | events/s (median) | per round | failed requests | p50 ms | p99 ms | server cores${PG_URL ? ' | postgres cores' : ''} | other load (cores) | events per CPU-s${PG_URL ? ' (server + postgres)' : ''} |`,
    `|---|---:|---|---:|---:|---:|---:|${PG_URL ? '---:|' : ''}---:|---:|`,
    ...SIDES.map((s) => {
      const x = summary[s];
      return `| ${LABEL[s]} | ${fmt(x.eventsPerSecond)} | ${x.rounds.map((r) => fmt(r)).join(' / ')} | ${x.failed} | ${fmt(x.p50, 1)} | ${fmt(x.p99, 1)} | ${fmt(x.serverCpu, 2)}${PG_URL ? ` | ${s === 'bare' ? '-' : fmt(x.postgresCpu, 2)}` : ''} | ${fmt(x.otherCpu, 2)} | ${fmt(x.eventsPerCpuSecond)} |`;
    }),
    '',
    Number.isFinite(ratio) ? `ratio Liebian / bare: ${fmt(ratio, 3)} (events/s); ${fmt(cpuRatio, 3)} (events per CPU-second${PG_URL ? ', Liebian counting PostgreSQL\'s CPU too' : ''})` : '',
    ...[...stored].map(([s, n]) => `durability check (${s}): ${fmt(acknowledged.get(s) ?? 0)} events acknowledged, ${fmt(n)} messageIds stored${n >= (acknowledged.get(s) ?? 0) ? ' (ok)' : ' (MISSING)'}`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  const outFile = args.out ?? path.join(benchDir, `ingest-${PG_URL ? 'postgres' : 'pglite'}-${m.date.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(outFile, JSON.stringify({
    machine: m, options: { seconds: SECONDS, warmup: WARMUP, rounds: ROUNDS, connections: CONNECTIONS, batch: BATCH, sides: SIDES, store: PG_URL ? 'postgres' : 'pglite' },
    avgEventBytes: payloads.avgEventBytes, summary, ratio, cpuRatio,
    durability: Object.fromEntries([...stored].map(([s, n]) => [s, { acknowledged: acknowledged.get(s) ?? 0, stored: n }])),
    windows: windows.map((w) => ({ ...w, result: { ...w.result, latencies: undefined } })),
  }, null, 2));
  log(`results written to ${path.relative(ROOT, outFile)}`);
  const failed = SIDES.some((s) => summary[s].failed > 0) || [...stored].some(([s, n]) => !(n >= (acknowledged.get(s) ?? 0)));
  if (failed) process.exitCode = 1;
}

await main();
