import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestApp, bearer } from '../helpers/engine.ts';
import { importCdnowMaster } from '../profiles/cdnow.ts';

// Three segment counts on CDNOW_master.txt (imported through the public path, traits as of
// 1998-06-30, RFM over all history) equal an independent reference:
// test/segments/reference/cdnow_segments.py (Python standard library) and its output beside it.

const REF = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reference');
let t: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  t = await startTestApp();
  await importCdnowMaster(t);
});
after(async () => {
  await t.close();
});

const RULES: Record<string, unknown> = {
  champions_over_200: { all: [{ trait: 'rfmSegment', op: 'eq', value: 'Champions' }, { trait: 'gmv', op: 'gt', value: 200 }] },
  three_over_20_since: { event: 'Order Completed', where: [{ property: 'total', op: 'gt', value: 20 }], count: { op: 'gte', value: 3 }, within: { since: '1997-04-01' } },
  lapsed_repeat: { all: [{ trait: 'orders', op: 'gte', value: 2 }, { event: 'Order Completed', performed: false, within: { since: '1997-10-01' } }] },
};

const api = async (method: 'GET' | 'POST', url: string, payload?: object) => {
  const r = await t.app.fastify.inject({ method, url, headers: { authorization: bearer() }, ...(payload ? { payload } : {}) });
  assert.ok(r.statusCode < 300, r.body);
  return r.json() as Record<string, unknown>;
};

test('three saved segments on CDNOW: counts and members equal the independent reference', async () => {
  const ref = fs.readFileSync(path.join(REF, 'cdnow_segments.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',') as [string, string, string]);
  assert.deepEqual(ref.map((r) => r[0]), Object.keys(RULES));
  for (const [name, customers, sha] of ref) {
    const preview = await api('POST', '/api/v1/segments/preview', { rule: RULES[name], sample: 3 });
    assert.equal(preview.count, Number(customers), `${name}: preview`);
    const seg = await api('POST', '/api/v1/segments', { name, rule: RULES[name] });
    assert.equal(seg.size, Number(customers), `${name}: saved`);
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await api('GET', `/api/v1/segments/${seg.id}/members?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`) as { members: Array<{ userId: string }>; nextCursor: string | null };
      ids.push(...page.members.map((m) => m.userId));
      cursor = page.nextCursor;
    } while (cursor);
    ids.sort();
    assert.equal(createHash('sha256').update(ids.map((i) => i + '\n').join('')).digest('hex'), sha, `${name}: members`);
    console.log(`${name}: ${customers} customers (preview ${preview.tookMs} ms)`);
  }
});
