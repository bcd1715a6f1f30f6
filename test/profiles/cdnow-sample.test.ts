import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestApp, tmpDir } from '../helpers/engine.ts';
import { runImport } from '../../src/cli/import/run.ts';
import { parseMapping } from '../../src/cli/import/mapping.ts';
import { recomputeAll } from '../../src/flows/traits-recompute.ts';
import { allTraits } from '../../src/modules/profiles/index.ts';
import { CDNOW } from './cdnow.ts';

// The CDNOW 1/10 sample through the public import path, and the published per-customer summary of
// its calibration period (ending 1997-09-30): frequency = distinct purchase days after the first,
// recency = weeks from the first to the last purchase day, T = weeks from the first purchase to
// 1997-09-30 (cdnow_customers_summary.csv, from the `lifetimes` package).

let t: Awaited<ReturnType<typeof startTestApp>>;
const dir = tmpDir('liebian-cdnow-sample-');
before(async () => {
  t = await startTestApp();
});
after(async () => {
  await t.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the repeat-purchase facts of all 2,357 sample customers equal the published summary', async () => {
  // The sample file has no header line; the CSV import takes column names from the first line.
  const file = path.join(dir, 'CDNOW_sample.txt');
  fs.writeFileSync(file, 'master_id sample_id date cds dollars\n' + fs.readFileSync(path.join(CDNOW, 'CDNOW_sample.txt'), 'utf8'));
  const mapping = parseMapping('userId=sample_id,timestamp=date,properties.quantity=cds,properties.total=dollars', 'track', 'Order Completed');
  const imp = await runImport(t.engine, { file, format: 'csv', delimiter: 'whitespace', mapping, workspace: 'default', skipInvalid: false, batchSize: 2000 });
  assert.equal(imp.imported, 6919);
  assert.ok(await t.engine.workers.waitIdle(60_000));
  const r = await recomputeAll(t.engine.op, t.engine.es, { workspace: 'default', asOf: '1997-09-30' });
  assert.equal(r.profiles, 2357);

  const summary = fs.readFileSync(path.join(CDNOW, 'cdnow_customers_summary.csv'), 'utf8').trim().split('\n').slice(1).map((l) => {
    const [id, frequency, recency, T] = l.split(',').map(Number) as [number, number, number, number];
    return { id, frequency, recency, T };
  });
  assert.equal(summary.length, 2357);
  const mine = new Map((await allTraits(t.engine.es, 'default')).map((x) => [Number(x.userId), x]));
  let equal = 0;
  const diffs: string[] = [];
  for (const s of summary) {
    const m = mine.get(s.id);
    const got = m && { frequency: m.repeatFrequency, recency: round2(m.repeatRecencyWeeks as number), T: round2(m.repeatTWeeks as number) };
    if (got && got.frequency === s.frequency && got.recency === s.recency && got.T === s.T) equal++;
    else if (diffs.length < 5) diffs.push(`${s.id}: expected ${JSON.stringify(s)}, got ${JSON.stringify(got)}`);
  }
  assert.equal(equal, 2357, diffs.join('\n'));
});

const round2 = (x: number) => Math.round(x * 100) / 100;
