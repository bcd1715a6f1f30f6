/**
 * Summarises a V8 .cpuprofile (from `npm run bench:ingest -- --cpu-prof`): self time by function
 * and by package, plus inclusive time of the top functions.
 *
 *   node --import tsx bench/profile-summary.ts <file.cpuprofile> [top=30]
 */
import fs from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
const file = process.argv[2];
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]');
const top = Number(process.argv[3] ?? 30);
const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
// A sample whose delta is far above the sampling interval spans a pause of the whole process
// (the ingest bench SIGSTOPs the side it is not measuring): it is dropped, not charged to a function.
const MAX_DELTA_US = 100_000;
const self = new Map<number, number>();
let paused = 0;
for (let i = 0; i < prof.samples.length; i++) {
  const d = prof.timeDeltas[i] ?? 0;
  if (d > MAX_DELTA_US) {
    paused += d;
    continue;
  }
  self.set(prof.samples[i]!, (self.get(prof.samples[i]!) ?? 0) + d);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);

const pkg = (url: string) => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.includes('/src/')) return 'src/' + url.split('/src/')[1]!.split('/').slice(0, 2).join('/');
  if (url.startsWith('node:')) return 'node:internal';
  return url ? url.split('/').slice(-2).join('/') : '(native/vm)';
};
const label = (n: Node) => `${n.callFrame.functionName || '(anon)'} ${pkg(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
const selfFn = new Map<string, number>();
const selfPkg = new Map<string, number>();
const incl = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id)!;
  add(selfFn, label(n), t);
  add(selfPkg, n.callFrame.url ? pkg(n.callFrame.url) : n.callFrame.functionName, t);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur)!);
    if (!seen.has(l)) {
      seen.add(l);
      add(incl, l, t);
    }
  }
}
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((v / total) * 100).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(0).padStart(7)} ms  ${k}`);
};
console.log(`total sampled: ${(total / 1e6).toFixed(1)} s (${(paused / 1e6).toFixed(1)} s of pauses left out)`);
show('self time by package', selfPkg);
show('self time by function', selfFn);
show('inclusive time', incl);
