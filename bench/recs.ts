/**
 * `npm run bench:recs`: serving latency and throughput of `GET /api/v1/recommendations` on a
 * simulated world of 100,000 users and 20,000 products, side by side with a bare Fastify route
 * answering a fixed list of the same size; and training time and peak memory per model.
 *
 * The world (src/sim, 30 days) is turned into training input straight from the simulator's
 * messages with the same event mapping the server uses on its event store
 * (src/flows/recommend-data.ts inputFromMessages), not through HTTP ingest; the model is trained
 * here (on this process's thread, EASE on one thread, as the server's background job does) and
 * written as a snapshot into a data dir whose operational store holds the catalog (20,000
 * products, 5 % out of stock). A real `liebian start` on that data dir serves it. Both servers run
 * as child processes; while one is measured the other is stopped (SIGSTOP). The load generator
 * (this process) keeps `--connections` requests in flight (closed loop, keep-alive); each round
 * has a warm-up, then a measured window; rounds alternate between the two servers and the median
 * round by throughput is reported. With `taskset`, the servers run on core 0 and the load
 * generator on core 1.
 *
 *   npm run bench:recs -- [--users 100000] [--days 30] [--seed 42] [--connections 16]
 *                         [--seconds 10] [--warmup 3] [--rounds 3] [--rebuild] [--out FILE]
 */
import fs from 'node:fs';
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { Pool } from 'undici';
import { simulate } from '../src/sim/index.ts';
import { inputFromMessages } from '../src/flows/recommend-data.ts';
import { modelRoot } from '../src/flows/recommend-train.ts';
import { inputCounts, saveSnapshot, trainSnapshot, type ModelReport } from '../src/modules/recommend/index.ts';
import { loadConfig } from '../src/platform/config.ts';
import { openStores } from '../src/engine.ts';
import { ensureFirstRun } from '../src/modules/workspaces/index.ts';
import { upsertProducts } from '../src/modules/catalog/index.ts';
import { Child, freePort, ROOT } from './lib/children.ts';
import { fmt, machine, percentile, procCpuSeconds } from './lib/machine.ts';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    days: { type: 'string', default: '30' },
    seed: { type: 'string', default: '42' },
    connections: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    rebuild: { type: 'boolean', default: false },
    out: { type: 'string' },
    'serve-bare': { type: 'string' },
  },
});

const SECRET = 'lb_sk_bench_recs_secret_key_0123456789';
const WRITE = 'lb_wk_bench_recs_write_key_0123456789';
const log = (s: string) => process.stderr.write(s + '\n');

/**
 * The baseline: Fastify with one GET route returning a fixed list (a real answer of the same
 * size, as an object: Fastify serializes it per request, as for any route).
 */
async function serveBare(bodyFile: string) {
  const body = JSON.parse(fs.readFileSync(bodyFile, 'utf8')) as unknown;
  const app = Fastify({ logger: false });
  app.get('/api/v1/recommendations', async () => body);
  app.get('/healthz', async () => ({ status: 'ok' }));
  await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
  const stop = () => void app.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

interface Built {
  format: number;
  users: number;
  days: number;
  seed: number;
  counts: Record<string, number>;
  simulateSeconds: number;
  trainSeconds: number;
  precomputeSeconds: number;
  peakRssMb: number;
  snapshotMb: number;
  models: Record<string, ModelReport>;
  hybrid: { weights: Record<string, number>; validationNdcg: number };
  userIds: string[];
  productIds: string[];
}
const FORMAT = 1;

async function build(dir: string, users: number, days: number, seed: number): Promise<Built> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const dataDir = path.join(dir, 'data');
  log(`building: simulating ${fmt(users)} users × ${days} days (seed ${seed})`);
  const t0 = performance.now();
  const sim = simulate({ users, days, seed, startDate: new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10) }, 10_000);
  const catalog = sim.truth.products.map((p) => ({ productId: p.productId, name: p.name, category: p.category, brand: p.brand, price: p.price }));
  function* messages() {
    for (const b of sim.batches()) yield* b;
  }
  const input = inputFromMessages('default', messages(), catalog);
  const simulateSeconds = (performance.now() - t0) / 1000;
  const counts = inputCounts(input);
  log(`  ${fmt(counts.users)} user keys, ${fmt(counts.items)} items, ${fmt(counts.interactions)} interactions, ${fmt(counts.edges)} ties, ${fmt(counts.baskets)} baskets (${simulateSeconds.toFixed(1)} s)`);
  const userIds = sim.truth.users.map((u) => u.userId);
  const productIds = sim.truth.products.map((p) => p.productId);
  log('training (one thread, as the server\'s background job)');
  const snap = await trainSnapshot(input, {
    threads: 1,
    onProgress: (p) => {
      if (p.phase === 'fit' || p.phase === 'precompute' || p.phase === 'done') log(`  ${p.message}`);
    },
  });
  const peakRssMb = (process.resourceUsage().maxRSS * 1024) / 2 ** 20;
  const snapDir = saveSnapshot(modelRoot(dataDir, 'default'), snap);
  const snapshotMb = fs.readdirSync(snapDir).filter((f) => f !== 'tops.bin').reduce((n, f) => n + fs.statSync(path.join(snapDir, f)).size, 0) / 2 ** 20;
  log('  catalog (5 % out of stock) into the operational store');
  const config = loadConfig({ LIEBIAN_DATA_DIR: dataDir, LIEBIAN_LOG_LEVEL: 'silent' });
  const { op, es } = await openStores(config);
  await ensureFirstRun(op, { writeKey: WRITE, secretKey: SECRET, adminPassword: 'bench-admin-pass' });
  for (let k = 0; k < catalog.length; k += 1000) {
    const page = catalog.slice(k, k + 1000).map((p, j) => ({ product_id: p.productId, name: p.name, category: p.category, brand: p.brand, price: p.price, stock: (k + j) % 20 === 7 ? 0 : 100 }));
    await op.tx((q) => upsertProducts(q, 'default', page, 'api'));
  }
  await es.close();
  await op.close();
  const built: Built = {
    format: FORMAT, users, days, seed, counts: { ...snap.meta.counts }, simulateSeconds, trainSeconds: snap.meta.trainSeconds,
    precomputeSeconds: snap.meta.counts.precomputeSeconds ?? 0, peakRssMb, snapshotMb, models: snap.meta.models,
    hybrid: { weights: snap.meta.hybrid.weights, validationNdcg: snap.meta.hybrid.validationNdcg }, userIds, productIds,
  };
  fs.writeFileSync(path.join(dir, 'built.json'), JSON.stringify(built));
  return built;
}

interface Round { rps: number; p50: number; p90: number; p99: number; max: number; ok: number; failed: number; bytes: number; cpuUsPerRequest: number; loadgenCpuShare: number }

/** Closed-loop GET load: `connections` requests in flight; counts requests completing inside the window. */
async function load(origin: string, serverPid: number, urls: string[], connections: number, warmup: number, seconds: number): Promise<Round> {
  const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const t0 = performance.now(), from = t0 + warmup * 1000, to = from + seconds * 1000;
  // the server's CPU (all its threads) and this load generator's, over the measured window
  const cpu = { server0: NaN, server1: NaN, self0: 0, self1: 0 };
  const selfCpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const marks = [
    setTimeout(() => {
      cpu.server0 = procCpuSeconds(serverPid);
      cpu.self0 = selfCpu();
    }, warmup * 1000),
    setTimeout(() => {
      cpu.server1 = procCpuSeconds(serverPid);
      cpu.self1 = selfCpu();
    }, (warmup + seconds) * 1000),
  ];
  const lat: number[] = [];
  let ok = 0, failed = 0, bytes = 0, next = 0;
  const headers = { authorization: `Bearer ${SECRET}` };
  const worker = async () => {
    while (performance.now() < to) {
      const url = urls[next++ % urls.length]!;
      const start = performance.now();
      let status = 0, size = 0;
      try {
        const r = await pool.request({ path: url, method: 'GET', headers });
        status = r.statusCode;
        size = (await r.body.arrayBuffer()).byteLength;
      } catch {
        status = 0;
      }
      const end = performance.now();
      if (end < from || end > to) continue;
      if (status === 200) {
        ok++;
        bytes += size;
        lat.push(end - start);
      } else failed++;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  // a busy event loop can fire a mark late: take any missing one now (a slightly longer window)
  for (const m of marks) clearTimeout(m);
  if (Number.isNaN(cpu.server0)) cpu.server0 = procCpuSeconds(serverPid);
  if (Number.isNaN(cpu.server1) || cpu.self1 === 0) {
    cpu.server1 = procCpuSeconds(serverPid);
    cpu.self1 = selfCpu();
  }
  await pool.close();
  const l = Float64Array.from(lat);
  return {
    rps: ok / seconds, p50: percentile(l, 50), p90: percentile(l, 90), p99: percentile(l, 99), max: percentile(l, 100), ok, failed, bytes: ok ? bytes / ok : 0,
    cpuUsPerRequest: ok ? ((cpu.server1 - cpu.server0) * 1e6) / ok : NaN,
    loadgenCpuShare: (cpu.self1 - cpu.self0) / seconds,
  };
}

/**
 * Pins a process (all its threads) to CPUs, when `taskset` exists: the servers to core 0, this
 * load generator to core 1, so the two sides never share a core (otherwise the scheduler
 * sometimes co-locates them and a run measures that instead). Returns whether it worked.
 */
function pin(pid: number, cpus: string): boolean {
  const r = spawnSync('taskset', ['-a', '-cp', cpus, String(pid)], { stdio: 'ignore' });
  return r.status === 0;
}

async function main() {
  const users = Number(args.users), days = Number(args.days), seed = Number(args.seed);
  const connections = Number(args.connections), seconds = Number(args.seconds), warmup = Number(args.warmup), rounds = Number(args.rounds);
  const dir = path.join(ROOT, '.bench-data', 'recs', `u${users}-d${days}-s${seed}`);
  let built: Built | undefined;
  try {
    const b = JSON.parse(fs.readFileSync(path.join(dir, 'built.json'), 'utf8')) as Built;
    if (b.format === FORMAT && !args.rebuild) built = b;
  } catch {
    /* not built yet */
  }
  if (built) log(`reusing the world and model in ${path.relative(ROOT, dir)} (--rebuild to train again)`);
  else built = await build(dir, users, days, seed);
  const dataDir = path.join(dir, 'data');

  const port = await freePort();
  const server = new Child('liebian', ['bin/liebian.mjs', 'start'], {
    ...process.env, PORT: String(port), HOST: '127.0.0.1', LIEBIAN_DATA_DIR: dataDir, LIEBIAN_DEMO: '0', LIEBIAN_LOG_LEVEL: 'warn',
    LIEBIAN_BOOTSTRAP_WRITE_KEY: WRITE, LIEBIAN_BOOTSTRAP_SECRET_KEY: SECRET, LIEBIAN_BOOTSTRAP_ADMIN_PASSWORD: 'bench-admin-pass',
  });
  const origin = `http://127.0.0.1:${port}`;
  let bare: Child | undefined;
  try {
    await server.waitReady(`${origin}/readyz`, 180_000);
    const t0 = performance.now();
    let status: { version: string | null } = { version: null };
    while (!status.version && performance.now() - t0 < 180_000) {
      status = (await (await fetch(`${origin}/api/v1/recommendations/model`, { headers: { authorization: `Bearer ${SECRET}` } })).json()) as { version: string | null };
      if (!status.version) await new Promise((r) => setTimeout(r, 200));
    }
    if (!status.version) throw new Error(`the server did not load the model:\n${server.output}`);
    log(`liebian serving model ${status.version} (pid ${server.pid})`);
    const m = machine(); // before pinning: it reads the CPUs this process may use
    const pinned = os.availableParallelism() >= 2 && pin(server.pid, '0') && pin(process.pid, '1');
    log(pinned ? 'pinned: servers on core 0, the load generator on core 1' : 'not pinned (no taskset or one core)');

    // request mixes: known users on the home feed; and a mix of placements
    const rng = mulberry(seed);
    const pick = <T>(a: T[]) => a[Math.floor(rng() * a.length)]!;
    const home = Array.from({ length: 20_000 }, () => `/api/v1/recommendations?userId=${encodeURIComponent(pick(built.userIds))}&n=20`);
    const hot = built.productIds.slice(0, 2000);
    const mixed = Array.from({ length: 20_000 }, () => {
      const x = rng();
      if (x < 0.6) return `/api/v1/recommendations?userId=${encodeURIComponent(pick(built.userIds))}&n=20`;
      if (x < 0.8) return `/api/v1/recommendations?userId=${encodeURIComponent(pick(built.userIds))}&placement=product&productId=${pick(hot)}&n=20`;
      if (x < 0.9) return `/api/v1/recommendations?userId=${encodeURIComponent(pick(built.userIds))}&placement=cart&productId=${pick(hot)},${pick(hot)}&n=20`;
      if (x < 0.95) return `/api/v1/recommendations?anonymousId=visitor-${Math.floor(rng() * 1e6)}&n=20`;
      return `/api/v1/recommendations?userId=${encodeURIComponent(pick(built.userIds))}&n=20&personalization=false`;
    });
    // the bare route's fixed body: a real answer for a typical user
    const sample = await (await fetch(origin + home[0], { headers: { authorization: `Bearer ${SECRET}` } })).text();
    const bodyFile = path.join(dir, 'bare-body.json');
    fs.writeFileSync(bodyFile, sample);
    const barePort = await freePort();
    bare = new Child('bare', ['--import', 'tsx', 'bench/recs.ts', '--serve-bare', bodyFile], { ...process.env, PORT: String(barePort) });
    const bareOrigin = `http://127.0.0.1:${barePort}`;
    await bare.waitReady(`${bareOrigin}/healthz`);
    if (pinned) pin(bare.pid, '0');
    log(`bare Fastify route answering a fixed ${sample.length}-byte body (pid ${bare.pid})`);

    const results: Record<string, Round[]> = { liebian: [], bare: [], 'liebian-mixed': [] };
    for (let r = 0; r < rounds; r++) {
      for (const side of ['liebian', 'bare', 'liebian-mixed'] as const) {
        const isBare = side === 'bare';
        (isBare ? server : bare).freeze();
        (isBare ? bare : server).thaw();
        const res = await load(isBare ? bareOrigin : origin, isBare ? bare.pid : server.pid, side === 'liebian-mixed' ? mixed : home, connections, warmup, seconds);
        results[side]!.push(res);
        log(`round ${r + 1} ${side}: ${fmt(res.rps)} req/s, p50 ${res.p50.toFixed(2)} ms, p99 ${res.p99.toFixed(2)} ms, ${res.failed} failed, ${fmt(res.bytes)} B/answer, server ${res.cpuUsPerRequest.toFixed(1)} CPU µs/request, load generator ${(100 * res.loadgenCpuShare).toFixed(0)} % of a core`);
      }
    }
    server.thaw();
    bare.thaw();
    const med = (rs: Round[]) => [...rs].sort((a, b) => a.rps - b.rps)[rs.length >> 1]!;
    const L = med(results.liebian!), B = med(results.bare!), M = med(results['liebian-mixed']!);
    const report = {
      machine: m, users, days, seed, connections, seconds, warmup, rounds, pinned,
      world: built.counts,
      serving: { liebian: L, bare: B, mixed: M, shareOfBare: L.rps / B.rps },
      training: { simulateSeconds: built.simulateSeconds, trainSeconds: built.trainSeconds, precomputeSeconds: built.precomputeSeconds, peakRssMb: built.peakRssMb, snapshotMb: built.snapshotMb, models: built.models, hybrid: built.hybrid },
    };
    if (args.out) fs.writeFileSync(args.out, JSON.stringify(report, null, 2));
    const row = (name: string, x: Round) => `| ${name} | ${fmt(x.rps)} | ${x.p50.toFixed(2)} | ${x.p90.toFixed(2)} | ${x.p99.toFixed(2)} | ${x.max.toFixed(1)} | ${x.failed} | ${fmt(x.bytes)} | ${x.cpuUsPerRequest.toFixed(1)} | ${(100 * x.loadgenCpuShare).toFixed(0)} % |`;
    const lines = [
      `Machine: ${m.nproc} cores (${m.model}), ${m.memGiB} GiB, Node ${m.node}, ${m.date}`,
      `World: ${fmt(users)} users × ${days} days (seed ${seed}): ${fmt(built.counts.users ?? 0)} user keys, ${fmt(built.counts.items ?? 0)} items, ${fmt(built.counts.interactions ?? 0)} interactions, ${fmt(built.counts.edges ?? 0)} social ties, ${fmt(built.counts.baskets ?? 0)} baskets; ${fmt(built.counts.usersWithLists ?? 0)} users with precomputed lists`,
      `Load: ${connections} connections, closed loop, ${warmup} s warm-up + ${seconds} s measured, median of ${rounds} alternating rounds${pinned ? '; servers pinned to core 0, load generator to core 1' : ''}`,
      '',
      '| server | req/s | p50 ms | p90 ms | p99 ms | max ms | failed | bytes/answer | server CPU µs/request | load generator CPU |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      row('liebian `GET /api/v1/recommendations` (home, known users, n=20)', L),
      row('bare Fastify route, fixed list of the same size', B),
      row('liebian, mixed placements (60 % home, 20 % product, 10 % cart, 5 % anonymous, 5 % non-personalised)', M),
      '',
      `Liebian's throughput is ${(100 * L.rps / B.rps).toFixed(0)} % of the bare route's (target ≥ 40 %); p99 ${L.p99.toFixed(2)} ms (target < 10 ms). Per request Liebian's server used ${L.cpuUsPerRequest.toFixed(1)} µs of CPU, the bare one ${B.cpuUsPerRequest.toFixed(1)} µs (${(100 * B.cpuUsPerRequest / L.cpuUsPerRequest).toFixed(0)} %): when the load generator is the bottleneck (2 cores), throughput understates the gap and this ratio is the fairer one.`,
      '',
      `Training (this process, one thread): ${built.trainSeconds.toFixed(1)} s in all, of which precomputing the lists ${built.precomputeSeconds.toFixed(1)} s; peak RSS ${fmt(built.peakRssMb)} MB; snapshot ${fmt(built.snapshotMb)} MB (+ the inspector's per-model lists on disk).`,
      '',
      '| model | weight | train s | peak RSS growth MB | peak allocation MB | model MB | validation NDCG@10 | Recall@10 |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...Object.entries(built.models).map(([name, r]) => `| ${name} | ${r.weight} | ${r.train_seconds.toFixed(2)} | ${r.peak_rss_mb} | ${r.peak_alloc_mb} | ${r.model_mb} | ${(r.metrics['ndcg@10'] ?? 0).toFixed(4)} | ${(r.metrics['recall@10'] ?? 0).toFixed(4)} |`),
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    server.thaw();
    bare?.thaw();
    await Promise.all([server.stop(), bare?.stop()]);
  }
}

function mulberry(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

if (args['serve-bare']) await serveBare(args['serve-bare']);
else await main();
