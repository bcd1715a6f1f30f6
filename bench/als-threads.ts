// ALS on one thread vs on worker threads (docs/benchmarks.md "ALS on worker threads").
//   npx tsx bench/als-threads.ts [--dataset ../shared/datasets/lastfm-hetrec2011] [--rounds 3] [--threads 2]
// Fits ALS (the evaluate defaults: 64 factors, 12 iterations) on the dataset's random 80/20
// training split, and on a synthetic 60,000 users × 8,000 items matrix (15 interactions per
// user, skewed towards popular items; 32 factors × 8 iterations, serving's settings), alternating
// one thread and N threads each round; prints wall and process CPU seconds per fit, the load
// average before each, and whether the factors are identical.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { AlsRecommender, csrFromTriples, DEFAULT_SPLIT, loadDataset, splitDataset, type Csr } from '../src/modules/recommend/index.ts';
import { Rng } from '../src/platform/rng.ts';

const { values } = parseArgs({ options: { dataset: { type: 'string', default: '../shared/datasets/lastfm-hetrec2011' }, rounds: { type: 'string', default: '3' }, threads: { type: 'string', default: '2' } } });
const rounds = Number(values.rounds), threads = Number(values.threads);

function synthetic(): Csr {
  const rng = new Rng(1);
  const U = 60_000, I = 8_000, r: number[] = [], c: number[] = [];
  for (let u = 0; u < U; u++) for (let k = 0; k < 15; k++) {
    r.push(u);
    c.push(Math.floor(I * rng.next() ** 2));
  }
  return csrFromTriples(U, I, r, c, undefined, 'max');
}

const ds = await loadDataset(values.dataset!);
const cases: Array<{ name: string; x: Csr; options: { factors: number; iterations: number } }> = [
  { name: ds.name, x: splitDataset(ds, { ...DEFAULT_SPLIT, kind: 'random', testFraction: 0.2, seed: 42 }).train, options: { factors: 64, iterations: 12 } },
  { name: 'synthetic 60k×8k', x: synthetic(), options: { factors: 32, iterations: 8 } },
];
console.log(`cores ${os.availableParallelism()}; rounds ${rounds}; threads 1 vs ${threads}`);
for (const c of cases) {
  console.log(`\n${c.name}: ${c.x.nRows} users × ${c.x.nCols} items, ${c.x.indptr[c.x.nRows]} interactions, ${c.options.factors} factors × ${c.options.iterations} iterations`);
  const factors = new Map<number, Float64Array>();
  for (let round = 1; round <= rounds; round++) {
    for (const t of [1, threads]) {
      const load = os.loadavg()[0]!.toFixed(1);
      const m = new AlsRecommender(c.options);
      const w0 = performance.now(), c0 = process.cpuUsage();
      await m.fit({ train: c.x, side: {} }, { threads: t, seed: 42 });
      const cpu = process.cpuUsage(c0);
      console.log(`  round ${round} threads ${t}: ${((performance.now() - w0) / 1000).toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU (load before ${load})`);
      factors.set(t, m.userFactors);
    }
  }
  const a = factors.get(1)!, b = factors.get(threads)!;
  let same = a.length === b.length;
  for (let k = 0; same && k < a.length; k++) same = a[k] === b[k];
  console.log(`  factors identical across thread counts: ${same}`);
}
