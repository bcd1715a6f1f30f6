/**
 * Manual throughput / event-mix check (not part of the test suite):
 *   node --import tsx test/sim/stats.ts [users] [days] [seed]
 */
import { simulate } from '../../src/sim/index.ts';

const users = Number(process.argv[2] ?? 100000);
const days = Number(process.argv[3] ?? 5);
const seed = Number(process.argv[4] ?? 1);

const t0 = performance.now();
const sim = simulate({ users, days, seed });
const t1 = performance.now();
const mix = new Map<string, number>();
let n = 0;
let bytes = 0;
const serialize = process.env.SIM_JSON === '1';
for (const batch of sim.batches()) {
  for (const m of batch) {
    const key = m.type === 'track' ? m.event! : m.type;
    mix.set(key, (mix.get(key) ?? 0) + 1);
  }
  if (serialize) bytes += JSON.stringify(batch).length;
  n += batch.length;
}
const t2 = performance.now();
console.log(`users=${users} days=${days}: setup ${(t1 - t0).toFixed(0)} ms, ${n} messages in ${((t2 - t1) / 1000).toFixed(2)} s = ${Math.round(n / ((t2 - t1) / 1000))} msg/s; estimate ${sim.estimateEvents()}${serialize ? `; ${(bytes / n).toFixed(0)} B/msg JSON` : ''}; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
for (const [k, v] of [...mix].sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(22)} ${String(v).padStart(9)}  ${((100 * v) / n).toFixed(2)}%`);
